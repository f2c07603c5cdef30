"""Audits of decisions: each one judged under the policy in force when it was taken.

For a decision the auditor reads three states of its country's policy: on the decision
date as known now (`at_decision`), on the decision date as the official could know it
(`as_known`: by the acts published by the decision date, the default basis; or
`as_recorded`: as the ledger recorded it when the decision was taken, the `recorded`
basis), and on the review date as known now (`at_review`). The facts that matter to the
applicant are taken from each (domain.facts: stated facts only, resolved for the
applicant's place, exceptions honoured, attestations read) and compared: the drift verdict
from decision to review, whether the basis differs from what is known now, and findings of
the outcome against the policy on the basis.

Judging is fact by fact along the country's timelines (projections.timeline): each fact is
a column over the segments, so the verdict of a decision is a few bisects, and a change
once judged (its direction, its amendment, its text) is shared by every decision that sees
it. The full document of an audit (every fact with its provenance) is made on demand, for
the answers and reports that show it; a CSV report needs none. Memory stays bounded by the
caches, not by the number of decisions.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple, Protocol

from domain.citations import CitationIndex, check_cited
from domain.decision import Decision
from domain.effects import named_places
from domain.facts import (
    ATTESTED_LATER,
    DECLINED,
    NOT_STATED,
    STATED_ENDS,
    UNKNOWN,
    WAYS,
    Basis,
    Case,
    Citation,
    Fact,
    FactChange,
    FactSpec,
    attested,
    change_of,
    citation,
    group_specs,
    place_specs,
    verdict_of,
)
from domain.fold import Attested, Segment, attestations
from domain.instants import END_OF_TIME, from_micros
from domain.known import (
    Span,
    known_segments,
    publication_days,
    published_by,
    unpublished_spans,
    version_ids,
)
from domain.places import place_chain
from domain.records import AmendmentRecord
from projections.index import ReadIndex, StateElements
from projections.lru import Lru
from projections.queries import amendment_summary, element_sources, sources_of
from projections.timeline import FactColumn, Timeline, ValueChanges, segment_timeline

Doc = dict[str, Any]
NO_CHANGES: tuple[list[str], list[str], list[str]] = ([], [], [])
END_OF_DAYS = "\uffff"  # after every ISO date
DIRECTIONS = {
    "in_favour": "in favour",
    "against": "against",
    "unclear": "direction unclear",
    UNKNOWN: "stated on one side only",
}
PUBLISHED = Basis.PUBLISHED.value
RECORDED = Basis.RECORDED.value
BASES = (PUBLISHED, RECORDED)
# Outcomes the findings read, in the words decisions use (any case); other outcomes are
# kept as given and only findings that do not depend on the outcome's kind apply.
GRANTED = frozenset({"granted", "toegewezen", "ingewilligd", "inwilliging", "verleend"})
REJECTED = frozenset({"rejected", "afgewezen", "afwijzing", "refused", "denied"})
# A claimed group's value on the basis that makes a rejection a finding, in report order.
REJECTED_FINDINGS = (
    ("group_persecution", "rejected_group_persecution_member"),
    ("risk_profile", "rejected_risk_profile_member"),
)
# Finding codes and whether each flags the decision for a second look (else: information).
FINDINGS = {
    "no_recorded_policy": True,
    "decided_during_decision_moratorium": True,
    "rejected_group_persecution_member": True,
    "rejected_risk_profile_member": False,
    "rejected_from_most_exceptional_15c_area": True,
    "granted_despite_declined_group": False,
}


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


def _nothing() -> Mapping[str, Any]:
    return {}


NO_POLICY = Snapshot(None, None, None, _nothing)


class States(Protocol):
    def timeline(self, country: str) -> Timeline: ...

    def history(self, country: str) -> Timeline: ...

    def known(self, country: str, within: list[Span] | None = None) -> Timeline: ...

    def recorder(self, country: str) -> Callable[[str, int], int]: ...

    def snapshot(self, timeline: Timeline, row: int) -> Snapshot: ...

    def records(self, country: str) -> dict[str, AmendmentRecord]: ...

    def stored_records(self, country: str) -> dict[str, AmendmentRecord]: ...

    def value_changes(self, country: str) -> ValueChanges: ...

    def has_policy(self, country: str) -> bool: ...


class StoredStates:
    """States from the read model (the in-process index and its timelines)."""

    def __init__(self, index: ReadIndex) -> None:
        self.index = index
        self._known: dict[str, Timeline] = {}

    def has_policy(self, country: str) -> bool:
        return self.index.has_country(country)

    def timeline(self, country: str) -> Timeline:
        """The policy as known now along valid time (here: the stored history's current rows)."""
        return self.history(country)

    def history(self, country: str) -> Timeline:
        """Every stored row of the country, current and superseded."""
        code = self.index.country(country).code  # CountryNotFoundError without a policy
        return self.index.timeline(code)

    def known(self, country: str, within: list[Span] | None = None) -> Timeline:
        """On each date (`within` those spans only), the policy as published by that date
        (the stored acts only)."""
        found = self._known.get(country)
        if found is None:
            records = self.stored_records(country)
            segments = known_segments(country, records.values(), within)
            changes = partial(self.index.value_changes, country)
            # Versions as hashed everywhere; the states need only tell rows apart.
            states = [f"{country}:published:{i}" for i in range(len(segments))]
            ids = (version_ids(country, segments), states)
            found = segment_timeline(country, segments, changes, ids, compact=True)
            self._known[country] = found
        return found

    def recorder(self, country: str) -> Callable[[str, int], int]:
        """Finds the position in `history` of the row in force on a date as recorded at a
        moment (micros)."""
        return self.history(country).index_at

    def snapshot(self, timeline: Timeline, row: int) -> Snapshot:
        if row < 0:
            return NO_POLICY
        held = _held_state(timeline, row)
        if held is not None:
            elements = {k: s.to_json() for k, s in held.items()}
            version, state = timeline.version_ids[row], timeline.state_ids[row]
            return Snapshot(version, state, timeline.starts[row], partial(dict, elements))
        state_id = timeline.state_ids[row]
        fetch = partial(self.index.elements, timeline.code, state_id)
        return Snapshot(timeline.version_ids[row], state_id, timeline.starts[row], fetch)

    def records(self, country: str) -> dict[str, AmendmentRecord]:
        return self.stored_records(country)

    def stored_records(self, country: str) -> dict[str, AmendmentRecord]:
        if not self.index.has_country(country):
            return {}
        return self.index.country(country).records

    def value_changes(self, country: str) -> ValueChanges:
        return self.index.value_changes(self.index.country(country).code)


def _held_state(timeline: Timeline, row: int) -> Mapping[str, Any] | None:
    """A row's element states where the timeline holds them in memory (None: in the read
    model)."""
    if timeline.segments is not None:
        return timeline.segments[row].state
    if timeline.element_state is not None:
        state_of = timeline.element_state
        return {k: state_of(key) for k, key in timeline.state_keys(row).items()}
    return None


def segment_snapshot(segment: Segment) -> Snapshot:
    elements = {k: s.to_json() for k, s in segment.state.items()}
    start = segment.valid_from.isoformat()
    return Snapshot(segment.version_id, segment.state_id, start, partial(dict, elements))


class AmendedChange(NamedTuple):
    """A change of one fact between decision and review, with the amendment behind it and
    the line a report shows, e.g. "group:pti not stated→risk_profile (stated on one side
    only; Kamerstuk …)"."""

    change: FactChange
    amendment: AmendmentRecord | None
    text: str

    @classmethod
    def of(cls, change: FactChange, amendment: AmendmentRecord | None) -> AmendedChange:
        notes = [DIRECTIONS.get(change.direction, change.direction)]
        if amendment is not None:
            notes += [s.reference for s in amendment.sources]
        before = plain(change.before, change.status_before)
        after = plain(change.after, change.status_after)
        text = f"{change.key} {before}→{after} ({'; '.join(notes)})"
        return cls(change, amendment, text)

    def doc(self) -> Doc:
        c = self.change
        summary = amendment_summary(self.amendment) if self.amendment is not None else None
        return {
            "fact": c.key,
            "element": c.element,
            "before": c.before,
            "after": c.after,
            "status_before": c.status_before,
            "status_after": c.status_after,
            "direction": c.direction,
            "amendment": summary,
            "sources": summary["sources"] if summary else [],
        }


def plain(value: Any, status: str = "stated") -> str:
    """A fact's value as a report's text shows it."""
    if status == NOT_STATED:
        return "not stated"
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return f"{text} (attested later)" if status == ATTESTED_LATER else text


class Finding(NamedTuple):
    """A rule in force on the basis that bears on the decision's outcome."""

    code: str
    facts: tuple[str, ...]

    @property
    def flags(self) -> bool:
        return FINDINGS[self.code]


@dataclass(init=False)  # init=False: as domain.facts.Case
class Audited:
    """One decision's audit: the verdict and what a report's row shows; `doc()` is the whole
    document (every relevant fact of the three states, with provenance)."""

    case: Case
    review_date: str
    basis: str
    verdict: str
    record_differs: bool
    citation: str
    versions: tuple[str | None, str | None, str | None]  # at decision, on the basis, at review
    changes: list[AmendedChange]
    changes_text: str  # the changes as one line, e.g. "group:pti none→risk_profile (in favour; …)"
    findings: tuple[Finding, ...]
    unknown_groups: tuple[str, ...]
    cited: tuple[Doc, ...]
    _document: Callable[[Audited], Doc] = field(repr=False)

    def __init__(
        self,
        case: Case,
        review_date: str,
        basis: str,
        verdict: str,
        record_differs: bool,
        citation: str,
        versions: tuple[str | None, str | None, str | None],
        changes: list[AmendedChange],
        changes_text: str,
        findings: tuple[Finding, ...],
        unknown_groups: tuple[str, ...],
        cited: tuple[Doc, ...],
        document: Callable[[Audited], Doc],
    ) -> None:
        self.case = case
        self.review_date = review_date
        self.basis = basis
        self.verdict = verdict
        self.record_differs = record_differs
        self.citation = citation
        self.versions = versions
        self.changes = changes
        self.changes_text = changes_text
        self.findings = findings
        self.unknown_groups = unknown_groups
        self.cited = cited
        self._document = document

    @property
    def flagged(self) -> bool:
        """Worth a second look: its facts changed or went indeterminate, its basis differs
        from what is known now, it cites another version or a text not in force, or a
        finding flags it."""
        return (
            self.verdict != "unchanged"
            or self.record_differs
            or self.citation == "mismatch"
            or any(f.flags for f in self.findings)
            or any(c["status"] == "not_in_force" for c in self.cited)
        )

    @property
    def indeterminate(self) -> list[str]:
        """The facts stated on one side only (what makes a verdict indeterminate)."""
        return [c.change.key for c in self.changes if c.change.direction == UNKNOWN]

    def doc(self) -> Doc:
        return self._document(self)


@dataclass
class Summary:
    basis: str = PUBLISHED
    audited: int = 0
    rejected: int = 0
    # Small counters, one increment each per row: memory stays small whatever the file.
    months: Counter[tuple[str, str]] = field(default_factory=Counter)  # (month, verdict)
    countries: Counter[str] = field(default_factory=Counter)
    record_differs: Counter[bool] = field(default_factory=Counter)
    citations: Counter[str] = field(default_factory=Counter)
    findings: Counter[str] = field(default_factory=Counter)
    cited: Counter[str] = field(default_factory=Counter)
    warned: int = 0

    def add(self, result: Audited) -> None:
        self.audited += 1
        case = result.case
        self.months[(case.decided_on[:7], result.verdict)] += 1
        self.countries[case.country] += 1
        self.record_differs[result.record_differs] += 1
        self.citations[result.citation] += 1
        for finding in result.findings:
            self.findings[finding.code] += 1
        for status in {cited["status"] for cited in result.cited}:  # once per decision
            self.cited[status] += 1
        if result.unknown_groups:
            self.warned += 1

    def to_json(self) -> Doc:
        verdicts: Counter[str] = Counter()
        months: dict[str, Counter[str]] = {}
        for (month, judged), n in sorted(self.months.items()):
            verdicts[judged] += n
            months.setdefault(month, Counter())[judged] += n
        return {
            "basis": self.basis,
            "decisions": self.audited + self.rejected,
            "audited": self.audited,
            "rejected": self.rejected,
            "verdicts": dict(verdicts),
            "record_differs": {str(k).lower(): n for k, n in self.record_differs.items()},
            "citations": dict(self.citations),
            "cited": dict(sorted(self.cited.items())),
            "findings": dict(sorted(self.findings.items())),
            "warnings": {"unknown_groups": self.warned},
            "countries": dict(sorted(self.countries.items())),
            "months": {m: dict(c) for m, c in months.items()},
        }


class Part:
    """Facts judged together for a decision: one claimed group's three, or the place's
    (protection, internal protection alternative, Article 15(c), moratoria, reception).
    Along a timeline's rows it has runs where none of its facts changes; every decision in a
    run reads the same facts and, the review date being the audit's, the same changes, so
    each run is read (`facts`) and judged (`runs`) once."""

    __slots__ = ("columns", "facts", "runs", "starts")

    def __init__(self, columns: tuple[FactColumn, ...]) -> None:
        self.columns = columns
        self.starts = sorted({0, *(start for c in columns for start in c.starts)})
        self.runs: list[Run | None] = [None] * (len(self.starts) + 1)  # [-1]: no policy
        self.facts: list[tuple[Fact, ...] | None] = [None] * (len(self.starts) + 1)


# Where a part's facts are read, as a small key: a claimed group's (group, chain, exempt),
# or the place's (None, chain, exempt, minor), with `chain` the places along which the
# country has rules (Country.chain): decisions from places without rules of their own share it.
PartKey = tuple[Any, ...]


def part_specs(key: PartKey) -> tuple[FactSpec, ...]:
    if key[0] is None:
        return place_specs(key[1], key[3], key[2])
    return group_specs(key[0], key[1], key[2])


Amended = tuple[tuple[AmendedChange, ...], str]  # changes with their amendments, and their line


class Run:
    """A part's run of rows, judged against the review date."""

    def __init__(
        self,
        facts: tuple[Fact, ...],
        changes: tuple[FactChange, ...],
        ways: int,
        usual: tuple[str | None, ...],
        earliest: str,
    ) -> None:
        self.facts = facts  # the facts in the run
        # Whether they hold no attestation and no stated end (which a basis may not see).
        self.plain = _plain(facts)
        self.changes = changes  # against the review date
        self.ways = ways  # bits of WAYS: 1 in favour, 2 against, 4 stated on one side only
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


VERDICTS = tuple(verdict_of(ways).value for ways in range(8))  # by ways
CITATIONS = {c: c.value for c in Citation}  # an enum's `value` is a slow descriptor
# Remembered parts, and runs judged in them: bounded whatever the file. A run takes about
# 220 bytes with what it shares (a million decisions in random order judge ~82,000); below
# the runs a file keeps asking for, forgetting would judge them over and over.
MAX_CACHED = 100_000
MAX_RUNS = 150_000


class Country:
    """What an audit keeps of one country: its timelines, the review row, the parts asked
    about so far, when each element's value last changed by the review date, its
    attestations and the groups its ledger has ever named."""

    __slots__ = (
        "_states",
        "attested",
        "basis",
        "chains",
        "changes",
        "citations",
        "code",
        "covered",
        "drafted",
        "excepting",
        "last",
        "named",
        "now",
        "parts",
        "past",
        "places",
        "published",
        "recorded_from",
        "recorded_row",
        "review",
        "side_parts",
        "spans",
        "stored",
        "unpublished",
    )

    def __init__(self, states: States, code: str, review_date: str, basis: str) -> None:
        self.code = code
        self.covered = states.has_policy(code)
        self.now = states.timeline(code) if self.covered else EMPTY
        self.past = states.history(code) if self.covered else EMPTY
        # On the recorded basis the official read the stored history; on the published
        # basis the stored rows too, except on the dates where what was published by then
        # may differ from what is known now (`unpublished`): there, and wherever drafts
        # change the present, a timeline of what was published by each date (made once).
        self.basis = self.past if basis == RECORDED or not self.covered else None
        self._states = states
        records = states.stored_records(code).values() if self.covered else ()
        spans = unpublished_spans(records) if basis == PUBLISHED else []
        self.spans = spans
        self.unpublished = ([s.isoformat() for s, _ in spans], [e.isoformat() for _, e in spans])
        self.drafted = self.now is not self.past
        self.review = self.now.row_on(review_date)
        self.recorded_row = states.recorder(code) if self.covered else EMPTY.index_at
        # When the present is the stored history, a current row is also a recorded one.
        self.stored = self.now is self.past and self.now.recorded_from is not None
        self.recorded_from = self.now.recorded_from or []
        self.parts: dict[PartKey, Part] = {}
        self.side_parts: dict[PartKey, Part] = {}
        self.chains: dict[tuple[str | None, tuple[str, ...]], tuple[str | None, ...]] = {}
        # amendment -> the days its published view changes, and whether it is published
        # (with an in-force date) from each
        self.published: dict[str, tuple[list[str], list[bool]]] = {}
        # element -> the days its value changed as known now, and the amendments that did;
        # and the last such change by the review date (the cause of most changes).
        self.changes = states.value_changes(code) if self.covered else {}
        self.last: dict[str, tuple[str, str]] = {}
        for element, (days, amendments, _) in self.changes.items():
            i = bisect_right(days, review_date) - 1
            if i >= 0:
                self.last[element] = (days[i], amendments[i])
        self.named = frozenset(e.split(":")[1] for e in self.changes if e.startswith("group:"))
        # What the country's exceptions name ("group:<id>", "type:<kind>"), ever.
        self.excepting = frozenset(_exempted(states.records(code).values()) if self.covered else ())
        every = states.records(code).values() if self.covered else ()
        self.places = named_places(change for record in every for change in record.changes)
        self.citations: CitationIndex | None = None  # made when a decision first cites a text
        self.attested: dict[str, list[Attested]] = {}
        if self.covered:
            for a in attestations(states.records(code).values(), END_OF_TIME):
                self.attested.setdefault(a.element, []).append(a)

    def chain(self, region: str | None, areas: tuple[str, ...]) -> tuple[str | None, ...]:
        """The places along which a rule of this country could apply to someone from
        `region` in `areas` (domain.places.place_chain without the places it has no rules
        for: they could not answer)."""
        found = self.chains.get((region, areas))
        if found is None:
            if len(self.chains) >= MAX_CACHED:
                self.chains.clear()
            places = self.places
            found = tuple(p for p in place_chain(region, areas) if p is None or p in places)
            self.chains[(region, areas)] = found
        return found

    def exempt(self, case: Case) -> tuple[str, ...]:
        """Who the case is, as the country's exceptions name them (FactSpec.exempt): only
        names an exception uses, so that other cases share their specs."""
        excepting = self.excepting
        if not excepting:
            return ()
        found = [f"group:{g}" for g in case.groups]
        if case.application_type:
            found.append(f"type:{case.application_type}")
        return tuple(e for e in found if e in excepting)

    def published_by(self, record: AmendmentRecord, day: str) -> bool:
        """domain.known.published_by, read from the days the record's published view changes."""
        found = self.published.get(record.id)
        if found is None:
            days = sorted(publication_days(record))
            found = ([d.isoformat() for d in days], [published_by(record, d) for d in days])
            self.published[record.id] = found
        days_iso, seen = found
        i = bisect_right(days_iso, day) - 1
        return i >= 0 and seen[i]

    def row_start(self, timeline: Timeline, row: int) -> str:
        return timeline.starts[row] if row >= 0 else ""

    def known(self) -> Timeline:
        """What was published by each date, on the dates it may differ from now."""
        if self.basis is None:
            spans = None if self.drafted else self.spans
            self.basis = self._states.known(self.code, spans)
        return self.basis

    def published_as_known(self, day: str) -> bool:
        """Whether on `day` what was published by then is what is known now."""
        if self.drafted:
            return False
        starts, ends = self.unpublished
        i = bisect_right(starts, day) - 1
        return i < 0 or day >= ends[i]


EMPTY = Timeline("", [], [], [], [], lambda: [], lambda key: {})


class Auditor:
    def __init__(
        self,
        states: States,
        review_date: dt.date,
        cache_size: int = 4096,
        basis: str = PUBLISHED,
    ):
        if basis not in BASES:
            raise ValueError(f"basis must be one of {', '.join(BASES)}")
        self.states = states
        self.review_date: str = review_date.isoformat()
        self.basis = basis
        self.summary = Summary(basis)
        self._countries: dict[str, Country] = {}
        self._parts: dict[tuple[FactColumn, ...], Part] = {}
        self._runs = 0  # judged since the parts were last forgotten
        self._interned: dict[Any, Any] = {}  # see _same
        self._changes: dict[tuple[FactChange, str | None], AmendedChange] = {}
        # Bounded, so memory does not grow with the file.
        self._provenance: Lru[Hashable, Doc] = Lru(cache_size * 2)
        self._cited: Lru[tuple[str, str, str, int], Doc] = Lru(cache_size)

    def audit(self, decision: Decision) -> Doc:
        """One decision's audit document; raises LedgerError when it cannot be audited."""
        return self.judge(decision.case()).doc()

    def judge(self, case: Case) -> Audited:
        """One decision judged."""
        # The hot path of an audit of millions of rows: look-ups only, each judgement shared.
        country = self._countries.get(case.country) or self._country(case.country)
        now, day = country.now, case.decided_on
        row = now.row_on(day)
        side, side_row = self._side(country, case, row)
        same_row = side is now and side_row == row and row >= 0
        changes: list[AmendedChange] = []
        texts: list[str] = []
        ways = 0
        differs = False
        usual = day <= self.review_date
        basis_facts: list[Fact] = []
        outcome = case.outcome
        for key in self._profile(country, case):
            part = country.parts.get(key) or self._part(country, key, country.parts, now)
            run = (part.runs[bisect_right(part.starts, row) - 1] if row >= 0 else None) or (
                self._run(country, part, row, day)
            )
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
            if same_row:  # the basis reads the run's own row: its facts, as it sees them
                seen = run.facts if run.plain else self._as_seen(country, part, run.facts, case)
            else:
                side_part = part
                if side is not now:
                    parts = country.side_parts
                    side_part = parts.get(key) or self._part(country, key, parts, side)
                facts = self._facts(country, side_part, side_row, side, day)
                seen = self._as_seen(country, side_part, facts, case)
            if not differs:
                differs = not _same(seen, run.facts)
            if outcome is not None or row < 0:
                basis_facts += seen
        findings = _findings(row < 0, outcome, basis_facts) if basis_facts else ()
        basis_version = side.versions[side_row]
        result = Audited(
            case,
            self.review_date,
            self.basis,
            VERDICTS[ways],
            differs,
            CITATIONS[citation(case.cited_version_id, basis_version)],
            (now.versions[row], basis_version, now.versions[country.review]),
            changes,
            "; ".join(texts),
            findings,
            tuple(g for g in case.groups if g not in country.named),
            tuple(self._check_cited(country, case, c) for c in case.cited),
            self._document,
        )
        self.summary.add(result)
        return result

    def _side(self, country: Country, case: Case, row: int) -> tuple[Timeline, int]:
        """The timeline and row the official read the policy from (`row`: the row in
        force on the decision date as known now)."""
        day = case.decided_on
        if self.basis == PUBLISHED:
            if country.published_as_known(day):
                return country.now, row
            known = country.known()
            return known, known.row_on(day)
        if country.stored and row >= 0 and country.recorded_from[row] <= case.micros:
            return country.past, row  # what is in force now was recorded before the decision
        return country.past, country.recorded_row(day, case.micros)

    def _profile(self, country: Country, case: Case) -> list[PartKey]:
        """Where each of the case's facts is read (see PartKey). Its exemptions (groups,
        application type) and places are kept only where the country's rules name them:
        other cases share their keys, and so their columns and runs."""
        exempt = country.exempt(case)
        chain = country.chain(case.region, case.areas)
        found: list[PartKey] = [(g, chain, exempt) for g in case.groups]
        found.append((None, chain, exempt, case.unaccompanied_minor))
        return found

    def _country(self, code: str) -> Country:
        found = Country(self.states, code, self.review_date, self.basis)
        self._countries[code] = found
        return found

    def _part(
        self, country: Country, key: PartKey, parts: dict[PartKey, Part], timeline: Timeline
    ) -> Part:
        if len(self._parts) >= MAX_CACHED:
            self._forget_parts()
        # Specs that differ only in elements the country never had share their columns, and
        # so their facts and runs (a group's in every region without a regional element).
        columns = tuple(timeline.column(s) for s in part_specs(key))
        found = self._parts.get(columns)
        if found is None:
            found = self._parts[columns] = Part(columns)
        parts[key] = found
        return found

    def _forget_parts(self) -> None:
        """Forgets every part and its runs: memory stays bounded."""
        for country in self._countries.values():
            country.parts.clear()
            country.side_parts.clear()
            country.published.clear()
        self._parts.clear()
        self._runs = 0
        self._interned.clear()
        self._changes.clear()

    def _facts(
        self, country: Country, part: Part, row: int, timeline: Timeline, day: str
    ) -> tuple[Fact, ...]:
        """The part's facts on `day` in a row (attestations known now read in): remembered
        per run; on no row (no policy then), for the day alone, as an attestation may come
        into force on any day after it."""
        if row < 0:
            return tuple(self._attest(country, c, c.fact(-1), day) for c in part.columns)
        k = bisect_right(part.starts, row) - 1
        found = part.facts[k]
        if found is None:
            # Within a row an attestation of a fact not stated comes into force only after
            # its last day (it would state the fact): its start stands for every day in it.
            start = timeline.starts[row]
            facts = [self._attest(country, c, c.fact(c.run(row)), start) for c in part.columns]
            found = part.facts[k] = self._same(tuple(facts))
        return found

    def _attest(
        self,
        country: Country,
        column: FactColumn,
        fact: Fact,
        start: str,
        seen: Callable[[str], bool] | None = None,
    ) -> Fact:
        """A fact not stated on a row that starts on `start`, as a later attestation states
        it (in force after `start`; with `seen`, one whose amendment it sees), if one does;
        else the fact as it is."""
        if fact.status != NOT_STATED or fact.excepted is not None or not country.attested:
            return fact
        spec = column.spec
        for element in spec.candidates:
            for a in country.attested.get(element, ()):
                if a.attested_from.isoformat() > start and (seen is None or seen(a.amendment_id)):
                    return attested(spec, element, a.value, a.attested_from.isoformat())
        return fact

    def _as_seen(
        self, country: Country, part: Part, facts: tuple[Fact, ...], case: Case
    ) -> tuple[Fact, ...]:
        """The facts as the basis could see them (acts published, or recorded, by the
        decision): an attestation it could not see gives way to one it could, or to
        nothing; an end it could not see leaves the fact not stated."""
        if _plain(facts):
            return facts

        def sees(amendment: str) -> bool:
            return self._sees(country, amendment, case)

        found = []
        for column, fact in zip(part.columns, facts, strict=True):
            if fact.status == ATTESTED_LATER:
                fact = self._attest(country, column, _unstated(fact), case.decided_on, sees)
            elif fact.ended and not sees(_amendment_of(country, fact, case) or ""):
                fact = _unstated(fact)
            found.append(fact)
        return tuple(found)

    def _sees(self, country: Country, amendment: str, case: Case) -> bool:
        """Whether the basis sees an amendment on the decision date."""
        record = self.states.records(country.code)[amendment]
        if self.basis == PUBLISHED:
            return country.published_by(record, case.decided_on)
        return record.applies_as_of(from_micros(case.micros)) is not None

    def _run(self, country: Country, part: Part, row: int, day: str) -> Run:
        """The run of `row` judged against the review date; remembered for the run."""
        if self._runs >= MAX_RUNS:
            self._forget_parts()  # `part` stays whole for the decision being judged
        self._runs += 1
        before = self._facts(country, part, row, country.now, day)
        after = self._facts(country, part, country.review, country.now, self.review_date)
        changes = []
        ways = 0
        for column, old, new in zip(part.columns, before, after, strict=True):
            change = change_of(column.spec.key, old, new)
            if change is not None:
                changes.append(self._same(change))
                ways |= WAYS[change.direction]
        lasts = [country.last.get(c.element) if c.element else None for c in changes]
        usual = self._same(tuple(last[1] if last else None for last in lasts))
        earliest = min((last[0] for last in lasts if last), default=END_OF_DAYS)
        run = bisect_right(part.starts, row) - 1
        found = Run(before, tuple(changes), ways, usual, earliest)
        if row >= 0:  # on no row, the facts are the day's own
            part.runs[run] = found
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

    def _cause(self, country: Country, element: str | None, decided_on: str) -> str | None:
        """The amendment behind a change: the last to alter its element between the dates."""
        if element is None:
            return None
        review = self.review_date
        if decided_on <= review:
            last = country.last.get(element)
            return last[1] if last is not None and last[0] > decided_on else None
        days, amendments, _ = country.changes.get(element, NO_CHANGES)
        i = bisect_right(days, decided_on) - 1
        return amendments[i] if i >= 0 and days[i] > review else None

    def _check_cited(self, country: Country, case: Case, cited: str) -> Doc:
        moment = 0 if self.basis == PUBLISHED else case.micros
        key = (case.country, cited, case.decided_on, moment)
        found = self._cited.get(key)
        if found is None:
            found = self._cited_doc(country, case, cited)
            self._cited.put(key, found)
        return found

    def _cited_doc(self, country: Country, case: Case, cited: str) -> Doc:
        on = dt.date.fromisoformat(case.decided_on)
        if country.citations is None:
            country.citations = CitationIndex(self.states.stored_records(case.country).values())
        records = country.citations.matching(cited)
        at = from_micros(case.micros)

        def view(record: AmendmentRecord) -> tuple[AmendmentRecord | None, dt.datetime]:
            if self.basis == PUBLISHED:
                return record.as_published(on), END_OF_TIME
            return (record if record.is_known(at) else None), at

        if not records:
            return check_cited(cited, records, on, view, lambda amendment: False)
        holding: set[str] | None = None

        def holds(amendment: str) -> bool:
            # Read the state only for a text that names an amendment in force: most do not.
            nonlocal holding
            if holding is None:
                holding = self._holding(country, case)
            return amendment in holding

        return check_cited(cited, records, on, view, holds)

    def _holding(self, country: Country, case: Case) -> set[str]:
        """The amendments that hold part of the policy the basis reads on the decision date:
        behind an element's state, or behind the end of one that stays ended."""
        side, side_row = self._side(country, case, country.now.row_on(case.decided_on))
        elements = self.states.snapshot(side, side_row).elements
        holding = {a["amendment"] for e in elements.values() for a in e["acts"]}
        for element, (days, amendments, actions) in country.changes.items():
            i = bisect_right(days, case.decided_on) - 1
            if i >= 0 and actions[i] and element not in elements:
                holding.add(amendments[i])
        return holding

    # The whole document, for answers and reports that show it ----------------------------

    def _document(self, result: Audited) -> Doc:
        case = result.case
        country = self._countries[case.country]
        now = country.now
        row = now.row_on(case.decided_on)
        side, side_row = self._side(country, case, row)
        side_name = "as_known" if self.basis == PUBLISHED else "as_recorded"
        sides = {
            "at_decision": self._side_doc(country, case, now, row, case.decided_on, False),
            side_name: self._side_doc(country, case, side, side_row, case.decided_on, True),
            "at_review": self._side_doc(
                country, case, now, country.review, self.review_date, False
            ),
        }
        return {
            "id": case.id,
            "country": case.country,
            "decided_on": case.decided_on,
            "recorded_at": case.recorded_at,
            "review_date": self.review_date,
            "basis": self.basis,
            "groups": list(case.groups),
            "region": case.region,
            "areas": list(case.areas),
            "unaccompanied_minor": case.unaccompanied_minor,
            "age": case.age,
            "applied_on": case.applied_on,
            "application_type": case.application_type,
            "outcome": case.outcome,
            "verdict": result.verdict,
            "indeterminate": result.indeterminate,
            "record_differs": result.record_differs,
            "citation": result.citation,
            "cited": list(result.cited),
            "findings": [self._finding_doc(f, sides[side_name]) for f in result.findings],
            "warnings": _warnings(result),
            **sides,
            "changes": [c.doc() for c in result.changes],
        }

    def _side_doc(
        self, country: Country, case: Case, timeline: Timeline, row: int, day: str, basis: bool
    ) -> Doc:
        snapshot = self.states.snapshot(timeline, row)
        docs: Doc = {}
        parts = country.parts if timeline is country.now else country.side_parts
        for key in self._profile(country, case):
            part = parts.get(key) or self._part(country, key, parts, timeline)
            facts = self._facts(country, part, row, timeline, day)
            if basis:
                facts = self._as_seen(country, part, facts, case)
            for fact in facts:
                docs[fact.key] = self._fact_doc(country, fact, snapshot, row, timeline)
        return {
            "version_id": snapshot.version_id,
            "coverage": snapshot.state_id is not None,
            "facts": docs,
        }

    def _fact_doc(
        self, country: Country, fact: Fact, snapshot: Snapshot, row: int, timeline: Timeline
    ) -> Doc:
        doc: Doc = {"status": fact.status, "value": fact.value, "element": fact.element}
        if fact.excepted is not None:
            doc["excepted"] = fact.excepted
        if fact.element is None or fact.excepted is not None:
            return doc
        if fact.status == ATTESTED_LATER:
            return {**doc, **self._attested_provenance(country, fact)}
        elements = snapshot.elements
        if fact.element not in elements:  # a stated end: the act that ended it
            return {**doc, **self._end_provenance(country, fact, row, timeline)}
        # Keyed by the element's content where known: shared by every state it is unchanged in.
        key = (
            elements.content_id(fact.element)
            if isinstance(elements, StateElements)
            else (snapshot.state_id, fact.element)
        )
        provenance = self._provenance.get(key)
        if provenance is None:
            provenance = self._provenance_of(country.code, fact.element, elements[fact.element])
            self._provenance.put(key, provenance)
        return {**doc, **provenance}

    def _provenance_of(self, code: str, element_id: str, element: Mapping[str, Any]) -> Doc:
        records = self.states.records(code)
        acts = [a for a in element["acts"] if a["amendment"] in records]
        return {
            "since": element["since"],
            "amendments": [
                {"id": a["amendment"], "action": a["action"], "on": a["on"]} for a in acts
            ],
            "sources": element_sources(element_id, acts, records),
        }

    def _attested_provenance(self, country: Country, fact: Fact) -> Doc:
        records = self.states.records(country.code)
        attesting = _attesting(country, fact)
        return {
            "since": fact.since,
            "amendments": [
                {"id": a.amendment_id, "action": "attest", "on": fact.since} for a in attesting
            ],
            "sources": sources_of(records[a.amendment_id] for a in attesting),
        }

    def _end_provenance(self, country: Country, fact: Fact, row: int, timeline: Timeline) -> Doc:
        days, amendments, actions = country.changes.get(fact.element or "", NO_CHANGES)
        i = bisect_right(days, country.row_start(timeline, row)) - 1
        if i < 0 or actions[i] not in STATED_ENDS:
            return {}
        records = self.states.records(country.code)
        return {
            "since": days[i],
            "amendments": [{"id": amendments[i], "action": actions[i], "on": days[i]}],
            "sources": sources_of([records[amendments[i]]]),
        }

    def _finding_doc(self, finding: Finding, side: Doc) -> Doc:
        facts = {key: side["facts"][key] for key in finding.facts if key in side["facts"]}
        amendments = sorted(
            {a["id"] for fact in facts.values() for a in fact.get("amendments") or ()}
        )
        return {
            "code": finding.code,
            "flags": finding.flags,
            "facts": facts,
            "amendments": amendments,
        }


def _same(first: tuple[Fact, ...], second: tuple[Fact, ...]) -> bool:
    if first is second:
        return True
    return all(
        a.status == b.status and a.value == b.value for a, b in zip(first, second, strict=True)
    )


def _plain(facts: tuple[Fact, ...]) -> bool:
    """Whether the facts hold no attestation and no stated end: every basis sees them as
    they are (most do)."""
    return not any(f.status == ATTESTED_LATER or f.ended for f in facts)


def _exempted(records: Iterable[AmendmentRecord]) -> Iterator[str]:
    """Who the records' exceptions name, as FactSpec.exempt names them."""
    for record in records:
        for change in record.changes:
            for exception in getattr(change, "exceptions", ()):
                if exception.group:
                    yield f"group:{exception.group}"
                if exception.application_type:
                    yield f"type:{exception.application_type.value}"


def _amendment_of(country: Country, fact: Fact, case: Case) -> str | None:
    """The amendment behind a stated end (None for any other fact)."""
    if not fact.ended:
        return None
    days, amendments, _ = country.changes.get(fact.element or "", NO_CHANGES)
    return amendments[bisect_right(days, case.decided_on) - 1]


def _attesting(country: Country, fact: Fact) -> list[Attested]:
    """The attestations behind an attested_later fact."""
    held = country.attested[fact.element or ""]
    return [a for a in held if a.attested_from.isoformat() == fact.since]


def _unstated(fact: Fact) -> Fact:
    return Fact(fact.key, None, None, NOT_STATED)


def _warnings(result: Audited) -> list[Doc]:
    if not result.unknown_groups:
        return []
    return [
        {
            "code": "unknown_groups",
            "groups": list(result.unknown_groups),
            "message": "the country's ledger has never named these groups; judged as given",
        }
    ]


def outcome_kind(outcome: str | None) -> str | None:
    """`granted`, `rejected`, or None for an outcome the findings do not read."""
    if outcome is None:
        return None
    word = outcome.strip().lower()
    if word in GRANTED:
        return "granted"
    if word in REJECTED:
        return "rejected"
    return None


def _findings(no_policy: bool, outcome: str | None, facts: list[Fact]) -> tuple[Finding, ...]:
    """The rules on the basis that bear on the decision (see FINDINGS), from its stated
    facts (one pass: a million decisions ask)."""
    found: list[Finding] = []
    if no_policy:
        found.append(Finding("no_recorded_policy", ()))
    if outcome is None:
        return tuple(found)
    moratorium = most_exceptional = False
    by_value: dict[Any, list[str]] = {}  # a group's value -> its facts' keys
    for fact in facts:
        if fact.status == NOT_STATED:
            continue
        key, value = fact.key, fact.value
        if key.startswith("group:"):
            by_value.setdefault(value, []).append(key)
        elif key == "moratorium:decision":
            moratorium = value is True
        elif key == "article_15c":
            most_exceptional = value == "most_exceptional"
    if moratorium:
        found.append(Finding("decided_during_decision_moratorium", ("moratorium:decision",)))
    kind = outcome_kind(outcome)
    if kind == "rejected":
        for value, code in REJECTED_FINDINGS:
            if value in by_value:
                found.append(Finding(code, tuple(by_value[value])))
        if most_exceptional:
            found.append(
                Finding("rejected_from_most_exceptional_15c_area", ("article_15c", "ipa:general"))
            )
    if kind == "granted" and DECLINED in by_value:
        found.append(Finding("granted_despite_declined_group", tuple(by_value[DECLINED])))
    return tuple(found)
