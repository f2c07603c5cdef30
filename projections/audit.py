"""Audits of decisions: each one judged under the policy in force when it was taken.

For a decision the auditor reads three states of its country's policy: on the decision
date as known now (`at_decision`), on the decision date as recorded when the decision was
taken (`as_recorded`), and on the review date as known now (`at_review`). The facts that
matter to the applicant are taken from each (domain.audit) and compared. Results depend
only on (states, applicant profile, cited version), so they are computed once per such key
and shared by every decision that has it: audits of many decisions stay fast, and memory
stays bounded by the caches, not by the number of decisions.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from domain.audit import (
    Decision,
    Fact,
    FactChange,
    FactSpec,
    citation,
    compare,
    fact_specs,
    read_fact,
    same_facts,
    verdict,
)
from domain.fold import element_history
from domain.records import AmendmentRecord
from projections.index import ReadIndex, StateElements
from projections.lru import Lru
from projections.queries import amendment_summary, sources_of
from projections.views import to_micros

END_OF_TIME = dt.datetime.max.replace(tzinfo=dt.UTC)
Doc = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One state of a country's policy: its version, and its annotated elements on demand
    (most audits are answered from cache by the ids alone)."""

    version_id: str | None
    state_id: str | None
    valid_from: str | None  # where its segment starts (None: no policy)
    fetch: Callable[[], Mapping[str, Any]]

    @property
    def elements(self) -> Mapping[str, Any]:
        return self.fetch()

    @property
    def values(self) -> Mapping[str, Any] | None:
        if self.state_id is None:
            return None
        return ElementValues(self.elements)


class ElementValues(Mapping[str, Any]):
    """The values of a state's elements, read only for the elements asked about."""

    __slots__ = ("_elements",)

    def __init__(self, elements: Mapping[str, Any]) -> None:
        self._elements = elements

    def __getitem__(self, element: str) -> Any:
        return self._elements[element]["value"]

    def __contains__(self, element: object) -> bool:
        return element in self._elements

    def __iter__(self) -> Iterator[str]:
        return iter(self._elements)

    def __len__(self) -> int:
        return len(self._elements)


def _nothing() -> Mapping[str, Any]:
    return {}


NO_POLICY = Snapshot(None, None, None, _nothing)


class States(Protocol):
    def now(self, country: str, on: str) -> Snapshot: ...

    def then(self, country: str, on: str, at: int) -> Snapshot: ...

    def records(self, country: str) -> dict[str, AmendmentRecord]: ...


class StoredStates:
    """States from the read model (the in-process index and its bitemporal rows)."""

    def __init__(self, index: ReadIndex) -> None:
        self.index = index

    def now(self, country: str, on: str) -> Snapshot:
        found = self.index.country(country)
        i = found.row_on(on)
        return NO_POLICY if i is None else self._snapshot(found.code, found.rows[i])

    def then(self, country: str, on: str, at: int) -> Snapshot:
        row = self.index.history(country).row_at(on, at)
        return NO_POLICY if row is None else self._snapshot(country, row)

    def records(self, country: str) -> dict[str, AmendmentRecord]:
        return self.index.country(country).records

    def _snapshot(self, code: str, row: Mapping[str, Any]) -> Snapshot:
        state_id = row["state_id"]
        fetch = partial(self.index.elements, code, state_id)
        return Snapshot(row["version_id"], state_id, row["valid_from"], fetch)


@dataclass
class Summary:
    verdicts: Counter[str] = field(default_factory=Counter)
    record_differs: Counter[str] = field(default_factory=Counter)
    citations: Counter[str] = field(default_factory=Counter)
    countries: Counter[str] = field(default_factory=Counter)
    months: dict[str, Counter[str]] = field(default_factory=dict)
    audited: int = 0
    rejected: int = 0

    def add(self, result: Doc) -> None:
        self.audited += 1
        self.verdicts[result["verdict"]] += 1
        self.record_differs[str(result["record_differs"]).lower()] += 1
        self.citations[result["citation"]] += 1
        self.countries[result["country"]] += 1
        month = result["decided_on"][:7]
        self.months.setdefault(month, Counter())[result["verdict"]] += 1

    def to_json(self) -> Doc:
        return {
            "decisions": self.audited + self.rejected,
            "audited": self.audited,
            "rejected": self.rejected,
            "verdicts": dict(self.verdicts),
            "record_differs": dict(self.record_differs),
            "citations": dict(self.citations),
            "countries": dict(self.countries),
            "months": {m: dict(c) for m, c in sorted(self.months.items())},
        }


