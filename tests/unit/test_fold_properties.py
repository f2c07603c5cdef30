"""Property tests: the temporal fold against a naive reference interpreter written here.

Histories are random amendment records of one country, shaped as the aggregate would write
them: one knowledge stream of recordings, in-force dates learned later and retractions, each at
a later moment than the one before, each with a publication date (stated, or by default the
day it was recorded). Values are compared, never provenance, except where the fold is held to
itself (Chronicle against state_on, incremental against from scratch).

The strategies are biased toward collisions: dates mostly come from a few shared days and
changes from a few elements, so that many histories hold two live changes of different
amendments to one element on one in-force date (the tie-break: the later-recorded wins).
Fixed examples below pin those conflicts down as well.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from itertools import pairwise
from typing import Any

import pytest
from fold_checks import assert_fed_fact_by_fact_equals_built
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.fold import Chronicle, pending_on, state_on
from domain.records import AmendmentRecord, as_published, knowledge_moments
from events.vocabulary import (
    AddNote,
    Change,
    DesignateGroup,
    GroupCategory,
    ImposeMoratorium,
    LiftMoratorium,
    MoratoriumKind,
    Reaffirm,
    RelabelGroup,
    RevokeGroup,
    SetArticle15c,
    Source,
    SourceKind,
    ViolenceLevel,
)

COUNTRY = "PK"
DAY0 = dt.date(2024, 1, 1)
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
ONE_TICK = dt.timedelta(microseconds=1)
FAR_DATES = (dt.date.min, dt.date.max)  # 0001-01-01 and 9999-12-31
FAR_MOMENTS = (dt.datetime.min.replace(tzinfo=dt.UTC), dt.datetime.max.replace(tzinfo=dt.UTC))
SOURCE = Source(kind=SourceKind.OTHER, reference="test", date=DAY0)

GROUPS = ("pti", "hazaras")
CATEGORIES = (GroupCategory.RISK_PROFILE, GroupCategory.GROUP_PERSECUTION)
LABELS = ("A", "B")
REGIONS = (None, "PK-BA")
LEVELS = (ViolenceLevel.NONE, ViolenceLevel.LOWER)
KINDS = tuple(MoratoriumKind)
ELEMENTS = (
    "group:pti",
    "group:hazaras",
    "article_15c:default",
    "article_15c:PK-BA",
    "moratorium:decision",
    "note:situation",
)

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)


def day(offset: int) -> dt.date:
    return DAY0 + dt.timedelta(days=offset)


def days(low: int, high: int) -> st.SearchStrategy[dt.date]:
    return st.integers(low, high).map(day)


SHARED_DAYS = (day(0), day(10))


def dates(low: int, high: int) -> st.SearchStrategy[dt.date]:
    """A date in [low, high] days from DAY0, mostly (3 in 4) one of a few shared days."""
    shared = st.sampled_from([d for d in SHARED_DAYS if day(low) <= d <= day(high)])
    return st.one_of(shared, shared, shared, days(low, high))


def publication(low: int = 0, high: int = 60) -> st.SearchStrategy[dt.date | None]:
    """A stated publication date of an in-force date or a retraction, or none (then it is
    the day the fact was recorded)."""
    return st.none() | dates(low, high)


# Generating histories -----------------------------------------------------------------------


def changes_from(start: dt.date) -> st.SearchStrategy[Change]:
    """One change; a moratorium's end lies after `start`, as the domain rules require."""
    group, category, label = (
        st.sampled_from(GROUPS),
        st.sampled_from(CATEGORIES),
        st.sampled_from(LABELS),
    )
    kind = st.sampled_from(KINDS)
    until = st.none() | st.integers(1, 12).map(lambda n: start + dt.timedelta(days=n))
    return st.one_of(
        st.builds(DesignateGroup, group=group, category=category, label_nl=label, label_en=label),
        st.builds(RevokeGroup, group=group, category=category),
        st.builds(
            RelabelGroup, group=group, label_nl=st.none() | label, label_en=st.none() | label
        ),
        st.builds(
            SetArticle15c,
            region=st.sampled_from(REGIONS),
            level=st.sampled_from(LEVELS),
            armed_conflict=st.booleans(),
        ),
        st.builds(ImposeMoratorium, kind=kind, until=until),
        st.builds(LiftMoratorium, kind=kind),
        st.builds(Reaffirm, element=st.sampled_from(ELEMENTS)),
        st.builds(AddNote, topic=st.just("situation"), text=st.sampled_from(("x", "y"))),
    )


