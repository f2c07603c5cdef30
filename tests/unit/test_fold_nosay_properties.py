"""Property tests of declines, withdrawals and whole-list replacements (policy model v2,
points 3 to 5) against a plain reference written here, not in production code.

A replacement ends elements it does not name, so its effect depends on the state at its
date; the fold expands it there (domain.effects). These tests hold that `state_on`, the
`only=` filter, `Chronicle` built at once and `Chronicle` fed fact by fact (re-sweeping
from the earliest date a fact touches) all give the reference's values. Histories are
biased to few dates and few groups, so that most share a date and an element.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fold_checks import assert_fed_fact_by_fact_equals_built
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.fold import Chronicle, attestations, record_effects, state_on
from domain.records import AmendmentRecord, knowledge_moments
from events.vocabulary import (
    Change,
    DeclineGroup,
    DesignateGroup,
    GroupCategory,
    ListedGroup,
    Reaffirm,
    RelabelGroup,
    ReplaceGroups,
    RevokeGroup,
    Source,
    SourceKind,
    Withdraw,
)

COUNTRY = "PK"
DAY0 = dt.date(2024, 1, 1)
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
SOURCE = Source(kind=SourceKind.OTHER, reference="test", date=DAY0)
GROUPS = ("a", "b", "c", "d")
CATEGORIES = (GroupCategory.RISK_PROFILE, GroupCategory.VULNERABLE_MINORITY)
LABELS = ("L", "M")
DATES = tuple(DAY0 + dt.timedelta(days=n) for n in (0, 0, 5, 5, 10))  # mostly shared

PROPERTY_SETTINGS = settings(max_examples=300, deadline=None)


def changes() -> st.SearchStrategy[Change]:
    group, category, label = (
        st.sampled_from(GROUPS),
        st.sampled_from(CATEGORIES),
        st.sampled_from(LABELS),
    )
    listed = st.builds(ListedGroup, group=group, label_nl=label, label_en=label)
    return st.one_of(
        st.builds(DesignateGroup, group=group, category=category, label_nl=label, label_en=label),
        st.builds(DeclineGroup, group=group, category=category, label_nl=label, label_en=label),
        st.builds(RevokeGroup, group=group, category=category),
        st.builds(RelabelGroup, group=group, label_nl=st.none() | label),
        st.builds(Withdraw, element=group.map(lambda g: f"group:{g}")),
        st.builds(Reaffirm, element=group.map(lambda g: f"group:{g}")),
        st.builds(
            ReplaceGroups,
            category=category,
            groups=st.lists(listed, max_size=3, unique_by=lambda g: g.group).map(tuple),
        ),
    )


@st.composite
def histories(draw: st.DrawFn) -> list[AmendmentRecord]:
    """Recordings, in-force dates learned later and retractions, at increasing moments."""
    records: dict[str, AmendmentRecord] = {}
    moment = T0
    for n in range(draw(st.integers(1, 9))):
        moment += dt.timedelta(hours=draw(st.integers(1, 48)))
        learnable = [
            r.id
            for r in records.values()
            if r.in_force_from is None and r.in_force_learned_at is None and r.retracted_at is None
        ]
        live = [r.id for r in records.values() if r.retracted_at is None]
        options = ["record"] * 4 + ["learn"] * bool(learnable) + ["retract"] * bool(live)
        match draw(st.sampled_from(options)):
            case "record":
                in_force = draw(st.sampled_from(DATES) | st.none())
                records[f"a{n}"] = AmendmentRecord(
                    id=f"a{n}",
                    country=COUNTRY,
                    position=n + 1,
                    recorded_at=moment,
                    announced_on=DAY0,
                    in_force_from=in_force,
                    attestation=draw(st.booleans()),
                    title=None,
                    sources=(SOURCE,),
                    rationale="",
                    author="hypothesis",
                    changes=tuple(draw(st.lists(changes(), min_size=1, max_size=4))),
                )
            case "learn":
                record = records[draw(st.sampled_from(learnable))]
                records[record.id] = record.with_in_force(draw(st.sampled_from(DATES)), moment)
            case "retract":
                record = records[draw(st.sampled_from(live))]
                records[record.id] = record.with_retraction("entered in error", moment)
    return list(records.values())


# The reference ------------------------------------------------------------------------------


def in_force_date(record: AmendmentRecord, at: dt.datetime) -> dt.date | None:
    if record.recorded_at > at or (record.retracted_at and record.retracted_at <= at):
        return None
    if record.in_force_from is not None:
        return record.in_force_from
    if record.in_force_learned_at is not None and record.in_force_learned_at <= at:
        return record.in_force_learned
    return None


def reference(records: list[AmendmentRecord], on: dt.date, at: dt.datetime) -> dict[str, Any]:
    """Group values on `on` as known at `at`: every change in force by then, in (date, record
    position, change order); a replacement first ends the designations of its category it
    does not list (not the declines), then designates the listed groups."""
    steps = []
    for r in records:
        d = in_force_date(r, at)
        if d is not None and d <= on:
            steps += [((d, r.position, i), c) for i, c in enumerate(r.changes)]
    values: dict[str, dict[str, Any]] = {}
    for _, c in sorted(steps, key=lambda s: s[0]):
        key = f"group:{getattr(c, 'group', '')}"
        if isinstance(c, DesignateGroup):
            values[key] = {
                "category": c.category.value,
                "label_nl": c.label_nl,
                "label_en": c.label_en,
            }
        elif isinstance(c, DeclineGroup):
            values[key] = {
                "category": c.category.value,
                "label_nl": c.label_nl,
                "label_en": c.label_en,
                "declined": True,
            }
        elif isinstance(c, RevokeGroup):
            held = values.get(key)
            if held and held["category"] == c.category.value and not held.get("declined"):
                del values[key]
        elif isinstance(c, RelabelGroup):
            if key in values and c.label_nl is not None:
                values[key] = {**values[key], "label_nl": c.label_nl}
        elif isinstance(c, Withdraw):
            values.pop(c.element, None)
        elif isinstance(c, ReplaceGroups):
            names = {g.group for g in c.groups}
            for element in list(values):
                held = values[element]
                if (
                    held["category"] == c.category.value
                    and not held.get("declined")
                    and element.removeprefix("group:") not in names
                ):
                    del values[element]
            for g in c.groups:
                values[f"group:{g.group}"] = {
                    "category": c.category.value,
                    "label_nl": g.label_nl,
                    "label_en": g.label_en,
                }
    return values


def moments(records: list[AmendmentRecord]) -> list[dt.datetime]:
    return [*knowledge_moments(records), dt.datetime.max.replace(tzinfo=dt.UTC)]


ASKED = (DAY0 - dt.timedelta(days=1), *sorted(set(DATES)), DAY0 + dt.timedelta(days=7))


def values_of(state: Any) -> dict[str, Any]:
    return {k: s.value for k, s in (state or {}).items()}


# The properties -----------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(records=histories())
def test_state_on_and_the_chronicle_give_the_reference_values(
    records: list[AmendmentRecord],
) -> None:
    for at in moments(records):
        chronicle = Chronicle.build(COUNTRY, records, at)
        for on in ASKED:
            expected = reference(records, on, at)
            assert values_of(state_on(records, on, at)) == expected, (on, at)
            segment = chronicle.segment_on(on)
            assert values_of(segment.state if segment else None) == expected, (on, at)


@PROPERTY_SETTINGS
@given(records=histories(), group=st.sampled_from(GROUPS))
def test_the_only_filter_gives_each_element_its_whole_fold_value(
    records: list[AmendmentRecord], group: str
) -> None:
    element = f"group:{group}"
    for at in moments(records):
        for on in ASKED:
            alone = values_of(state_on(records, on, at, only=frozenset({element})))
            assert alone.get(element) == reference(records, on, at).get(element), (on, at)
            assert set(alone) <= {element}


@PROPERTY_SETTINGS
@given(records=histories())
def test_a_chronicle_fed_fact_by_fact_equals_one_built_from_scratch(
    records: list[AmendmentRecord],
) -> None:
    assert_fed_fact_by_fact_equals_built(COUNTRY, records)


@PROPERTY_SETTINGS
@given(records=histories())
def test_attested_values_are_the_states_on_the_attestation_dates(
    records: list[AmendmentRecord],
) -> None:
    for at in moments(records):
        for a in attestations(records, at):
            record = next(r for r in records if r.id == a.amendment_id)
            assert record.attestation
            assert in_force_date(record, at) == a.attested_from
            assert reference(records, a.attested_from, at).get(a.element) == a.value


# Fixed examples: same date, shared groups ---------------------------------------------------


def record(n: int, on: dt.date, *changes: Change) -> AmendmentRecord:
    return AmendmentRecord(
        id=f"r{n}",
        country=COUNTRY,
        position=n,
        recorded_at=T0 + dt.timedelta(hours=n),
        announced_on=on,
        in_force_from=on,
        attestation=False,
        title=None,
        sources=(SOURCE,),
        rationale="",
        author="test",
        changes=changes,
    )


RISK = GroupCategory.RISK_PROFILE
NOW = dt.datetime.max.replace(tzinfo=dt.UTC)


def test_a_replacement_ends_an_earlier_recorded_designation_of_its_own_date() -> None:
    designate = record(
        1, DAY0, DesignateGroup(group="a", category=RISK, label_nl="A", label_en="A")
    )
    replacing = record(2, DAY0, ReplaceGroups(category=RISK, groups=()))
    assert values_of(state_on([designate, replacing], DAY0, NOW)) == {}


def test_a_later_recorded_designation_of_the_same_date_wins_over_a_replacement() -> None:
    replacing = record(1, DAY0, ReplaceGroups(category=RISK, groups=()))
    designate = record(
        2, DAY0, DesignateGroup(group="a", category=RISK, label_nl="A", label_en="A")
    )
    assert list(values_of(state_on([replacing, designate], DAY0, NOW))) == ["group:a"]


def test_a_designation_added_before_a_replacement_is_ended_by_the_resweep() -> None:
    replacing = record(1, DAY0 + dt.timedelta(days=5), ReplaceGroups(category=RISK, groups=()))
    chronicle = Chronicle(COUNTRY)
    chronicle.add(record_effects(replacing, NOW))
    designate = record(
        2, DAY0, DesignateGroup(group="a", category=RISK, label_nl="A", label_en="A")
    )
    chronicle.add(record_effects(designate, NOW))
    assert [sorted(s.state) for s in chronicle.segments] == [["group:a"], []]
