"""Property tests of the v2 fields (issue 14, points 7, 8, 9, 11) against plain references
written here, not production code:

- a moratorium's end: stated as `through` it applies exactly on the days from its in-force
  date to that day, and is the same state as `until` the day after; answers give both ends;
- exceptions and other new fields appear in an element's value exactly when stated;
- an element's provenance lists exactly the sources its acts' changes cite (all of the
  amendment's when a change cites none of its own);
- the audit's reading of an Article 15(c) bound and of the group categories: a change is in
  favour (against) only when every level or rank after lies above (below) every one before;
- the in-process index's fragments are the bytes of the arranged answer for the new values.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.facts import UNCLEAR, direction
from domain.fold import state_on
from domain.records import AmendmentRecord
from events.vocabulary import (
    AddNote,
    Change,
    DesignateGroup,
    GroupCategory,
    ImposeMoratorium,
    MoratoriumKind,
    RuleException,
    SetArticle15c,
    SetInternalProtectionAlternative,
    Source,
    SourceKind,
    ViolenceLevel,
)
from projections.fragments import assemble_sections, fragment_of, load_fragment
from projections.queries import arrange_sections, provenance

DAY0 = dt.date(2024, 1, 1)
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
NOW = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None)
SOURCES = tuple(
    Source(kind=SourceKind.OTHER, reference=f"source {i}", date=DAY0 if i % 2 else None)
    for i in range(4)
)


def day(offset: int) -> dt.date:
    return DAY0 + dt.timedelta(days=offset)


def record(
    n: int, in_force: dt.date, changes: tuple[Change, ...], sources: tuple[Source, ...] = SOURCES
) -> AmendmentRecord:
    return AmendmentRecord(
        id=f"a{n}",
        country="PK",
        position=n + 2,
        recorded_at=T0 + dt.timedelta(hours=n),
        announced_on=in_force,
        in_force_from=in_force,
        attestation=False,
        title=None,
        sources=sources,
        rationale="",
        author="t",
        changes=changes,
    )


# 8. A moratorium's end ------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(start=st.integers(0, 30), length=st.integers(1, 30), asked=st.integers(-5, 70))
def test_a_moratorium_through_a_day_applies_up_to_and_including_it(
    start: int, length: int, asked: int
) -> None:
    through = day(start + length - 1)
    by_through = record(0, day(start), (ImposeMoratorium(kind="decision", through=through),))
    by_until = record(
        0, day(start), (ImposeMoratorium(kind="decision", until=through + dt.timedelta(days=1)),)
    )
    on = day(asked)

    state = state_on([by_through], on, NOW) or {}
    same = state_on([by_until], on, NOW) or {}

    # The reference: in force from its start to `through`, both included.
    assert ("moratorium:decision" in state) == (day(start) <= on <= through)
    assert {k: v.value for k, v in state.items()} == {k: v.value for k, v in same.items()}


@PROPERTY_SETTINGS
@given(until=st.one_of(st.none(), st.integers(1, 400).map(day)))
def test_answers_give_both_ends_one_day_apart(until: dt.date | None) -> None:
    element = {
        "value": {"until": until.isoformat() if until else None},
        "since": DAY0.isoformat(),
        "acts": [{"amendment": "a0", "on": DAY0.isoformat(), "action": "impose_moratorium"}],
    }
    change = ImposeMoratorium(kind="departure", until=until)
    doc = provenance("moratorium:departure", element, {"a0": record(0, DAY0, (change,))})

    if until is None:
        assert (doc["until"], doc["through"]) == (None, None)
    else:
        through = dt.date.fromisoformat(doc["through"])
        assert through + dt.timedelta(days=1) == dt.date.fromisoformat(doc["until"]) == until


# 7 and 11. New fields in values exactly when stated -------------------------------------------

exceptions = st.lists(
    st.builds(
        RuleException,
        group=st.one_of(st.none(), st.sampled_from(["pti", "hazaras"])),
        text=st.sampled_from(["Family reunification", "Applications older than 21 months"]),
    ),
    max_size=2,
).map(tuple)


def fifteen_c() -> st.SearchStrategy[SetArticle15c]:
    level = st.builds(
        SetArticle15c,
        level=st.sampled_from(list(ViolenceLevel)),
        armed_conflict=st.booleans(),
        exceptions=exceptions,
    )
    bound = st.builds(
        SetArticle15c,
        at_most=st.sampled_from([ViolenceLevel.LOWER, ViolenceLevel.HIGHER]),
        armed_conflict=st.one_of(st.none(), st.booleans()),
        exceptions=exceptions,
    )
    return st.one_of(level, bound)


stated_changes = st.one_of(
    fifteen_c(),
    st.builds(
        DesignateGroup,
        group=st.just("pti"),
        category=st.sampled_from(list(GroupCategory)),
        label_nl=st.just("PTI"),
        label_en=st.just("PTI"),
        exceptions=exceptions,
    ),
    st.builds(
        SetInternalProtectionAlternative,
        available=st.booleans(),
        exceptions=exceptions,
    ),
    st.builds(
        ImposeMoratorium,
        kind=st.sampled_from(list(MoratoriumKind)),
        until=st.one_of(st.none(), st.integers(50, 90).map(day)),
        exceptions=exceptions,
    ),
)


@PROPERTY_SETTINGS
@given(change=stated_changes)
def test_a_value_holds_what_was_stated_and_nothing_more(change: Change) -> None:
    state = state_on([record(0, DAY0, (change,))], DAY0, NOW) or {}
    (element,) = state.values()
    value = element.value

    # The reference: each optional field is in the value exactly when the change states it.
    stated = change.model_dump(mode="json")
    assert ("exceptions" in value) == bool(stated.get("exceptions"))
    if value.get("exceptions"):
        assert value["exceptions"] == stated["exceptions"]
    if isinstance(change, SetArticle15c):
        assert ("level" in value) == (change.level is not None)
        assert ("at_most" in value) == (change.at_most is not None)
        assert ("armed_conflict" in value) == (change.armed_conflict is not None)
    # A change using no new field dumps as it always did (the stored bytes).
    for key in ("sources", "through", "actors", "at_most"):
        assert key not in stated or stated[key]


# 9. Sources per change -------------------------------------------------------------------------

cited = st.lists(st.integers(0, len(SOURCES) - 1), max_size=3, unique=True).map(tuple)


@PROPERTY_SETTINGS
@given(
    plan=st.lists(
        st.tuples(st.integers(0, 40), cited, st.sampled_from(["a", "b"])), min_size=1, max_size=5
    )
)
def test_provenance_lists_the_sources_the_acts_cite(
    plan: list[tuple[int, tuple[int, ...], str]],
) -> None:
    records = [
        record(n, day(offset), (AddNote(topic="situation", text=text, sources=indices),))
        for n, (offset, indices, text) in enumerate(plan)
    ]
    by_id = {r.id: r for r in records}
    state = state_on(records, day(60), NOW) or {}
    element = state["note:situation"].to_json()

    doc = provenance("note:situation", element, by_id)

    # The reference: each act's cited sources, or all of its amendment's; each reference
    # once, in the order first met.
    expected: list[str] = []
    for act in element["acts"]:
        n = int(act["amendment"][1:])
        indices = plan[n][1] or tuple(range(len(SOURCES)))
        for i in indices:
            if SOURCES[i].reference not in expected:
                expected.append(SOURCES[i].reference)
    assert [s["reference"] for s in doc["sources"]] == expected
    assert all(set(s) == {"kind", "reference", "date", "url"} for s in doc["sources"])


# 11. How the audit reads bounds and categories --------------------------------------------------

LEVEL_ORDER = ["none", "lower", "higher", "most_exceptional"]
FIFTEEN_C_FACTS = [*LEVEL_ORDER, "at_most:lower", "at_most:higher"]


def admitted(fact: str) -> set[int]:
    """The levels (as ranks) a 15(c) fact allows: one for a level, all up to a bound."""
    if fact.startswith("at_most:"):
        return set(range(LEVEL_ORDER.index(fact.removeprefix("at_most:")) + 1))
    return {LEVEL_ORDER.index(fact)}


@given(before=st.sampled_from(FIFTEEN_C_FACTS), after=st.sampled_from(FIFTEEN_C_FACTS))
def test_a_bound_is_never_read_as_a_level(before: str, after: str) -> None:
    way = direction("article_15c", before, after)

    old, new = admitted(before), admitted(after)
    if before == after:
        assert way is None
    elif min(new) > max(old):
        assert way == "in_favour"
    elif max(new) < min(old):
        assert way == "against"
    else:
        assert way == UNCLEAR


# A stated "not designated" (no longer designated) is the bottom of the scale.
GROUP_ORDER = [
    "not_designated",
    "attention_group",
    "vulnerable_minority",
    "risk_profile",
    "group_persecution",
]


@given(
    before=st.sampled_from([*GROUP_ORDER, "special_policy"]),
    after=st.sampled_from([*GROUP_ORDER, "special_policy"]),
)
def test_group_categories_on_the_scale(before: str | None, after: str | None) -> None:
    way = direction("group:x", before, after)

    if before == after:
        assert way is None
    elif "special_policy" in (before, after):
        # Off the scale: only gaining or losing it reads one way.
        expected = {"not_designated": "in_favour"}.get(before) or (
            "against" if after == "not_designated" else UNCLEAR
        )
        assert way == expected
    else:
        better = GROUP_ORDER.index(after) > GROUP_ORDER.index(before)
        assert way == ("in_favour" if better else "against")


# The index's fragments for the new values -------------------------------------------------------


def _element(value: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "since": st.just("2024-01-01"),
            "amendments": st.just([]),
            "sources": st.just([{"kind": "other", "reference": "r", "date": None, "url": None}]),
        }
    ).map(lambda rest: {**value, **rest})


exception_docs = st.lists(
    st.fixed_dictionaries(
        {"group": st.one_of(st.none(), st.just("pti")), "text": st.text(max_size=10)}
    ),
    min_size=1,
    max_size=2,
)
NEW_VALUES: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "group:pti": exception_docs.flatmap(
        lambda e: _element(
            {"category": "attention_group", "label_nl": "P", "label_en": "P", "exceptions": e}
        )
    ),
    "protection:general": _element(
        {"authorities_protect": False, "note": None, "actors": ["international_organisations"]}
    ),
    "ipa:general": exception_docs.flatmap(
        lambda e: _element({"available": True, "note": None, "exceptions": e})
    ),
    "article_15c:default": _element({"at_most": "higher"}),
    "article_15c:PK-BA": exception_docs.flatmap(
        lambda e: _element({"level": "most_exceptional", "armed_conflict": True, "exceptions": e})
    ),
    "moratorium:decision": exception_docs.flatmap(
        lambda e: _element({"until": "2025-08-25", "through": "2025-08-24", "exceptions": e})
    ),
}


@st.composite
def new_states(draw: st.DrawFn) -> dict[str, dict[str, Any]]:
    keys = draw(st.sets(st.sampled_from(sorted(NEW_VALUES)), min_size=1))
    return {k: draw(NEW_VALUES[k]) for k in sorted(keys)}


@given(new_states())
def test_fragments_of_new_values_are_the_bytes_of_the_arranged_answer(
    docs: dict[str, dict[str, Any]],
) -> None:
    fragments = [load_fragment(k, fragment_of(k, doc)) for k, doc in docs.items()]

    assert assemble_sections(fragments) == orjson.dumps(arrange_sections(docs))[1:-1]