def moratorium_ends(record: AmendmentRecord) -> list[dt.date]:
    return [c.until for c in record.changes if isinstance(c, ImposeMoratorium) and c.until]


@st.composite
def histories(draw: st.DrawFn) -> list[AmendmentRecord]:
    """A knowledge stream of 1..10 facts, kept as the records it leaves behind."""
    records: dict[str, AmendmentRecord] = {}
    moment, position = T0, 1
    for n in range(draw(st.integers(1, 10))):
        moment += dt.timedelta(minutes=draw(st.integers(1, 60 * 24 * 30)))
        position += draw(st.integers(1, 3))
        learnable = [
            r.id
            for r in records.values()
            if r.in_force_from is None and r.in_force_learned_at is None and r.retracted_at is None
        ]
        live = [r.id for r in records.values() if r.retracted_at is None]
        # Recordings outnumber the rest, so that several amendments are live at once.
        options = ["record"] * 3 + ["learn"] * bool(learnable) + ["retract"] * bool(live)
        match draw(st.sampled_from(options)):
            case "record":
                announced_on = draw(dates(0, 40))
                # Before announced_on: retroactive; none (1 in 3): pending, its date learned later.
                in_force_from = draw(st.one_of(st.none(), dates(0, 60), dates(0, 60)))
                start = in_force_from or announced_on
                changes = draw(st.lists(changes_from(start), min_size=1, max_size=4))
                records[f"a{n}"] = AmendmentRecord(
                    id=f"a{n}",
                    country=COUNTRY,
                    position=position,
                    recorded_at=moment,
                    announced_on=announced_on,
                    in_force_from=in_force_from,
                    attestation=False,
                    title=None,
                    sources=(SOURCE,),
                    rationale="",
                    author="hypothesis",
                    changes=tuple(changes),
                )
            case "learn":
                # Possibly on or after one of its moratoria's end, as stored before the ledger
                # refused such dates: that moratorium never applies.
                record = records[draw(st.sampled_from(learnable))]
                learned = draw(dates(0, 60))
                records[record.id] = record.with_in_force(learned, moment, draw(publication()))
            case "retract":
                record = records[draw(st.sampled_from(live))]
                records[record.id] = record.with_retraction(
                    "entered in error", moment, announced_on=draw(publication())
                )
    return list(records.values())


def interesting_dates(records: list[AmendmentRecord]) -> st.SearchStrategy[dt.date]:
    """Any date, far dates, and the dates where something starts or ends, and the day before."""
    edges = {d for r in records for d in (r.in_force_from, r.in_force_learned) if d}
    edges.update(d for r in records for d in moratorium_ends(r))
    edges.update({d - dt.timedelta(days=1) for d in edges})
    return st.one_of(
        days(-30, 130), st.sampled_from(FAR_DATES), st.sampled_from(sorted(edges) or [DAY0])
    )


def interesting_moments(records: list[AmendmentRecord]) -> st.SearchStrategy[dt.datetime]:
    """Far moments, and each knowledge moment, a tick before it and an hour after it."""
    around = [
        m + offset
        for m in knowledge_moments(records)
        for offset in (-ONE_TICK, dt.timedelta(0), dt.timedelta(hours=1))
    ]
    return st.sampled_from([*FAR_MOMENTS, *around])


