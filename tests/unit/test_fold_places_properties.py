"""Property tests of places (issue 14, points 1 and 2): scoped changes in the fold, the
resolution of a policy for a person from a place, and ISO nesting, each against a plain
reference written here (not the production code).

Histories are biased toward conflicts: few dates, few places, so that two live changes to one
element on one date are common; fixed examples cover same-date conflicts explicitly.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import pycountry
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.countries import parent_regions
from domain.fold import Chronicle, state_on
from domain.records import AmendmentRecord
from events.vocabulary import (
    DefineArea,
    DesignateGroup,
    GroupCategory,
    ImposeMoratorium,
    LiftMoratorium,
    MoratoriumKind,
    RevokeGroup,
    Scope,
    SetArticle15c,
    SetInternalProtectionAlternative,
    Source,
    SourceKind,
    ViolenceLevel,
)
from projections.fragments import assemble_sections, fragment_of, load_fragment
from projections.queries import arrange_sections, resolve_sections

COUNTRY = "IQ"
DAY0 = dt.date(2014, 10, 1)
T0 = dt.datetime(2014, 10, 1, tzinfo=dt.UTC)
FOREVER = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)
SOURCE = Source(kind=SourceKind.OTHER, reference="test", date=DAY0)
# Arbīl (IQ-AR) lies in the Kurdistan Region (IQ-KR); Basra and Nineveh in no region.
REGIONS = ("IQ-KR", "IQ-AR", "IQ-BA", "IQ-NI")
AREAS = ("belts", "city")
CATEGORIES = (GroupCategory.RISK_PROFILE, GroupCategory.GROUP_PERSECUTION)
SETTINGS = settings(max_examples=200, deadline=None)


# The reference: plain element ids and a plain interpreter -----------------------------


def ref_places(change: Any) -> list[str | None]:
    """The places a change speaks of: its region, its scope's regions then areas, or the
    whole country (None)."""
    if getattr(change, "region", None):
        return [change.region]
    scope = getattr(change, "scope", None)
    if scope is None:
        return [None]
    return [*scope.regions, *(f"area:{a}" for a in scope.areas)]


def ref_element(kind: str, subject: str, place: str | None) -> str:
    if kind == "article_15c":
        return f"article_15c:{place or 'default'}"
    return f"{kind}:{subject}" + (f":{place}" if place else "")


def ref_state(records: list[AmendmentRecord], on: dt.date) -> dict[str, dict[str, Any]]:
    """Values on `on`: every change in force by then, in (in-force date, record position,
    change index) order, each applied at each of its places."""
    ordered = sorted(
        (r.in_force_from, r.position, i, c)
        for r in records
        if r.in_force_from is not None and r.in_force_from <= on
        for i, c in enumerate(r.changes)
    )
    values: dict[str, dict[str, Any]] = {}
    for _, _, _, change in ordered:
        for place in ref_places(change):
            if isinstance(change, DesignateGroup | RevokeGroup):
                key = ref_element("group", change.group, place)
                if isinstance(change, DesignateGroup):
                    values[key] = {
                        "category": change.category.value,
                        "label_nl": change.label_nl,
                        "label_en": change.label_en,
                    }
                elif values.get(key, {}).get("category") == change.category.value:
                    del values[key]
            elif isinstance(change, ImposeMoratorium | LiftMoratorium):
                key = ref_element("moratorium", change.kind.value, place)
                if isinstance(change, ImposeMoratorium):
                    values[key] = {"until": None}
                else:
                    values.pop(key, None)
            elif isinstance(change, SetArticle15c):
                key = ref_element("article_15c", "", place)
                values[key] = {"level": change.level.value, "armed_conflict": change.armed_conflict}
            elif isinstance(change, SetInternalProtectionAlternative):
                key = ref_element("ipa", change.group or "general", place)
                values[key] = {"available": change.available, "note": None}
    return values


def ref_rank(place: str | None, region: str | None, areas: tuple[str, ...]) -> int | None:
    """How specific a rule at `place` is for a person from `region` in `areas` (lower wins),
    None when it does not apply to them. Ancestors found by walking pycountry directly."""
    if place is None:
        return 1000
    if place.startswith("area:"):
        name = place[len("area:") :]
        return areas.index(name) if name in areas else None
    ancestors = []
    code = region
    while code is not None:
        ancestors.append(code)
        subdivision = pycountry.subdivisions.get(code=code)
        code = subdivision.parent_code if subdivision is not None else None
    return len(areas) + ancestors.index(place) if place in ancestors else None


# Generating ---------------------------------------------------------------------------


def _scope(regions: list[str], areas: list[str]) -> Scope | None:
    return Scope(regions=tuple(regions), areas=tuple(areas)) if regions or areas else None


some_scope = st.builds(
    _scope,
    st.lists(st.sampled_from(REGIONS), unique=True, max_size=2),
    st.lists(st.sampled_from(AREAS), unique=True, max_size=1),
)
changes = st.one_of(
    st.builds(
        lambda c, s: DesignateGroup(group="pti", category=c, label_nl="P", label_en="P", scope=s),
        st.sampled_from(CATEGORIES),
        some_scope,
    ),
    st.builds(
        lambda c, s: RevokeGroup(group="pti", category=c, scope=s),
        st.sampled_from(CATEGORIES),
        some_scope,
    ),
    st.builds(
        lambda s: ImposeMoratorium(kind=MoratoriumKind.DECISION, scope=s),
        some_scope,
    ),
    st.builds(lambda s: LiftMoratorium(kind=MoratoriumKind.DECISION, scope=s), some_scope),
    st.builds(
        lambda level, s: SetArticle15c(level=level, armed_conflict=False, scope=s),
        st.sampled_from([ViolenceLevel.NONE, ViolenceLevel.HIGHER]),
        some_scope,
    ),
    st.builds(
        lambda region, ok: SetInternalProtectionAlternative(region=region, available=ok),
        st.sampled_from(REGIONS),
        st.booleans(),
    ),
)


@st.composite
def histories(draw: st.DrawFn) -> list[AmendmentRecord]:
    records = [
        _record("areas", 1, DAY0, [DefineArea(area=a, label_nl=a, label_en=a) for a in AREAS])
    ]
    for n in range(draw(st.integers(1, 6))):
        on = DAY0 + dt.timedelta(days=draw(st.integers(0, 2)))  # few dates: conflicts
        records.append(_record(f"a{n}", n + 2, on, draw(st.lists(changes, min_size=1, max_size=4))))
    return records


def _record(id: str, position: int, on: dt.date, changes: list[Any]) -> AmendmentRecord:
    return AmendmentRecord(
        id=id,
        country=COUNTRY,
        position=position,
        recorded_at=T0 + dt.timedelta(seconds=position),
        announced_on=on,
        in_force_from=on,
        attestation=False,
        title=None,
        sources=(SOURCE,),
        rationale="",
        author="hypothesis",
        changes=tuple(changes),
    )


def values(state: Any) -> dict[str, Any]:
    return {k: s.value for k, s in (state or {}).items() if not k.startswith("area:")}


# The fold -----------------------------------------------------------------------------


@SETTINGS
@given(histories(), st.integers(0, 3))
def test_the_fold_of_scoped_changes_is_the_plain_one(
    records: list[AmendmentRecord], offset: int
) -> None:
    on = DAY0 + dt.timedelta(days=offset)

    assert values(state_on(records, on, FOREVER)) == ref_state(records, on)
    segment = Chronicle.build(COUNTRY, records, FOREVER).segment_on(on)
    assert values(segment.state if segment else None) == ref_state(records, on)


def test_at_one_date_the_later_recorded_scoped_change_wins() -> None:
    north = Scope(regions=("IQ-NI",))
    first = _record("first", 2, DAY0, [ImposeMoratorium(kind=MoratoriumKind.DECISION, scope=north)])
    later = _record("later", 3, DAY0, [LiftMoratorium(kind=MoratoriumKind.DECISION, scope=north)])

    assert values(state_on([later, first], DAY0, FOREVER)) == {}
    assert values(state_on([first], DAY0, FOREVER)) == {
        "moratorium:decision:IQ-NI": {"until": None}
    }
    # Within one amendment, the later change wins, place by place.
    both = _record(
        "both",
        2,
        DAY0,
        [
            SetArticle15c(
                level=ViolenceLevel.HIGHER,
                armed_conflict=True,
                scope=Scope(regions=("IQ-NI", "IQ-BA")),
            ),
            SetArticle15c(
                level=ViolenceLevel.NONE, armed_conflict=False, scope=Scope(regions=("IQ-BA",))
            ),
        ],
    )
    state = values(state_on([both], DAY0, FOREVER))
    assert state["article_15c:IQ-NI"]["level"] == "higher"
    assert state["article_15c:IQ-BA"]["level"] == "none"


def test_a_region_field_and_a_one_region_scope_are_one_element() -> None:
    by_field = SetInternalProtectionAlternative(region="IQ-NI", available=False)
    by_scope = SetInternalProtectionAlternative(scope=Scope(regions=("IQ-NI",)), available=True)
    records = [_record("a", 2, DAY0, [by_field]), _record("b", 3, DAY0, [by_scope])]

    assert values(state_on(records, DAY0, FOREVER)) == {
        "ipa:general:IQ-NI": {"available": True, "note": None}
    }


# Resolution ---------------------------------------------------------------------------

PLACES: tuple[str | None, ...] = (None, *REGIONS, *(f"area:{a}" for a in AREAS))
provenance = {"since": "2014-10-01", "amendments": [], "sources": []}


@st.composite
def placed_states(draw: st.DrawFn) -> dict[str, dict[str, Any]]:
    docs: dict[str, dict[str, Any]] = {}
    for place in draw(st.sets(st.sampled_from(PLACES))):
        docs[ref_element("article_15c", "", place)] = {"level": str(place), **provenance}
    for place in draw(st.sets(st.sampled_from(PLACES))):
        docs[ref_element("moratorium", "decision", place)] = {"until": str(place), **provenance}
    for subject in ("general", "pti"):
        for place in draw(st.sets(st.sampled_from(PLACES))):
            value = {"authorities_protect": draw(st.booleans()), "note": str(place)}
            docs[ref_element("protection", subject, place)] = {**value, **provenance}
    for place in draw(st.sets(st.sampled_from(PLACES))):
        docs[ref_element("group", "pti", place)] = {"category": str(place), **provenance}
    for area in draw(st.sets(st.sampled_from(AREAS))):
        docs[f"area:{area}"] = {"label_nl": area, "label_en": area.upper(), **provenance}
    return dict(sorted(docs.items()))


def ref_resolve(
    docs: dict[str, Any], kind: str, subject: str, region: str | None, areas: tuple[str, ...]
) -> str | None:
    """The place of the most specific rule that applies, as `scope` names it."""
    ranked = [
        (rank, place)
        for place in PLACES
        if ref_element(kind, subject, place) in docs
        and (rank := ref_rank(place, region, areas)) is not None
    ]
    return (min(ranked)[1] or "country") if ranked else None


@SETTINGS
@given(
    placed_states(),
    st.sampled_from((None, *REGIONS)),
    st.lists(st.sampled_from(AREAS), unique=True, max_size=2).map(tuple),
)
def test_the_most_specific_place_wins(
    docs: dict[str, dict[str, Any]], region: str | None, areas: tuple[str, ...]
) -> None:
    doc = resolve_sections(docs, region, areas)

    fifteen_c = ref_resolve(docs, "article_15c", "", region, areas)
    assert (doc["article_15c"] or {}).get("scope") == fifteen_c
    if fifteen_c is not None:
        assert doc["article_15c"]["level"] == str(None if fifteen_c == "country" else fifteen_c)
    moratorium = ref_resolve(docs, "moratorium", "decision", region, areas)
    assert [m["scope"] for m in doc["moratoria"]] == ([moratorium] if moratorium else [])
    for subject in ("general", "pti"):
        expected = ref_resolve(docs, "protection", subject, region, areas)
        assert doc["protection"].get(subject, {}).get("scope") == expected
    group = ref_resolve(docs, "group", "pti", region, areas)
    assert [g["scope"] for g in doc["groups"]] == ([group] if group else [])
    if group is not None:
        own = doc["protection"].get("pti") or doc["protection"].get("general")
        assert doc["groups"][0]["authorities_protect"] == (
            own["authorities_protect"] if own else None
        )


@SETTINGS
@given(placed_states())
def test_scoped_fragments_are_the_bytes_of_the_arranged_sections(
    docs: dict[str, dict[str, Any]],
) -> None:
    fragments = [load_fragment(k, fragment_of(k, doc)) for k, doc in docs.items()]

    assert assemble_sections(fragments) == orjson.dumps(arrange_sections(docs))[1:-1]


# ISO nesting --------------------------------------------------------------------------


@pytest.mark.parametrize("country", ["IQ", "PK", "SO", "AF", "SY", "GB", "FR", "AZ"])
def test_parent_regions_follow_pycountry_to_the_top(country: str) -> None:
    for subdivision in pycountry.subdivisions.get(country_code=country) or ():
        chain = []
        code = subdivision.parent_code
        while code:
            chain.append(code)
            parent = pycountry.subdivisions.get(code=code)
            code = parent.parent_code if parent is not None else None
        assert list(parent_regions(subdivision.code)) == chain, subdivision.code


def test_a_rule_for_the_kurdistan_region_holds_in_its_governorates_only() -> None:
    docs = {"moratorium:decision:IQ-KR": {"until": None, **provenance}}
    holds = {
        s.code
        for s in pycountry.subdivisions.get(country_code="IQ")
        if resolve_sections(docs, s.code, ())["moratoria"]
    }

    assert holds == {"IQ-KR", "IQ-AR", "IQ-DA", "IQ-SU"}
