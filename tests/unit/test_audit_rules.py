"""The audit's rules (domain.facts, domain.citations, domain.decision), each both ways, on
hand-built element values.

A state is a dict element id -> value, as the read model holds it. Every rule is read from
the applicant's side: a change that makes protection more likely is "in favour". Only what
a state states is a fact: a value never stated is `not_stated` (value None), never an
assumption, and a fact stated on one side of a comparison only makes the verdict
`indeterminate`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pytest
from pydantic import ValidationError

from domain.citations import IN_FORCE, NOT_IN_FORCE, UNKNOWN, check_cited, matches
from domain.decision import Decision
from domain.errors import RegionOutsideCountryError, UnknownCountryCodeError
from domain.facts import (
    ATTESTED_LATER,
    DECLINED,
    NOT_DESIGNATED,
    NOT_STATED,
    STATED,
    Citation,
    Fact,
    FactSpec,
    Verdict,
    attested,
    citation,
    compare,
    direction,
    fact_direction,
    fact_specs,
    read_fact,
    relevant_facts,
    verdict,
)
from domain.instants import END_OF_TIME
from domain.records import AmendmentRecord
from events.vocabulary import Source

Values = dict[str, dict[str, Any]]
Ends = Mapping[str, str]
IN_FAVOUR, AGAINST = Verdict.IN_FAVOUR, Verdict.AGAINST
UNCHANGED, MIXED, INDETERMINATE = Verdict.UNCHANGED, Verdict.MIXED, Verdict.INDETERMINATE


def group(category: str) -> dict[str, Any]:
    return {"category": category, "label_nl": "x", "label_en": "x"}


def declined(category: str = "risk_profile") -> dict[str, Any]:
    return {**group(category), "declined": True}


def level(value: str) -> dict[str, Any]:
    return {"level": value, "armed_conflict": value != "none"}


def bound(value: str) -> dict[str, Any]:
    return {"at_most": value, "armed_conflict": True}


def protect(value: bool) -> dict[str, Any]:
    return {"authorities_protect": value, "note": None}


def ipa(value: bool) -> dict[str, Any]:
    return {"available": value, "note": None}


def reception(value: bool) -> dict[str, Any]:
    return {"adequate": value, "note": None}


MORATORIUM: dict[str, Any] = {"until": None}
LIFTED = {"moratorium:decision": "lift_moratorium", "moratorium:departure": "lift_moratorium"}


def excepting(value: dict[str, Any], **exception: str) -> dict[str, Any]:
    return {**value, "exceptions": [{"text": "not for them", **exception}]}


def facts(
    values: Values | None,
    groups: tuple[str, ...] = ("pti",),
    region: str | None = None,
    *,
    areas: tuple[str, ...] = (),
    minor: bool = False,
    application_type: str | None = None,
    ends: Ends | None = None,
) -> dict[str, Fact]:
    """The relevant facts, with the stated ends (revocations, lifted moratoria) read in as
    the timeline reads them."""
    specs = fact_specs(groups, region, areas, minor, application_type)
    return {spec.key: read_fact(spec, values or {}, ends) for spec in specs}


def judge(
    before: Values | None,
    after: Values | None,
    groups: tuple[str, ...] = ("pti",),
    region: str | None = None,
    *,
    minor: bool = False,
    ends_before: Ends | None = None,
    ends_after: Ends | None = None,
    **profile: Any,
) -> Verdict:
    old = facts(before, groups, region, minor=minor, ends=ends_before, **profile)
    new = facts(after, groups, region, minor=minor, ends=ends_after, **profile)
    return verdict(compare(old, new))


def spec_of(key: str, groups: tuple[str, ...] = ("pti",), region: str | None = None) -> FactSpec:
    return next(s for s in fact_specs(groups, region) if s.key == key)


# Statuses ----------------------------------------------------------------------------------


def test_a_stated_fact_has_its_value_and_element() -> None:
    fact = read_fact(spec_of("group:pti"), {"group:pti": group("risk_profile")})
    assert (fact.status, fact.value, fact.element) == (STATED, "risk_profile", "group:pti")
    assert fact.stated
    assert (fact.since, fact.excepted) == (None, None)


def test_a_value_never_stated_is_not_stated_with_value_none() -> None:
    found = relevant_facts(None, ("pti",), "PK-BA", minor=True)
    assert {k: (f.status, f.value, f.element) for k, f in found.items()} == dict.fromkeys(
        (
            "group:pti",
            "protection:pti",
            "ipa:pti",
            "protection:general",
            "ipa:general",
            "article_15c",
            "moratorium:decision",
            "moratorium:departure",
            "unaccompanied_minors",
        ),
        (NOT_STATED, None, None),
    )
    assert not any(f.stated for f in found.values())


def test_a_declined_group_is_the_stated_value_declined() -> None:
    fact = read_fact(spec_of("group:pti"), {"group:pti": declined()})
    assert (fact.status, fact.value, fact.element) == (STATED, DECLINED, "group:pti")


@pytest.mark.parametrize("action", ["revoke_group", "replace_groups"])
def test_a_group_revoked_or_replaced_is_stated_not_designated(action: str) -> None:
    fact = read_fact(spec_of("group:pti"), {}, {"group:pti": action})
    assert (fact.status, fact.value, fact.element) == (STATED, NOT_DESIGNATED, "group:pti")


@pytest.mark.parametrize("action", ["lift_moratorium", "lapse"])
def test_a_moratorium_lifted_or_lapsed_is_stated_false(action: str) -> None:
    fact = read_fact(spec_of("moratorium:decision"), {}, {"moratorium:decision": action})
    assert (fact.status, fact.value, fact.element) == (STATED, False, "moratorium:decision")


def test_a_withdrawn_element_is_not_stated() -> None:
    fact = read_fact(spec_of("group:pti"), {}, {"group:pti": "withdraw"})
    assert (fact.status, fact.value) == (NOT_STATED, None)
    fact = read_fact(spec_of("moratorium:decision"), {}, {"moratorium:decision": "withdraw"})
    assert (fact.status, fact.value) == (NOT_STATED, None)


def test_an_attested_fact_is_attested_later_with_its_value_and_since() -> None:
    fact = attested(spec_of("group:pti"), "group:pti", group("risk_profile"), "2024-11-25")
    assert (fact.status, fact.value, fact.since) == (ATTESTED_LATER, "risk_profile", "2024-11-25")
    assert fact.stated


def test_attested_later_compares_as_stated() -> None:
    spec = spec_of("group:pti")
    then = attested(spec, "group:pti", group("risk_profile"), "2024-11-25")
    same = read_fact(spec, {"group:pti": group("risk_profile")})
    higher = read_fact(spec, {"group:pti": group("group_persecution")})
    assert fact_direction("group:pti", then, same) is None
    assert fact_direction("group:pti", then, higher) == "in_favour"


# Verdicts ------------------------------------------------------------------------------------


def test_each_verdict() -> None:
    risk = {"group:pti": group("risk_profile")}
    persecution = {"group:pti": group("group_persecution")}
    assert judge(risk, dict(risk)) is UNCHANGED
    assert judge(risk, persecution) is IN_FAVOUR
    assert judge(persecution, risk) is AGAINST
    assert (
        judge(
            {**risk, "article_15c:default": level("higher")},
            persecution | {"article_15c:default": level("lower")},
        )
        is MIXED
    )
    assert judge({}, risk) is INDETERMINATE


def test_not_stated_on_both_sides_is_no_change() -> None:
    assert judge(None, None) is UNCHANGED
    assert judge(None, {}) is UNCHANGED
    assert compare(facts({}), facts(None)) == []


def test_stated_on_one_side_only_is_indeterminate_whichever_side() -> None:
    assert judge({}, {"group:pti": group("risk_profile")}) is INDETERMINATE
    assert judge({"group:pti": group("risk_profile")}, {}) is INDETERMINATE
    assert judge({"group:pti": declined()}, {}) is INDETERMINATE


def test_indeterminate_outweighs_changes_with_a_direction() -> None:
    before = {"group:pti": declined()}
    after = {"group:pti": group("risk_profile"), "protection:general": protect(False)}
    assert judge(before, after) is INDETERMINATE
    after = {"group:pti": group("vulnerable_minority"), "article_15c:default": level("lower")}
    assert judge({"group:pti": group("risk_profile")}, after) is INDETERMINATE


# Group designation -----------------------------------------------------------------------


@pytest.mark.parametrize("category", ["risk_profile", "group_persecution", "vulnerable_minority"])
def test_a_claimed_group_designated_after_a_stated_no_is_in_favour(category: str) -> None:
    assert judge({"group:pti": declined()}, {"group:pti": group(category)}) is IN_FAVOUR
    revoked = {"group:pti": "revoke_group"}
    assert judge({}, {"group:pti": group(category)}, ends_before=revoked) is IN_FAVOUR


@pytest.mark.parametrize("category", ["risk_profile", "group_persecution", "vulnerable_minority"])
def test_a_claimed_group_revoked_or_declined_is_against(category: str) -> None:
    designated = {"group:pti": group(category)}
    assert judge(designated, {}, ends_after={"group:pti": "revoke_group"}) is AGAINST
    assert judge(designated, {}, ends_after={"group:pti": "replace_groups"}) is AGAINST
    assert judge(designated, {"group:pti": declined(category)}) is AGAINST


def test_a_claimed_group_designated_where_nothing_was_stated_is_indeterminate() -> None:
    assert judge({}, {"group:pti": group("risk_profile")}) is INDETERMINATE


def test_a_claimed_group_withdrawn_is_indeterminate() -> None:
    designated = {"group:pti": group("risk_profile")}
    assert judge(designated, {}, ends_after={"group:pti": "withdraw"}) is INDETERMINATE


def test_declined_and_no_longer_designated_are_the_same_stated_no() -> None:
    revoked = {"group:pti": "revoke_group"}
    assert judge({"group:pti": declined()}, {}, ends_after=revoked) is UNCHANGED
    assert judge({}, {"group:pti": declined()}, ends_before=revoked) is UNCHANGED


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        ("attention_group", "vulnerable_minority"),
        ("vulnerable_minority", "risk_profile"),
        ("vulnerable_minority", "group_persecution"),
        ("risk_profile", "group_persecution"),
    ],
)
def test_group_categories_rank_vulnerable_minority_below_risk_profile_below_persecution(
    lower: str, higher: str
) -> None:
    assert judge({"group:pti": group(lower)}, {"group:pti": group(higher)}) is IN_FAVOUR
    assert judge({"group:pti": group(higher)}, {"group:pti": group(lower)}) is AGAINST


def test_special_policy_is_off_the_scale() -> None:
    special = {"group:pti": group("special_policy")}
    assert judge({"group:pti": declined()}, special) is IN_FAVOUR
    assert judge(special, {"group:pti": declined()}) is AGAINST
    assert judge({"group:pti": group("risk_profile")}, special) is MIXED


def test_a_group_the_applicant_does_not_claim_does_not_count() -> None:
    assert judge({}, {"group:hazaras": group("risk_profile")}) is UNCHANGED


def test_a_decision_without_groups_has_no_group_facts_but_the_general_ones() -> None:
    found = relevant_facts({"group:pti": group("risk_profile")}, (), None)
    assert not [k for k in found if k.startswith("group:")]
    assert sorted(k for k in found if k.startswith(("protection:", "ipa:"))) == [
        "ipa:general",
        "protection:general",
    ]


# Article 15(c) ---------------------------------------------------------------------------


def test_the_regions_15c_level_raised_is_in_favour_and_lowered_is_against() -> None:
    low, high = {"article_15c:PK-BA": level("lower")}, {"article_15c:PK-BA": level("higher")}
    assert judge(low, high, region="PK-BA") is IN_FAVOUR
    assert judge(high, low, region="PK-BA") is AGAINST


def test_15c_from_none_to_most_exceptional_is_in_favour_and_back_against() -> None:
    none, most = (
        {"article_15c:PK-BA": level("none")},
        {"article_15c:PK-BA": level("most_exceptional")},
    )
    assert judge(none, most, region="PK-BA") is IN_FAVOUR
    assert judge(most, none, region="PK-BA") is AGAINST


def test_a_15c_bound_is_a_range_judged_in_favour_against_or_unclear() -> None:
    below = {"article_15c:default": bound("higher")}  # none up to higher
    assert judge(below, {"article_15c:default": level("most_exceptional")}) is IN_FAVOUR
    assert judge({"article_15c:default": level("most_exceptional")}, below) is AGAINST
    assert judge(below, {"article_15c:default": level("lower")}) is MIXED  # within the range
    assert facts(below)["article_15c"].value == "at_most:higher"


def test_a_region_without_its_own_15c_level_falls_back_to_the_default() -> None:
    low, high = {"article_15c:default": level("lower")}, {"article_15c:default": level("higher")}
    assert judge(low, high, region="PK-BA") is IN_FAVOUR
    assert judge(high, low, region="PK-BA") is AGAINST
    assert judge(low, high, region=None) is IN_FAVOUR


def test_a_regions_own_15c_level_hides_a_change_of_the_default() -> None:
    own = {"article_15c:PK-BA": level("lower")}
    before = {**own, "article_15c:default": level("none")}
    after = {**own, "article_15c:default": level("higher")}
    assert judge(before, after, region="PK-BA") is UNCHANGED


def test_another_regions_15c_change_does_not_count() -> None:
    before = {"article_15c:PK-KP": level("none")}
    after = {"article_15c:PK-KP": level("higher")}
    assert judge(before, after, region="PK-BA") is UNCHANGED


def test_15c_never_stated_then_stated_is_indeterminate_not_a_change_from_none() -> None:
    assert judge({}, {"article_15c:PK-BA": level("lower")}, region="PK-BA") is INDETERMINATE
    assert judge({}, {"article_15c:PK-BA": level("none")}, region="PK-BA") is INDETERMINATE


# Protection by the authorities -------------------------------------------------------------


def test_the_groups_own_protection_becoming_unavailable_is_in_favour_and_back_against() -> None:
    yes, no = {"protection:pti": protect(True)}, {"protection:pti": protect(False)}
    assert judge(yes, no) is IN_FAVOUR
    assert judge(no, yes) is AGAINST


def test_protection_falls_back_to_the_general_value() -> None:
    yes, no = {"protection:general": protect(True)}, {"protection:general": protect(False)}
    assert judge(yes, no) is IN_FAVOUR
    assert judge(no, yes) is AGAINST
    assert judge(yes, no, groups=()) is IN_FAVOUR  # the general fact, for every applicant


def test_the_groups_own_protection_hides_a_change_of_the_general_value() -> None:
    own = {"protection:pti": protect(True)}
    before = {**own, "protection:general": protect(True)}
    after = {**own, "protection:general": protect(False)}
    found = compare(facts(before), facts(after))
    assert [c.key for c in found] == ["protection:general"]  # not protection:pti
    assert judge(before, after) is IN_FAVOUR


def test_protection_never_stated_then_stated_is_indeterminate() -> None:
    assert judge({}, {"protection:general": protect(False)}) is INDETERMINATE
    assert judge(None, {"protection:pti": protect(False)}) is INDETERMINATE
    assert judge({}, {"protection:pti": protect(True)}) is INDETERMINATE


def test_another_groups_protection_does_not_count() -> None:
    assert judge({}, {"protection:hazaras": protect(False)}) is UNCHANGED


# Internal protection alternative ------------------------------------------------------------


@pytest.mark.parametrize(
    "element", ["ipa:pti:PK-BA", "ipa:pti", "ipa:general:PK-BA", "ipa:general"]
)
def test_ipa_becoming_unavailable_is_in_favour_and_back_against(element: str) -> None:
    yes, no = {element: ipa(True)}, {element: ipa(False)}
    assert judge(yes, no, region="PK-BA") is IN_FAVOUR
    assert judge(no, yes, region="PK-BA") is AGAINST


@pytest.mark.parametrize(
    ("specific", "general"),
    [
        ("ipa:pti:PK-BA", "ipa:pti"),
        ("ipa:pti", "ipa:general:PK-BA"),
        ("ipa:general:PK-BA", "ipa:general"),
    ],
)
def test_the_more_specific_ipa_value_hides_a_change_of_the_more_general(
    specific: str, general: str
) -> None:
    before = {specific: ipa(True), general: ipa(True)}
    after = {specific: ipa(True), general: ipa(False)}
    assert "ipa:pti" not in {
        c.key for c in compare(facts(before, region="PK-BA"), facts(after, region="PK-BA"))
    }


def test_ipa_without_a_region_uses_the_groups_then_the_general_value() -> None:
    assert judge({"ipa:general": ipa(True)}, {"ipa:general": ipa(False)}) is IN_FAVOUR
    assert judge({"ipa:pti": ipa(False)}, {"ipa:pti": ipa(True)}) is AGAINST
    regional = {"ipa:general:PK-BA": ipa(False)}
    assert judge({}, regional) is UNCHANGED  # another region's value, no region claimed


def test_ipa_for_an_applicant_without_groups_is_the_general_one() -> None:
    yes, no = {"ipa:general:PK-BA": ipa(True)}, {"ipa:general:PK-BA": ipa(False)}
    assert judge(yes, no, groups=(), region="PK-BA") is IN_FAVOUR
    assert facts(no, (), "PK-BA")["ipa:general"].element == "ipa:general:PK-BA"


def test_ipa_never_stated_then_unavailable_is_indeterminate() -> None:
    assert judge({}, {"ipa:pti:PK-BA": ipa(False)}, region="PK-BA") is INDETERMINATE


# Moratoria -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["decision", "departure"])
def test_a_moratorium_imposed_is_in_favour_and_lifted_against(kind: str) -> None:
    imposed = {f"moratorium:{kind}": MORATORIUM}
    assert judge({}, imposed, ends_before=LIFTED, ends_after=LIFTED) is IN_FAVOUR
    assert judge(imposed, {}, ends_before=LIFTED, ends_after=LIFTED) is AGAINST
    lapsed = {f"moratorium:{kind}": "lapse"}
    assert judge(imposed, {}, ends_after=lapsed) is AGAINST


@pytest.mark.parametrize("kind", ["decision", "departure"])
def test_a_moratorium_imposed_where_nothing_was_stated_or_withdrawn_is_indeterminate(
    kind: str,
) -> None:
    imposed = {f"moratorium:{kind}": MORATORIUM}
    assert judge({}, imposed) is INDETERMINATE
    withdrawn = {f"moratorium:{kind}": "withdraw"}
    assert judge(imposed, {}, ends_after=withdrawn) is INDETERMINATE


def test_a_moratorium_matters_without_any_group_claimed() -> None:
    imposed = {"moratorium:decision": MORATORIUM}
    assert judge({}, imposed, groups=(), ends_before=LIFTED, ends_after=LIFTED) is IN_FAVOUR


# Reception of unaccompanied minors ------------------------------------------------------------


def test_reception_becoming_inadequate_for_a_minor_is_in_favour_and_back_against() -> None:
    good, bad = (
        {"unaccompanied_minors": reception(True)},
        {"unaccompanied_minors": reception(False)},
    )
    assert judge(good, bad, minor=True) is IN_FAVOUR
    assert judge(bad, good, minor=True) is AGAINST


def test_reception_is_ignored_for_an_applicant_who_is_not_a_minor() -> None:
    good, bad = (
        {"unaccompanied_minors": reception(True)},
        {"unaccompanied_minors": reception(False)},
    )
    assert judge(good, bad, minor=False) is UNCHANGED
    assert "unaccompanied_minors" not in relevant_facts(bad, ("pti",), None)


def test_reception_never_stated_then_inadequate_is_indeterminate_for_a_minor() -> None:
    assert judge({}, {"unaccompanied_minors": reception(False)}, minor=True) is INDETERMINATE


# Places ---------------------------------------------------------------------------------------

# IQ-AR (Arbil) lies in IQ-KR (the Kurdistan Region): a region with a parent region.
PLACES = ("area:erbil-city", "IQ-AR", "IQ-KR", None)


def _at(kind: str, subject: str, place: str | None) -> str:
    if kind == "article_15c":
        return f"article_15c:{place or 'default'}"
    return ":".join(p for p in (kind, subject, place) if p)


@pytest.mark.parametrize(
    ("key", "kind", "subject", "value"),
    [
        ("protection:general", "protection", "general", protect(False)),
        ("ipa:general", "ipa", "general", ipa(False)),
        ("article_15c", "article_15c", "", level("lower")),
        ("moratorium:decision", "moratorium", "decision", MORATORIUM),
        ("group:pti", "group", "pti", group("risk_profile")),
        ("protection:pti", "protection", "pti", protect(False)),
    ],
)
def test_an_area_answers_before_its_region_its_parent_region_and_the_country(
    key: str, kind: str, subject: str, value: dict[str, Any]
) -> None:
    elements = [_at(kind, subject, place) for place in PLACES]
    for n, element in enumerate(elements):
        values = dict.fromkeys(elements[n:], value)  # this place and every wider one
        fact = facts(values, region="IQ-AR", areas=("erbil-city",))[key]
        assert (fact.status, fact.element) == (STATED, element)
    assert facts({}, region="IQ-AR", areas=("erbil-city",))[key].status == NOT_STATED


def test_areas_answer_in_the_order_named_and_only_the_applicants() -> None:
    values = {"article_15c:area:b": level("higher"), "article_15c:area:a": level("lower")}
    assert facts(values, areas=("a", "b"))["article_15c"].element == "article_15c:area:a"
    assert facts(values, areas=("b", "a"))["article_15c"].element == "article_15c:area:b"
    assert facts(values, areas=("c",))["article_15c"].status == NOT_STATED


def test_a_regions_stated_rule_answers_over_the_country_rule() -> None:
    values = {"ipa:general:PK-BA": ipa(False), "ipa:general": ipa(True)}
    assert facts(values, region="PK-BA")["ipa:general"].value is False
    assert facts(values, region="PK-KP")["ipa:general"].value is True
    assert facts(values)["ipa:general"].value is True


def test_a_wider_stated_rule_answers_before_a_narrower_stated_end() -> None:
    spec = spec_of("group:pti", region="PK-BA")
    ended = {"group:pti:PK-BA": "revoke_group"}
    wider = read_fact(spec, {"group:pti": group("risk_profile")}, ended)
    assert (wider.value, wider.element) == ("risk_profile", "group:pti")
    alone = read_fact(spec, {}, ended)
    assert (alone.status, alone.value, alone.element) == (STATED, NOT_DESIGNATED, "group:pti:PK-BA")


# Exceptions --------------------------------------------------------------------------------------


def test_a_rule_excepting_one_of_the_applicants_groups_is_not_stated_for_them() -> None:
    values = {"protection:general": excepting(protect(False), group="pti")}
    fact = facts(values)["protection:general"]
    assert (fact.status, fact.value, fact.excepted) == (NOT_STATED, None, "not for them")
    assert fact.element == "protection:general"  # the rule that does not apply
    assert facts(values)["protection:pti"].excepted == "not for them"
    other = facts(values, ("ahmadis",))["protection:general"]
    assert (other.status, other.value, other.excepted) == (STATED, False, None)


@pytest.mark.parametrize("kind", ["decision", "departure"])
def test_a_rule_excepting_the_kind_of_application_is_not_stated_for_it(kind: str) -> None:
    values = {f"moratorium:{kind}": excepting(MORATORIUM, application_type="family_reunification")}
    key = f"moratorium:{kind}"
    fact = facts(values, application_type="family_reunification")[key]
    assert (fact.status, fact.value, fact.excepted) == (NOT_STATED, None, "not for them")
    for other in ("first", "subsequent", None):
        fact = facts(values, application_type=other)[key]
        assert (fact.status, fact.value, fact.excepted) == (STATED, True, None)


def test_an_exception_of_the_most_specific_stated_rule_answers() -> None:
    values = {
        "ipa:general:PK-BA": excepting(ipa(True), group="pti"),
        "ipa:general": ipa(True),
    }
    fact = facts(values, region="PK-BA")["ipa:general"]
    assert (fact.status, fact.element, fact.excepted) == (
        NOT_STATED,
        "ipa:general:PK-BA",
        "not for them",
    )


def test_excepted_on_both_sides_is_no_change_and_on_one_side_indeterminate() -> None:
    imposed = {"moratorium:decision": MORATORIUM}
    excepted = {"moratorium:decision": excepting(MORATORIUM, application_type="subsequent")}
    profile = {"application_type": "subsequent"}
    assert judge(excepted, dict(excepted), **profile) is UNCHANGED
    assert judge(excepted, imposed, **profile) is INDETERMINATE
    assert judge(excepted, imposed) is UNCHANGED  # a first application: stated on both sides


# Mixtures, provenance, nothing ----------------------------------------------------------------


def test_a_fact_names_the_element_it_was_read_from() -> None:
    values = {"protection:general": protect(False), "article_15c:default": level("lower")}
    found = relevant_facts(values, ("pti",), "PK-BA")
    assert found["protection:pti"].element == "protection:general"
    assert found["article_15c"].element == "article_15c:default"


def test_changes_both_ways_are_mixed() -> None:
    before = {"group:pti": group("risk_profile"), "article_15c:PK-BA": level("none")}
    after = {"group:pti": declined(), "article_15c:PK-BA": level("higher")}
    assert judge(before, after, region="PK-BA") is MIXED


def test_two_changes_in_favour_are_in_favour_not_mixed() -> None:
    before = {"group:pti": declined()}
    after = {"group:pti": group("risk_profile"), "moratorium:departure": MORATORIUM}
    assert judge(before, after, ends_before=LIFTED, ends_after=LIFTED) is IN_FAVOUR


def test_no_change_is_unchanged() -> None:
    state = {"group:pti": group("risk_profile"), "protection:general": protect(False)}
    assert judge(state, dict(state), region="PK-BA", minor=True) is UNCHANGED


def test_a_label_change_of_a_claimed_group_is_no_change() -> None:
    before = {"group:pti": group("risk_profile")}
    after = {"group:pti": {**group("risk_profile"), "label_en": "renamed"}}
    assert judge(before, after) is UNCHANGED


def test_compare_reports_each_change_with_its_direction_statuses_and_element() -> None:
    before = facts({"group:pti": declined()})
    after = facts({"group:pti": group("risk_profile")})
    [change] = compare(before, after)
    assert (change.key, change.before, change.after) == ("group:pti", DECLINED, "risk_profile")
    assert (change.direction, change.element) == ("in_favour", "group:pti")
    assert (change.status_before, change.status_after) == (STATED, STATED)
    [back] = compare(after, before)
    assert (back.direction, back.element) == ("against", "group:pti")


def test_compare_reports_a_fact_stated_on_one_side_as_unknown() -> None:
    [change] = compare(facts({}), facts({"group:pti": group("risk_profile")}))
    assert (change.key, change.before, change.after) == ("group:pti", None, "risk_profile")
    assert (change.direction, change.element) == ("unknown", "group:pti")
    assert (change.status_before, change.status_after) == (NOT_STATED, STATED)
    [back] = compare(facts({"group:pti": group("risk_profile")}), facts({}))
    assert (back.direction, back.element) == ("unknown", "group:pti")


def test_direction_of_an_unchanged_value_is_none() -> None:
    assert direction("article_15c", "lower", "lower") is None
    assert direction("protection:pti", True, False) == "in_favour"
    assert direction("unaccompanied_minors", False, True) == "against"
    assert direction("moratorium:decision", False, True) == "in_favour"
    assert direction("group:pti", DECLINED, NOT_DESIGNATED) is None


# Citation ---------------------------------------------------------------------------------------


def test_citation_matches_mismatch_and_not_given() -> None:
    assert citation("v1", "v1") is Citation.MATCHES
    assert citation("v1", "v2") is Citation.MISMATCH
    assert citation("v1", None) is Citation.MISMATCH
    assert citation(None, "v1") is Citation.NOT_GIVEN
    assert citation(None, None) is Citation.NOT_GIVEN


# The decision itself ----------------------------------------------------------------------------


def test_a_decision_without_recorded_at_is_taken_at_the_end_of_its_day_in_amsterdam() -> None:
    decision = Decision(id="d", country="pk", decided_on=dt.date(2025, 1, 6))
    assert decision.country == "PK"
    assert decision.moment() == dt.datetime(2025, 1, 6, 22, 59, 59, 999999, tzinfo=dt.UTC)


def test_a_decisions_naive_recorded_at_is_utc() -> None:
    moment = dt.datetime(2025, 1, 6, 10, 0)
    decision = Decision(id="d", country="PK", decided_on=dt.date(2025, 1, 6), recorded_at=moment)
    assert decision.moment() == moment.replace(tzinfo=dt.UTC)


def test_a_decision_rejects_an_unknown_country_a_foreign_region_and_a_bad_group() -> None:
    with pytest.raises(UnknownCountryCodeError):
        Decision(id="d", country="XX", decided_on=dt.date(2025, 1, 6))
    with pytest.raises(RegionOutsideCountryError):
        Decision(
            id="d", country="PK", decided_on=dt.date(2025, 1, 6), region="AF-KAB"
        ).check_region()
    with pytest.raises(ValidationError):
        Decision(id="d", country="PK", decided_on=dt.date(2025, 1, 6), groups=("Bad Group!",))


def decided(**fields: Any) -> Decision:
    return Decision(id="d", country="PK", decided_on=dt.date(2025, 1, 6), **fields)


def error_fields(**fields: Any) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        decided(**fields)
    return [".".join(str(p) for p in e["loc"]) for e in caught.value.errors()]


def test_an_unaccompanied_minor_of_age_is_an_error_naming_age() -> None:
    assert error_fields(unaccompanied_minor=True, age=18) == ["age"]
    assert error_fields(unaccompanied_minor=True, age=40) == ["age"]
    assert decided(unaccompanied_minor=True, age=17).age == 17
    assert decided(age=40).age == 40  # of age, not claimed a minor
    assert error_fields(age=131) == ["age"]
    assert error_fields(age=-1) == ["age"]


def test_an_application_after_the_decision_is_an_error_naming_applied_on() -> None:
    assert error_fields(applied_on=dt.date(2025, 1, 7)) == ["applied_on"]
    assert decided(applied_on=dt.date(2025, 1, 6)).applied_on == dt.date(2025, 1, 6)


def test_areas_follow_the_id_pattern_and_application_types_the_enum() -> None:
    assert error_fields(areas=("Bad Area",)) == ["areas.0"]
    assert error_fields(areas=("ok", "-no")) == ["areas.1"]
    assert error_fields(application_type="appeal") == ["application_type"]
    for kind in ("first", "subsequent", "family_reunification"):
        assert decided(application_type=kind).case().application_type == kind


def test_a_cited_text_is_trimmed_and_never_empty() -> None:
    assert decided(cited=(" WBV 2024/27 ",)).cited == ("WBV 2024/27",)
    assert error_fields(cited=("  ",)) == ["cited.0"]
    assert error_fields(cited=("x" * 201,)) == ["cited.0"]


def test_a_decisions_case_carries_the_new_fields() -> None:
    case = decided(
        groups=("pti", "ahmadis", "pti"),
        region="PK-BA",
        areas=("quetta", "gwadar", "quetta"),
        unaccompanied_minor=True,
        age=16,
        applied_on=dt.date(2024, 3, 1),
        application_type="subsequent",
        cited=("WBV 2024/27", "Kamerstuk 19637, nr. 3318"),
    ).case()
    assert case.groups == ("ahmadis", "pti")  # a set: distinct and sorted
    assert case.areas == ("quetta", "gwadar")  # distinct, in the order named
    assert (case.age, case.applied_on, case.application_type) == (16, "2024-03-01", "subsequent")
    assert case.cited == ("WBV 2024/27", "Kamerstuk 19637, nr. 3318")
    assert case.profile == (("ahmadis", "pti"), "PK-BA", ("quetta", "gwadar"), True, "subsequent")


# Cited texts ----------------------------------------------------------------------------------

ON = dt.date(2025, 1, 6)
RECORDED = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def source(kind: str, reference: str) -> Source:
    return Source.model_validate({"kind": kind, "reference": reference})


@pytest.mark.parametrize(
    ("cited", "kind", "reference", "expected"),
    [
        (
            "Kamerstuk 19637, nr. 3318",
            "kamerstuk",
            "Kamerstukken II 2024/25, 19637, nr. 3318",
            True,
        ),
        ("kst-19637-3318", "kamerstuk", "Kamerstuk 19637, nr. 3318", True),
        ("19637, nr. 3318", "kamerstuk", "Kamerstuk 19637, nr. 3318", True),  # no kind named
        ("Kamerstuk 19637, nr. 331", "kamerstuk", "Kamerstuk 19637, nr. 3318", False),
        ("Kamerstuk 3318, nr. 19637", "kamerstuk", "Kamerstuk 19637, nr. 3318", False),
        ("WBV 19637 3318", "kamerstuk", "Kamerstuk 19637, nr. 3318", False),  # another kind
        ("WBV 2024/27", "wbv", "WBV 2024/27", True),
        ("WBV 2024/027", "wbv", "WBV 2024/27", True),  # leading zeros do not count
        ("WBV 2024/2", "wbv", "WBV 2024/27", False),
        ("Staatscourant 2024, 38422", "staatscourant", "Stcrt. 2024, 38422", True),
        ("Stcrt. 2024, 38422", "wbv", "WBV 2024/27", False),
        ("ECLI:NL:RVS:2024:2927", "ecli", "ECLI:NL:RVS:2024:2927", True),
        ("ecli:nl:rvs:2024:2927", "ecli", "ECLI:NL:RVS:2024:2927", True),
        ("ECLI:NL:RBDHA:2024:2927", "ecli", "ECLI:NL:RVS:2024:2927", False),  # another court
        ("the letter", "kamerstuk", "Kamerstuk 19637, nr. 3318", False),  # no numbers
    ],
)
def test_a_cited_text_matches_a_source_by_its_numbers_and_kind(
    cited: str, kind: str, reference: str, expected: bool
) -> None:
    assert matches(cited, source(kind, reference)) is expected


def record(
    reference: str = "WBV 2024/27",
    *,
    announced_on: dt.date = dt.date(2024, 12, 18),
    in_force_from: dt.date | None = dt.date(2024, 12, 20),
    id: str = "a1",
) -> AmendmentRecord:
    return AmendmentRecord(
        id=id,
        country="PK",
        position=1,
        recorded_at=RECORDED,
        announced_on=announced_on,
        in_force_from=in_force_from,
        attestation=False,
        title=f"title {id}",
        sources=(source("wbv", reference),),
        rationale="r",
        author="t",
        changes=(),
    )


def published(record: AmendmentRecord) -> tuple[AmendmentRecord | None, dt.datetime]:
    """The record as published by the decision date (the published basis)."""
    return record.as_published(ON), END_OF_TIME


def check(
    cited: str, *records: AmendmentRecord, holding: tuple[str, ...] = ("a1", "a2")
) -> tuple[str, str | None]:
    found = check_cited(cited, records, ON, published, holding.__contains__)
    return found["status"], found["why"]


def test_a_cited_text_published_in_force_and_holding_is_in_force() -> None:
    found = check_cited("WBV 2024/27", [record()], ON, published, {"a1"}.__contains__)
    assert found == {
        "text": "WBV 2024/27",
        "status": IN_FORCE,
        "why": None,
        "amendments": [{"id": "a1", "title": "title a1", "status": IN_FORCE}],
    }


def test_a_cited_text_no_source_matches_is_unknown() -> None:
    found = check_cited("WBV 2099/1", [record()], ON, published, {"a1"}.__contains__)
    assert (found["status"], found["why"], found["amendments"]) == (UNKNOWN, None, [])


def test_a_cited_text_without_an_in_force_date_is_pending() -> None:
    assert check("WBV 2024/27", record(in_force_from=None)) == (NOT_IN_FORCE, "pending")


def test_a_cited_text_whose_in_force_date_was_published_later_is_pending() -> None:
    learned = record(in_force_from=None).with_in_force(
        dt.date(2024, 12, 20), RECORDED, announced_on=dt.date(2025, 2, 1)
    )
    assert check("WBV 2024/27", learned) == (NOT_IN_FORCE, "pending")
    known = record(in_force_from=None).with_in_force(
        dt.date(2024, 12, 20), RECORDED, announced_on=dt.date(2025, 1, 2)
    )
    assert check("WBV 2024/27", known) == (IN_FORCE, None)


def test_a_cited_text_retracted_by_the_decision_date_is_retracted() -> None:
    retracted = record().with_retraction("wrong", RECORDED, announced_on=dt.date(2025, 1, 3))
    assert check("WBV 2024/27", retracted) == (NOT_IN_FORCE, "retracted")
    later = record().with_retraction("wrong", RECORDED, announced_on=dt.date(2025, 2, 1))
    assert check("WBV 2024/27", later) == (IN_FORCE, None)  # not yet published


def test_a_cited_text_published_or_in_force_after_the_decision_is_later() -> None:
    assert check("WBV 2024/27", record(announced_on=dt.date(2025, 2, 1))) == (
        NOT_IN_FORCE,
        "later",
    )
    assert check("WBV 2024/27", record(in_force_from=dt.date(2025, 2, 1))) == (
        NOT_IN_FORCE,
        "later",
    )


def test_a_cited_text_in_force_but_no_longer_holding_is_superseded() -> None:
    assert check("WBV 2024/27", record(), holding=()) == (NOT_IN_FORCE, "superseded")


def test_a_cited_text_is_in_force_when_one_matching_amendment_is() -> None:
    pending = record(id="a2", in_force_from=None)
    assert check("WBV 2024/27", pending, record()) == (IN_FORCE, None)
    assert check("WBV 2024/27", pending, record(), holding=()) == (NOT_IN_FORCE, "superseded")
    later = record(id="a2", announced_on=dt.date(2025, 3, 1))
    assert check("WBV 2024/27", pending, later) == (NOT_IN_FORCE, "later")


def test_on_the_recorded_basis_a_text_recorded_after_the_decision_is_later() -> None:
    moment = dt.datetime(2024, 12, 31, tzinfo=dt.UTC)  # the ledger recorded it on 1 January

    def as_recorded(r: AmendmentRecord) -> tuple[AmendmentRecord | None, dt.datetime]:
        return (r if r.is_known(moment) else None), moment

    found = check_cited("WBV 2024/27", [record()], ON, as_recorded, {"a1"}.__contains__)
    assert (found["status"], found["why"]) == (NOT_IN_FORCE, "later")