def publication_dates(records: list[AmendmentRecord]) -> set[dt.date]:
    """Every date on which an act of these records was published (stated or by default)."""
    found = {r.announced_on for r in records}
    for r in records:
        if r.in_force_learned_at is not None:
            found.add(r.in_force_announced_on or r.in_force_learned_at.date())
        if r.retracted_at is not None:
            found.add(r.retraction_announced_on or r.retracted_at.date())
    return found


def interesting_publications(records: list[AmendmentRecord]) -> st.SearchStrategy[dt.date | None]:
    """No publication filter, far dates, and each publication date and the day before it."""
    edges = publication_dates(records)
    edges.update({d - dt.timedelta(days=1) for d in edges})
    return st.one_of(st.none(), st.sampled_from(FAR_DATES), st.sampled_from(sorted(edges)))


# The reference interpreter ------------------------------------------------------------------

LAPSE = "lapse"


def element_of(change: Change) -> str:
    match change:
        case DesignateGroup() | RevokeGroup() | RelabelGroup():
            return f"group:{change.group}"
        case SetArticle15c():
            return f"article_15c:{change.region or 'default'}"
        case ImposeMoratorium() | LiftMoratorium():
            return f"moratorium:{change.kind.value}"
        case Reaffirm():
            return change.element
        case AddNote():
            return f"note:{change.topic}"
    raise AssertionError(f"not in the test vocabulary: {change!r}")


def counts(recorded: dt.datetime, published: dt.date, at: dt.datetime, by: dt.date | None) -> bool:
    """An act counts when it was recorded by `at` and (if asked) published by `by`."""
    return recorded <= at and (by is None or published <= by)


def retracted(record: AmendmentRecord, at: dt.datetime, by: dt.date | None) -> bool:
    if record.retracted_at is None:
        return False
    published = record.retraction_announced_on or record.retracted_at.date()
    return counts(record.retracted_at, published, at, by)


def learned(record: AmendmentRecord, at: dt.datetime, by: dt.date | None) -> dt.date | None:
    """The in-force date learned later, if that act counts."""
    if record.in_force_learned_at is None:
        return None
    published = record.in_force_announced_on or record.in_force_learned_at.date()
    if counts(record.in_force_learned_at, published, at, by):
        return record.in_force_learned
    return None


def in_force_date(
    record: AmendmentRecord, at: dt.datetime, by: dt.date | None = None
) -> dt.date | None:
    """The record's in-force date if it counts at `at` (and publication date `by`): recorded
    and published, not retracted, date known."""
    if not counts(record.recorded_at, record.announced_on, at, by) or retracted(record, at, by):
        return None
    if record.in_force_from is not None:
        return record.in_force_from
    return learned(record, at, by)


def reference_pending(
    records: list[AmendmentRecord], on: dt.date, at: dt.datetime, by: dt.date | None = None
) -> list[str]:
    """Amendments that count but have no in-force date yet, announced on or before `on`."""
    return [
        r.id
        for r in records
        if counts(r.recorded_at, r.announced_on, at, by)
        and not retracted(r, at, by)
        and r.in_force_from is None
        and learned(r, at, by) is None
        and r.announced_on <= on
    ]


