"""Audits of decisions: each one judged under the policy in force when it was taken.

For a decision the auditor reads three states of its country's policy: on the decision
date as known now (`at_decision`), on the decision date as recorded when the decision was
taken (`as_recorded`), and on the review date as known now (`at_review`). The facts that
matter to the applicant are taken from each (domain.facts) and compared.

Judging is fact by fact along the country's timeline (projections.timeline): each fact is a
column over the segments known now, so the verdict of a decision is a few bisects, and a
change once judged (its direction, its amendment, its text) is shared by every decision
that sees it. The states as recorded at a moment are read only when they differ from the
states known now. The full document of an audit (every fact with its provenance) is made on
demand, for the answers and reports that show it; a CSV report needs none. Memory stays
bounded by the caches, not by the number of decisions.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple, Protocol

from domain.decision import Decision
from domain.facts import (
    WAYS,
    Case,
    Citation,
    Fact,
    FactChange,
    FactSpec,
    Profile,
    citation,
    direction,
    fact_specs,
    group_specs,
    place_specs,
    read_fact,
    verdict_of,
)
from domain.records import AmendmentRecord
from projections.index import ReadIndex, StateElements
from projections.lru import Lru
from projections.queries import amendment_summary, sources_of
from projections.timeline import FactColumn, Timeline, ValueChanges

Doc = dict[str, Any]
NO_CHANGES: tuple[list[str], list[str]] = ([], [])
END_OF_DAYS = "\uffff"  # after every ISO date
DIRECTIONS = {"in_favour": "in favour", "against": "against", "unclear": "direction unclear"}


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
    def timeline(self, country: str) -> Timeline: ...

    def history(self, country: str) -> Timeline: ...

    def recorder(self, country: str) -> Callable[[str, int], int]: ...

    def now(self, country: str, on: str) -> Snapshot: ...

    def then(self, country: str, on: str, at: int) -> Snapshot: ...

    def records(self, country: str) -> dict[str, AmendmentRecord]: ...

    def value_changes(self, country: str) -> ValueChanges: ...


class StoredStates:
    """States from the read model (the in-process index and its timelines)."""

    def __init__(self, index: ReadIndex) -> None:
        self.index = index

    def timeline(self, country: str) -> Timeline:
        """The policy as known now along valid time (here: the stored history's current rows)."""
        return self.history(country)

    def history(self, country: str) -> Timeline:
        """Every stored row of the country, current and superseded."""
        code = self.index.country(country).code  # CountryNotFoundError without a policy
        return self.index.timeline(code)

    def recorder(self, country: str) -> Callable[[str, int], int]:
        """Finds the position in `history` of the row in force on a date as recorded at a
        moment (micros)."""
        return self.history(country).index_at

    def now(self, country: str, on: str) -> Snapshot:
        timeline = self.history(country)
        return self._snapshot(timeline, timeline.row_on(on))

    def then(self, country: str, on: str, at: int) -> Snapshot:
        timeline = self.history(country)
        return self._snapshot(timeline, timeline.index_at(on, at))

    def records(self, country: str) -> dict[str, AmendmentRecord]:
        return self.index.country(country).records

    def value_changes(self, country: str) -> ValueChanges:
        return self.index.value_changes(self.index.country(country).code)

    def _snapshot(self, timeline: Timeline, row: int) -> Snapshot:
        if row < 0:
            return NO_POLICY
        state_id = timeline.state_ids[row]
        fetch = partial(self.index.elements, timeline.code, state_id)
        return Snapshot(timeline.version_ids[row], state_id, timeline.starts[row], fetch)


class AmendedChange(NamedTuple):
    """A change of one fact between decision and review, with the amendment behind it and
    the line a report shows, e.g. "group:pti none→risk_profile (in favour; Kamerstuk …)"."""

    change: FactChange
    amendment: AmendmentRecord | None
    text: str

    @classmethod
    def of(cls, change: FactChange, amendment: AmendmentRecord | None) -> AmendedChange:
        notes = [DIRECTIONS.get(change.direction, change.direction)]
        if amendment is not None:
            notes += [s.reference for s in amendment.sources]
        text = f"{change.key} {plain(change.before)}→{plain(change.after)} ({'; '.join(notes)})"
        return cls(change, amendment, text)

    def doc(self) -> Doc:
        c = self.change
        summary = amendment_summary(self.amendment) if self.amendment is not None else None
        return {
            "fact": c.key,
            "element": c.element,
            "before": c.before,
            "after": c.after,
            "direction": c.direction,
            "amendment": summary,
            "sources": summary["sources"] if summary else [],
        }


def plain(value: Any) -> str:
    """A fact's value as a report's text shows it."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


@dataclass(init=False)  # init=False: as domain.facts.Case
class Audited:
    """One decision's audit: the verdict and what a report's row shows; `doc()` is the whole
    document (every relevant fact of the three states, with provenance)."""

    case: Case
    review_date: str
    verdict: str
    record_differs: bool
    citation: str
    versions: tuple[str | None, str | None, str | None]  # at decision, as recorded, at review
    changes: list[AmendedChange]
    changes_text: str  # the changes as one line, e.g. "group:pti none→risk_profile (in favour; …)"
    _document: Callable[[Audited], Doc] = field(repr=False)

    def __init__(
        self,
        case: Case,
        review_date: str,
        verdict: str,
        record_differs: bool,
        citation: str,
        versions: tuple[str | None, str | None, str | None],
        changes: list[AmendedChange],
        changes_text: str,
        document: Callable[[Audited], Doc],
    ) -> None:
        self.case = case
        self.review_date = review_date
        self.verdict = verdict
        self.record_differs = record_differs
        self.citation = citation
        self.versions = versions
        self.changes = changes
        self.changes_text = changes_text
        self._document = document

    @property
    def flagged(self) -> bool:
        """Worth a second look: its facts changed, its record differs, or it cites another
        version than the one in force as recorded when it was taken."""
        return self.verdict != "unchanged" or self.record_differs or self.citation == "mismatch"

    def doc(self) -> Doc:
        return self._document(self)


@dataclass
class Summary:
    audited: int = 0
    rejected: int = 0
    # Small counters, one increment each per row: memory stays small whatever the file.
    months: Counter[tuple[str, str]] = field(default_factory=Counter)  # (month, verdict)
    countries: Counter[str] = field(default_factory=Counter)
    record_differs: Counter[bool] = field(default_factory=Counter)
    citations: Counter[str] = field(default_factory=Counter)

    def add(self, result: Audited) -> None:
        self.audited += 1
        case = result.case
        self.months[(case.decided_on[:7], result.verdict)] += 1
        self.countries[case.country] += 1
        self.record_differs[result.record_differs] += 1
        self.citations[result.citation] += 1

    def to_json(self) -> Doc:
        verdicts: Counter[str] = Counter()
        months: dict[str, Counter[str]] = {}
        for (month, judged), n in sorted(self.months.items()):
            verdicts[judged] += n
            months.setdefault(month, Counter())[judged] += n
        return {
            "decisions": self.audited + self.rejected,
            "audited": self.audited,
            "rejected": self.rejected,
            "verdicts": dict(verdicts),
            "record_differs": {str(k).lower(): n for k, n in self.record_differs.items()},
            "citations": dict(self.citations),
            "countries": dict(sorted(self.countries.items())),
            "months": {m: dict(c) for m, c in months.items()},
        }


class Part:
    """Facts judged together for a decision: one claimed group's three, or the place's
    (Article 15(c), moratoria, reception). Along the country's rows it has runs where none of
    its facts changes value; every decision in a run reads the same values and, the review
    date being the audit's, the same changes, so each run is judged once (`runs`)."""

    __slots__ = ("columns", "reviewed", "runs", "starts")

    def __init__(self, columns: tuple[FactColumn, ...]) -> None:
        self.columns = columns
        self.starts = sorted({0, *(start for c in columns for start in c.starts)})
        self.runs: list[Run | None] = [None] * (len(self.starts) + 1)  # [-1]: no policy
        self.reviewed: list[Fact] | None = None  # the facts on the review date


Amended = tuple[tuple[AmendedChange, ...], str]  # changes with their amendments, and their line


class Run:
    """A part's run of rows, judged against the review date."""

    def __init__(
        self,
        values: tuple[Any, ...],
        changes: tuple[FactChange, ...],
        ways: int,
        usual: tuple[str | None, ...],
        earliest: str,
    ) -> None:
        self.values = values  # the facts' values in the run
        self.changes = changes  # against the review date
        self.ways = ways  # 1: some change in favour, 2: some against, 3: both
        # The changes with the amendments behind them (which can differ by row) and their
        # line: the first asked for, and by their amendments any others (most runs have
        # one; a map each took 11 MB in an audit of a million decisions).
        self.first_causes: tuple[str | None, ...] | None = None
        self.first: Amended | None = None
        self.others: dict[tuple[str | None, ...], Amended] | None = None
        # The usual amendments behind the changes: each element's last change by the review
        # date, which is behind the change for every decision taken before `earliest` of them.
        self.usual = usual
        self.earliest = earliest


VERDICTS = tuple(verdict_of(f, a).value for a in (False, True) for f in (False, True))
CITATIONS = {c: c.value for c in Citation}  # an enum's `value` is a slow descriptor
# by ways
# Remembered parts, and runs judged in them: bounded whatever the file. A run takes about
# 220 bytes with what it shares (a million decisions in random order judge ~82,000); below
# the runs a file keeps asking for, forgetting would judge them over and over.
MAX_CACHED = 100_000
MAX_RUNS = 150_000


class Country:
    """What an audit keeps of one country: its timelines, the review row, the parts of each
    (group, region) and (region, minor) asked about so far, and when each element's value
    last changed by the review date."""

    __slots__ = (
        "changes",
        "code",
        "groups",
        "last",
        "now",
        "past",
        "places",
        "recorded_from",
        "recorded_row",
        "review",
        "stored",
    )

    def __init__(self, states: States, code: str, review_date: str) -> None:
        self.code = code
        self.now = states.timeline(code)
        self.past = states.history(code)  # the same, unless drafts changed the present
        self.review = self.now.row_on(review_date)
        self.recorded_row = states.recorder(code)
        # When the present is the stored history, a current row is also a recorded one.
        self.stored = self.now is self.past and self.now.recorded_from is not None
        self.recorded_from = self.now.recorded_from or []
        self.groups: dict[tuple[str, str | None], Part] = {}
        self.places: dict[tuple[str | None, bool], Part] = {}
        # element -> the days its value changed as known now, and the amendments that did;
        # and the last such change by the review date (the cause of most changes).
        self.changes = states.value_changes(code)
        self.last: dict[str, tuple[str, str]] = {}
        for element, (days, amendments) in self.changes.items():
            i = bisect_right(days, review_date) - 1
            if i >= 0:
                self.last[element] = (days[i], amendments[i])


class Auditor:
    def __init__(self, states: States, review_date: dt.date, cache_size: int = 4096):
        self.states = states
        self.review_date: str = review_date.isoformat()
        self.summary = Summary()
        self._countries: dict[str, Country] = {}
        self._parts: dict[tuple[FactColumn, ...], Part] = {}
        self._runs = 0  # judged since the parts were last forgotten
        self._interned: dict[Any, Any] = {}  # see _same
        self._changes: dict[tuple[FactChange, str | None], AmendedChange] = {}
        # Bounded, so memory does not grow with the file.
        self._docs: Lru[tuple[str | None, FactSpec], Doc] = Lru(cache_size * 2)
        self._provenance: Lru[Hashable, Doc] = Lru(cache_size * 2)

    def audit(self, decision: Decision) -> Doc:
        """One decision's audit document; raises LedgerError when it cannot be audited."""
        return self.judge(decision.case()).doc()

    def judge(self, case: Case) -> Audited:
        """One decision judged; raises LedgerError when its country has no policy."""
        # The hot path of an audit of millions of rows: look-ups only, each judgement shared.
        country = self._countries.get(case.country) or self._country(case.country)
        now, day = country.now, case.decided_on
        row = now.row_on(day)
        if country.stored and row >= 0 and country.recorded_from[row] <= case.micros:
            recorded = row  # what is in force now was recorded before the decision
        else:
            recorded = country.recorded_row(day, case.micros)
        recorded_version = country.past.versions[recorded]
        # Equal versions say the same in every element: only different ones need comparing.
        compare_record = recorded_version != now.versions[row]
        changes: list[AmendedChange] = []
        texts: list[str] = []
        ways = 0
        differs = False
        groups, region, minor = country.groups, case.region, case.unaccompanied_minor
        parts = [groups.get((g, region)) or self._group(country, g, region) for g in case.groups]
        parts.append(country.places.get((region, minor)) or self._place(country, region, minor))
        usual = day <= self.review_date
        for part in parts:
            run = part.runs[bisect_right(part.starts, row) - 1] or self._run(country, part, row)
            if run.ways:
                if usual and day < run.earliest:  # every change came after the decision
                    causes = run.usual
                else:
                    causes = tuple([self._cause(country, c.element, day) for c in run.changes])
                amended = run.first
                if amended is None or causes != run.first_causes:
                    amended = self._amend(country, run, causes)
                changes += amended[0]
                texts.append(amended[1])
                ways |= run.ways
            if compare_record and not differs:
                differs = self._recorded(country, part, recorded) != run.values
        result = Audited(
            case,
            self.review_date,
            VERDICTS[ways],
            differs,
            CITATIONS[citation(case.cited_version_id, recorded_version)],
            (now.versions[row], recorded_version, now.versions[country.review]),
            changes,
            "; ".join(texts),
            self._document,
        )
        self.summary.add(result)
        return result

    def _country(self, code: str) -> Country:
        found = self._countries[code] = Country(self.states, code, self.review_date)
        return found

    def _group(self, country: Country, group: str, region: str | None) -> Part:
        found = self._part(country.now, group_specs(group, region))
        country.groups[(group, region)] = found
        return found

    def _place(self, country: Country, region: str | None, minor: bool) -> Part:
        found = self._part(country.now, place_specs(region, minor))
        country.places[(region, minor)] = found
        return found

    def _part(self, timeline: Timeline, specs: tuple[FactSpec, ...]) -> Part:
        # Specs that differ only in elements the country never had share their columns, and
        # so their part (a group's in every region without a regional element, say).
        columns = tuple(timeline.column(s) for s in specs)
        found = self._parts.get(columns)
        if found is None:
            if len(self._parts) >= MAX_CACHED:
                self._forget_parts()
            found = self._parts[columns] = Part(columns)
        return found

    def _forget_parts(self) -> None:
        """Forgets every part and its runs: memory stays bounded."""
        self._parts.clear()
        for country in self._countries.values():
            country.groups.clear()
            country.places.clear()
        self._runs = 0
        self._interned.clear()
        self._changes.clear()

    def _run(self, country: Country, part: Part, row: int) -> Run:
        """The run of `row` judged against the review date; remembered for the run."""
        if self._runs >= MAX_RUNS:
            self._forget_parts()  # `part` stays whole for the decision being judged
        self._runs += 1
        before = [c.fact(c.run(row)) for c in part.columns]
        after = part.reviewed
        if after is None:
            after = part.reviewed = [c.fact(c.run(country.review)) for c in part.columns]
        changes = []
        ways = 0
        for column, old, new in zip(part.columns, before, after, strict=True):
            way = direction(column.spec.key, old.value, new.value)
            if way is not None:
                element = new.element or old.element
                change = FactChange(column.spec.key, old.value, new.value, way, element)
                changes.append(self._same(change))
                ways |= WAYS[way]
        lasts = [country.last.get(c.element) if c.element else None for c in changes]
        usual = self._same(tuple(last[1] if last else None for last in lasts))
        earliest = min((last[0] for last in lasts if last), default=END_OF_DAYS)
        run = bisect_right(part.starts, row) - 1
        values = self._same(tuple(f.value for f in before))
        found = part.runs[run] = Run(values, tuple(changes), ways, usual, earliest)
        return found

    def _same(self, value: Any) -> Any:
        """One object for equal values: runs repeat the same few values, changes and
        amendments many times over (a tenth of the objects, measured on 1M decisions)."""
        return self._interned.setdefault(value, value)

    def _amend(self, country: Country, run: Run, causes: tuple[str | None, ...]) -> Amended:
        if run.others is not None and causes in run.others:
            return run.others[causes]
        records = self.states.records(country.code)
        changes = []
        for change, cause in zip(run.changes, causes, strict=True):
            found = self._changes.get((change, cause))
            if found is None:
                found = AmendedChange.of(change, records[cause] if cause is not None else None)
                self._changes[(change, cause)] = found
            changes.append(found)
        amended = (tuple(changes), "; ".join(c.text for c in changes))
        if run.first is None:
            run.first_causes, run.first = causes, amended
        else:
            if run.others is None:
                run.others = {}
            run.others[causes] = amended
        return amended

    def _recorded(self, country: Country, part: Part, recorded: int) -> tuple[Any, ...]:
        """The facts' values as recorded when the decision was taken."""
        if country.past is not country.now:  # drafts: the record is the stored history
            columns = [country.past.column(c.spec) for c in part.columns]
            return tuple(c.fact(c.run(recorded)).value for c in columns)
        run = part.runs[bisect_right(part.starts, recorded) - 1] or self._run(
            country, part, recorded
        )
        return run.values

    def _cause(self, country: Country, element: str | None, decided_on: str) -> str | None:
        """The amendment behind a change: the last to alter its element between the dates."""
        if element is None:
            return None
        review = self.review_date
        if decided_on <= review:
            last = country.last.get(element)
            return last[1] if last is not None and last[0] > decided_on else None
        days, amendments = country.changes.get(element, NO_CHANGES)
        i = bisect_right(days, decided_on) - 1
        return amendments[i] if i >= 0 and days[i] > review else None

    # The whole document, for answers and reports that show it ----------------------------

    def _document(self, result: Audited) -> Doc:
        case = result.case
        code = case.country
        profile = case.profile
        as_recorded = self.states.then(code, case.decided_on, case.micros)
        return {
            "id": case.id,
            "country": code,
            "decided_on": case.decided_on,
            "recorded_at": case.recorded_at,
            "review_date": self.review_date,
            "outcome": case.outcome,
            "verdict": result.verdict,
            "record_differs": result.record_differs,
            "citation": result.citation,
            "at_decision": self._facts_doc(code, self.states.now(code, case.decided_on), profile),
            "as_recorded": self._facts_doc(code, as_recorded, profile),
            "at_review": self._facts_doc(code, self.states.now(code, self.review_date), profile),
            "changes": [c.doc() for c in result.changes],
        }

    def _facts_doc(self, code: str, snapshot: Snapshot, profile: Profile) -> Doc:
        docs: Doc = {}
        values: Mapping[str, Any] | None = None
        for spec in fact_specs(*profile):
            key = (snapshot.state_id, spec)
            found = self._docs.get(key)
            if found is None:
                values = values if values is not None else (snapshot.values or {})
                found = self._fact_doc(code, read_fact(spec, values), snapshot)
                self._docs.put(key, found)
            docs[spec.key] = found
        coverage = snapshot.state_id is not None
        return {"version_id": snapshot.version_id, "coverage": coverage, "facts": docs}

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
            provenance = self._provenance_of(code, elements[fact.element])
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