class Auditor:
    def __init__(self, states: States, review_date: dt.date, cache_size: int = 4096):
        self.states = states
        self.review_date = review_date.isoformat()
        self.summary = Summary()
        # Bounded, so memory does not grow with the file; results are large and, with varied
        # applicant profiles, rarely repeat, so fewer of them are kept.
        self._results: Lru[tuple[Any, ...], Doc] = Lru(max(cache_size // 16, 1))
        self._facts: Lru[tuple[str | None, FactSpec], tuple[Fact, Doc]] = Lru(cache_size * 4)
        self._causes: dict[tuple[str, str], tuple[list[dt.date], list[str]]] = {}
        self._provenance: Lru[Hashable, Doc] = Lru(cache_size * 2)

    def audit(self, decision: Decision) -> Doc:
        """One decision's audit; raises LedgerError when it cannot be audited."""
        decision.check_region()
        code = decision.country
        day = decision.decided_on.isoformat()
        moment = decision.moment()
        at_decision = self.states.now(code, day)
        as_recorded = self.states.then(code, day, to_micros(moment))
        at_review = self.states.now(code, self.review_date)
        # Every decision date in one segment gives the same answer (a change of value would
        # have started a new segment), so results are shared per segment, not per date.
        key = (
            code,
            at_decision.valid_from,
            at_decision.state_id,
            as_recorded.state_id,
            at_review.state_id,
            decision.profile(),
            decision.cited_version_id,
        )
        core = self._results.get(key)
        if core is None:
            core = self._judge(code, decision, at_decision, as_recorded, at_review)
            self._results.put(key, core)
        result = {
            "id": decision.id,
            "country": code,
            "decided_on": day,
            "recorded_at": moment.isoformat(),
            "review_date": self.review_date,
            "outcome": decision.outcome,
            **core,
        }
        self.summary.add(result)
        return result

    def _judge(
        self,
        code: str,
        decision: Decision,
        at_decision: Snapshot,
        as_recorded: Snapshot,
        at_review: Snapshot,
    ) -> Doc:
        profile = decision.profile()
        facts_decision, doc_decision = self._facts_of(code, at_decision, profile)
        facts_recorded, doc_recorded = self._facts_of(code, as_recorded, profile)
        facts_review, doc_review = self._facts_of(code, at_review, profile)
        changes = compare(facts_decision, facts_review)
        return {
            "verdict": verdict(changes).value,
            "record_differs": not same_facts(facts_decision, facts_recorded),
            "citation": citation(decision.cited_version_id, as_recorded.version_id).value,
            "at_decision": doc_decision,
            "as_recorded": doc_recorded,
            "at_review": doc_review,
            "changes": [self._change_doc(code, c, at_review, decision.decided_on) for c in changes],
        }

    def _facts_of(
        self, code: str, snapshot: Snapshot, profile: tuple[Any, ...]
    ) -> tuple[dict[str, Fact], Doc]:
        # Cached fact by fact: varied profiles share most facts of a state (its 15(c) level,
        # its moratoria, each group), where whole results rarely repeat.
        facts: dict[str, Fact] = {}
        docs: Doc = {}
        values: Mapping[str, Any] | None = None
        for spec in fact_specs(*profile):
            key = (snapshot.state_id, spec)
            found = self._facts.get(key)
            if found is None:
                values = values if values is not None else (snapshot.values or {})
                fact = read_fact(spec, values)
                found = (fact, self._fact_doc(code, fact, snapshot))
                self._facts.put(key, found)
            facts[spec.key], docs[spec.key] = found
        coverage = snapshot.state_id is not None
        return facts, {"version_id": snapshot.version_id, "coverage": coverage, "facts": docs}

    def _fact_doc(self, code: str, fact: Fact, snapshot: Snapshot) -> Doc:
        if fact.element is None:
            return {"value": fact.value, "element": None, "assumed": True}
        # Keyed by the element's content where known: shared by every state it is unchanged in.
        elements = snapshot.elements
        key = (
            elements.content_id(fact.element)
            if isinstance(elements, StateElements)
            else (snapshot.state_id, fact.element)
        )
        provenance = self._provenance.get(key)
        if provenance is None:
            provenance = self._provenance_of(code, snapshot.elements[fact.element])
            self._provenance.put(key, provenance)
        return {"value": fact.value, "element": fact.element, "assumed": False, **provenance}

    def _provenance_of(self, code: str, element: Mapping[str, Any]) -> Doc:
        records = self.states.records(code)
        acts = [a for a in element["acts"] if a["amendment"] in records]
        return {
            "since": element["since"],
            "amendments": [
                {"id": a["amendment"], "action": a["action"], "on": a["on"]} for a in acts
            ],
            "sources": sources_of(records[a["amendment"]] for a in acts),
        }

    def _change_doc(
        self, code: str, change: FactChange, at_review: Snapshot, decided_on: dt.date
    ) -> Doc:
        records = self.states.records(code)
        amendment_id = self._cause(code, change, at_review, decided_on)
        summary = amendment_summary(records[amendment_id]) if amendment_id else None
        return {
            "fact": change.key,
            "element": change.element,
            "before": change.before,
            "after": change.after,
            "direction": change.direction,
            "amendment": summary,
            "sources": summary["sources"] if summary else [],
        }

    def _cause(
        self, code: str, change: FactChange, at_review: Snapshot, decided_on: dt.date
    ) -> str | None:
        """The amendment behind a change: the last to alter its element between the dates."""
        element = change.element
        if element is None:
            return None
        history = self._causes.get((code, element))
        if history is None:
            history = _value_changes(self.states.records(code), element)
            self._causes[(code, element)] = history
        low, high = sorted((decided_on, dt.date.fromisoformat(self.review_date)))
        days, amendments = history
        i = bisect_right(days, high) - 1
        return amendments[i] if i >= 0 and days[i] > low else None


def _value_changes(
    records: dict[str, AmendmentRecord], element: str
) -> tuple[list[dt.date], list[str]]:
    """When an element's value changed as known now, and by which amendment, in date order."""
    changes = [
        (t.effect.on, t.effect.amendment_id)
        for t in element_history(list(records.values()), element, END_OF_TIME)
        if t.changes_value
    ]
    return [day for day, _ in changes], [amendment for _, amendment in changes]