def reference(
    records: list[AmendmentRecord], on: dt.date, at: dt.datetime, by: dt.date | None = None
) -> dict[str, Any] | None:
    """Element values on `on` as known at `at`, counting only acts published by `by` (None:
    all); None when no amendment is in force by then."""
    steps: list[tuple[tuple[dt.date, int, int, int], tuple[str, int], Change | str]] = []
    covered = False
    for record in records:
        start = in_force_date(record, at, by)
        if start is None or start > on:
            continue
        covered = True
        for index, change in enumerate(record.changes):
            if isinstance(change, ImposeMoratorium) and change.until and change.until <= start:
                continue  # it ended before it began: it never applies
            steps.append(((start, record.position, index, 0), (record.id, index), change))
            if isinstance(change, ImposeMoratorium) and change.until and change.until <= on:
                steps.append(((change.until, record.position, index, 1), (record.id, index), LAPSE))
    if not covered:
        return None

    values: dict[str, Any] = {}
    established_by: dict[str, tuple[str, int]] = {}

    def establish(element: str, value: dict[str, Any], origin: tuple[str, int]) -> None:
        if values.get(element) != value:  # an identical re-set is a confirmation only
            values[element] = value
            established_by[element] = origin

    for _, origin, step in sorted(steps, key=lambda s: s[0]):
        if step == LAPSE:
            # The imposed moratorium ends, unless a later change set the element anew.
            imposition = records_change(records, origin)
            element = element_of(imposition)
            if element in values and established_by[element] == origin:
                del values[element]
            continue
        assert not isinstance(step, str)
        element = element_of(step)
        match step:
            case DesignateGroup():
                value = {"category": step.category.value, "label_nl": step.label_nl}
                establish(element, {**value, "label_en": step.label_en}, origin)
            case RevokeGroup():
                if values.get(element, {}).get("category") == step.category.value:
                    del values[element]
            case RelabelGroup():
                if element in values:
                    labels = {"label_nl": step.label_nl, "label_en": step.label_en}
                    values[element] = values[element] | {
                        k: v for k, v in labels.items() if v is not None
                    }
            case SetArticle15c():
                value = {"level": step.level.value, "armed_conflict": step.armed_conflict}
                establish(element, value, origin)
            case ImposeMoratorium():
                until = step.until.isoformat() if step.until else None
                establish(element, {"until": until}, origin)
            case LiftMoratorium():
                values.pop(element, None)
            case Reaffirm():
                pass
            case AddNote():
                establish(element, {"text": step.text}, origin)
    return values


def records_change(records: list[AmendmentRecord], origin: tuple[str, int]) -> Change:
    amendment_id, index = origin
    return next(r for r in records if r.id == amendment_id).changes[index]


def values_of(state: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if state is None else {element: s.value for element, s in state.items()}


def canonical(values: dict[str, Any]) -> str:
    return json.dumps(values, sort_keys=True)


# Properties ---------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(data=st.data(), records=histories())
def test_state_on_gives_the_values_the_reference_interpreter_gives(
    data: st.DataObject, records: list[AmendmentRecord]
) -> None:
    for _ in range(8):
        on = data.draw(interesting_dates(records), label="D")
        at = data.draw(interesting_moments(records), label="T")
        by = data.draw(interesting_publications(records), label="P")
        expected = reference(records, on, at, by)
        assert values_of(state_on(records, on, at, published_by=by)) == expected
        if by is None:
            assert values_of(state_on(records, on, at)) == expected


@PROPERTY_SETTINGS
@given(data=st.data(), records=histories())
def test_pending_amendments_are_those_the_reference_interpreter_finds(
    data: st.DataObject, records: list[AmendmentRecord]
) -> None:
    for _ in range(8):
        on = data.draw(interesting_dates(records), label="D")
        at = data.draw(interesting_moments(records), label="T")
        by = data.draw(interesting_publications(records), label="P")
        found = [r.id for r in pending_on(records, on, at, published_by=by)]
        assert found == reference_pending(records, on, at, by)


@PROPERTY_SETTINGS
@given(data=st.data(), records=histories())
def test_publication_narrows_what_counts_and_a_late_enough_date_narrows_nothing(
    data: st.DataObject, records: list[AmendmentRecord]
) -> None:
    """Published by a date after every publication, the answer is the unfiltered one."""
    on = data.draw(interesting_dates(records), label="D")
    at = data.draw(interesting_moments(records), label="T")
    last = max(publication_dates(records))
    unfiltered = values_of(state_on(records, on, at))
    for by in (last, dt.date.max):
        assert values_of(state_on(records, on, at, published_by=by)) == unfiltered


@PROPERTY_SETTINGS
@given(data=st.data(), records=histories())
def test_chronicle_segments_tile_valid_time_and_agree_with_state_on(
    data: st.DataObject, records: list[AmendmentRecord]
) -> None:
    at = data.draw(interesting_moments(records), label="T")
    by = data.draw(interesting_publications(records), label="P")
    chronicle = Chronicle.build(COUNTRY, as_published(records, by), at)
    segments = chronicle.segments
    for segment in segments:
        assert segment.valid_to is None or segment.valid_from < segment.valid_to
    for earlier, later in pairwise(segments):
        assert earlier.valid_to == later.valid_from  # sorted, contiguous, not overlapping
        assert earlier.state != later.state
        assert earlier.state_id != later.state_id
    if segments:
        assert segments[-1].valid_to is None
    for _ in range(8):
        on = data.draw(interesting_dates(records), label="D")
        containing = [s for s in segments if s.contains(on)]
        expected = state_on(records, on, at, published_by=by)
        if expected is None:
            assert containing == []
            assert chronicle.segment_on(on) is None
        else:
            assert len(containing) == 1
            assert containing[0].state == expected
            assert chronicle.segment_on(on) is containing[0]


@PROPERTY_SETTINGS
@given(records=histories())
def test_a_chronicle_fed_fact_by_fact_equals_one_built_from_scratch(
    records: list[AmendmentRecord],
) -> None:
    assert_fed_fact_by_fact_equals_built(COUNTRY, records)


@PROPERTY_SETTINGS
@given(records=histories())
def test_version_ids_depend_on_the_values_only(records: list[AmendmentRecord]) -> None:
    version_of: dict[str, str] = {}
    for at in [*knowledge_moments(records), FAR_MOMENTS[1]]:
        for segment in Chronicle.build(COUNTRY, records, at).segments:
            values = canonical({e: s.value for e, s in segment.state.items()})
            assert version_of.setdefault(values, segment.version_id) == segment.version_id
    assert len(set(version_of.values())) == len(version_of)


# Examples -----------------------------------------------------------------------------------


def test_a_moratorium_in_force_only_after_its_end_never_applies() -> None:
    """A pending decree imposes a moratorium until 1 June; it turns out to be in force from
    1 July. The moratorium has ended before it starts: it must not apply on any date."""
    decree = AmendmentRecord(
        id="decree",
        country=COUNTRY,
        position=2,
        recorded_at=T0,
        announced_on=dt.date(2025, 1, 1),
        in_force_from=None,
        attestation=False,
        title=None,
        sources=(SOURCE,),
        rationale="",
        author="test",
        changes=(ImposeMoratorium(kind=MoratoriumKind.DECISION, until=dt.date(2025, 6, 1)),),
    ).with_in_force(dt.date(2025, 7, 1), T0 + dt.timedelta(days=1))
    now = FAR_MOMENTS[1]
    for on in (dt.date(2025, 6, 15), dt.date(2025, 7, 1), dt.date(2030, 1, 1)):
        assert "moratorium:decision" not in (values_of(state_on([decree], on, now)) or {})
        assert values_of(state_on([decree], on, now)) == reference([decree], on, now)


def test_an_amendment_in_force_covers_its_date_even_when_it_alters_nothing() -> None:
    """Reaffirming an element nobody set changes no value, but the date is now covered."""
    letter = AmendmentRecord(
        id="letter",
        country=COUNTRY,
        position=2,
        recorded_at=T0,
        announced_on=dt.date(2025, 1, 1),
        in_force_from=dt.date(2025, 1, 1),
        attestation=True,
        title=None,
        sources=(SOURCE,),
        rationale="",
        author="test",
        changes=(Reaffirm(element="group:pti"),),
    )
    now = FAR_MOMENTS[1]
    assert state_on([letter], dt.date(2024, 12, 31), now) is None
    assert state_on([letter], dt.date(2025, 1, 1), now) == {}
    segments = Chronicle.build(COUNTRY, [letter], now).segments
    assert [(s.valid_from, s.valid_to, s.state) for s in segments] == [
        (dt.date(2025, 1, 1), None, {})
    ]


# Same-date conflicts: the later-recorded change wins ----------------------------------------

NOW = FAR_MOMENTS[1]
JAN1 = dt.date(2025, 1, 1)


def amendment(
    id_: str,
    position: int,
    recorded_at: dt.datetime,
    *changes: Change,
    in_force_from: dt.date | None = JAN1,
    announced_on: dt.date = JAN1,
) -> AmendmentRecord:
    return AmendmentRecord(
        id=id_,
        country=COUNTRY,
        position=position,
        recorded_at=recorded_at,
        announced_on=announced_on,
        in_force_from=in_force_from,
        attestation=False,
        title=None,
        sources=(SOURCE,),
        rationale="",
        author="test",
        changes=changes,
    )


# Pairs of changes to one element with different values: (earlier-recorded, later-recorded).
CONFLICTS = {
    "designation": (
        DesignateGroup(
            group="pti", category=GroupCategory.RISK_PROFILE, label_nl="A", label_en="A"
        ),
        DesignateGroup(
            group="pti", category=GroupCategory.GROUP_PERSECUTION, label_nl="B", label_en="B"
        ),
    ),
    "designation then revocation": (
        DesignateGroup(
            group="pti", category=GroupCategory.RISK_PROFILE, label_nl="A", label_en="A"
        ),
        RevokeGroup(group="pti", category=GroupCategory.RISK_PROFILE),
    ),
    "15(c) level": (
        SetArticle15c(region="PK-BA", level=ViolenceLevel.NONE, armed_conflict=False),
        SetArticle15c(region="PK-BA", level=ViolenceLevel.LOWER, armed_conflict=True),
    ),
    "moratorium end": (
        ImposeMoratorium(kind=MoratoriumKind.DECISION, until=dt.date(2025, 3, 1)),
        ImposeMoratorium(kind=MoratoriumKind.DECISION, until=None),
    ),
    "moratorium lifted": (
        ImposeMoratorium(kind=MoratoriumKind.DECISION, until=None),
        LiftMoratorium(kind=MoratoriumKind.DECISION),
    ),
    "note": (AddNote(topic="situation", text="x"), AddNote(topic="situation", text="y")),
}


def later_wins(records: list[AmendmentRecord], element: str, winner: Change) -> None:
    """On the shared date and after it, the element holds what `winner` alone would make."""
    alone = amendment("alone", 1, T0, winner)
    for on in (JAN1, dt.date(2025, 2, 1)):
        expected = (values_of(state_on([alone], on, NOW)) or {}).get(element)
        state = values_of(state_on(records, on, NOW)) or {}
        assert state.get(element) == expected
        assert values_of(state_on(records, on, NOW)) == reference(records, on, NOW)
        segment = Chronicle.build(COUNTRY, records, NOW).segment_on(on)
        assert segment is not None
        assert values_of(segment.state) == state


@pytest.mark.parametrize("kind", CONFLICTS)
def test_at_one_in_force_date_the_later_recorded_change_wins(kind: str) -> None:
    first, second = CONFLICTS[kind]
    earlier = amendment("earlier", 2, T0, first)
    later = amendment("later", 3, T0 + dt.timedelta(days=1), second)
    element = element_of(first)
    later_wins([earlier, later], element, second)
    later_wins([later, earlier], element, second)  # the order of the records is no order
    # As known before the later one was recorded, the earlier one holds.
    before = values_of(state_on([earlier, later], JAN1, later.recorded_at - ONE_TICK))
    assert before == values_of(state_on([earlier], JAN1, NOW))


@pytest.mark.parametrize("kind", CONFLICTS)
def test_the_later_recorded_change_wins_even_when_the_earlier_learns_its_date_last(
    kind: str,
) -> None:
    """Record order decides, not the order in which in-force dates became known: the earlier
    amendment was pending and its date (the same day) was learned after the later one."""
    first, second = CONFLICTS[kind]
    earlier = amendment("earlier", 2, T0, first, in_force_from=None).with_in_force(
        JAN1, T0 + dt.timedelta(days=2)
    )
    later = amendment("later", 3, T0 + dt.timedelta(days=1), second)
    later_wins([earlier, later], element_of(first), second)


@pytest.mark.parametrize("kind", CONFLICTS)
def test_a_retracted_later_change_gives_the_date_back_to_the_earlier(kind: str) -> None:
    first, second = CONFLICTS[kind]
    earlier = amendment("earlier", 2, T0, first)
    later = amendment("later", 3, T0 + dt.timedelta(days=1), second).with_retraction(
        "entered in error", T0 + dt.timedelta(days=2)
    )
    later_wins([earlier, later], element_of(first), first)


# Publication time ---------------------------------------------------------------------------


def test_the_hypothetical_of_the_temporal_model_published_recorded_and_in_force() -> None:
    """temporal-model.md, "A third axis" (hypothetical): an act published 10 March, in force
    retroactively from 1 March, entered in the ledger on 1 June."""
    base = amendment("base", 1, T0, AddNote(topic="situation", text="before"), in_force_from=JAN1)
    act = amendment(
        "act",
        2,
        dt.datetime(2025, 6, 1, tzinfo=dt.UTC),
        AddNote(topic="situation", text="after"),
        in_force_from=dt.date(2025, 3, 1),
        announced_on=dt.date(2025, 3, 10),
    )
    records, mar5 = [base, act], dt.date(2025, 3, 5)

    def note(at: dt.datetime, by: dt.date | None) -> str:
        values = values_of(state_on(records, mar5, at, published_by=by))
        assert values == reference(records, mar5, at, by)
        assert values is not None
        return str(values["note:situation"]["text"])

    assert note(NOW, mar5) == "before"  # not yet public
    assert note(NOW, dt.date(2025, 3, 10)) == "after"
    assert note(dt.datetime(2025, 5, 31, tzinfo=dt.UTC), None) == "before"  # not in the ledger
    # Both filters at once: published by 10 March but as known on 31 May, it does not apply.
    assert note(dt.datetime(2025, 5, 31, tzinfo=dt.UTC), dt.date(2025, 3, 10)) == "before"


def test_an_in_force_date_counts_from_its_own_publication() -> None:
    """A decree announced 18 December, pending; its in-force date (1 January) is published on
    20 January and recorded on 1 February."""
    decree = amendment(
        "decree",
        2,
        T0,
        AddNote(topic="situation", text="decree"),
        in_force_from=None,
        announced_on=dt.date(2024, 12, 18),
    ).with_in_force(JAN1, dt.datetime(2025, 2, 1, 8, tzinfo=dt.UTC), dt.date(2025, 1, 20))
    jan15 = dt.date(2025, 1, 15)
    assert state_on([decree], jan15, NOW, published_by=dt.date(2025, 1, 19)) is None
    assert [r.id for r in pending_on([decree], jan15, NOW, published_by=dt.date(2025, 1, 19))] == [
        "decree"
    ]
    assert state_on([decree], jan15, NOW, published_by=dt.date(2025, 1, 20)) is not None
    assert pending_on([decree], jan15, NOW, published_by=dt.date(2025, 1, 20)) == []
    assert pending_on([decree], jan15, NOW, published_by=dt.date(2024, 12, 17)) == []
    # Without a stated publication date, the in-force date was published the day it was recorded.
    unstated = replace(decree, in_force_announced_on=None)
    assert state_on([unstated], jan15, NOW, published_by=dt.date(2025, 1, 31)) is None
    assert state_on([unstated], jan15, NOW, published_by=dt.date(2025, 2, 1)) is not None


def test_a_retraction_counts_from_its_own_publication() -> None:
    letter = amendment("letter", 2, T0, AddNote(topic="situation", text="x")).with_retraction(
        "annulled", dt.datetime(2025, 3, 1, 15, tzinfo=dt.UTC), announced_on=dt.date(2025, 2, 20)
    )
    assert state_on([letter], JAN1, NOW, published_by=dt.date(2025, 2, 19)) is not None
    assert state_on([letter], JAN1, NOW, published_by=dt.date(2025, 2, 20)) is None
    assert state_on([letter], JAN1, NOW) is None
