"""The audit's verdict rules (domain.facts), each both ways, on hand-built element values.

A state is a dict element id -> value, as the read model holds it. Every rule is read from
the applicant's side: a change that makes protection more likely is "in favour".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from domain.decision import Decision
from domain.errors import RegionOutsideCountryError, UnknownCountryCodeError
from domain.facts import (
    Citation,
    Verdict,
    citation,
    compare,
    direction,
    relevant_facts,
    verdict,
)

Values = dict[str, dict[str, Any]]
IN_FAVOUR, AGAINST = Verdict.IN_FAVOUR, Verdict.AGAINST


def group(category: str) -> dict[str, Any]:
    return {"category": category, "label_nl": "x", "label_en": "x"}


def level(value: str) -> dict[str, Any]:
    return {"level": value, "armed_conflict": value != "none"}


def protect(value: bool) -> dict[str, Any]:
    return {"authorities_protect": value, "note": None}


def ipa(value: bool) -> dict[str, Any]:
    return {"available": value, "note": None}


def reception(value: bool) -> dict[str, Any]:
    return {"adequate": value, "note": None}


MORATORIUM: dict[str, Any] = {"until": None}


def judge(
    before: Values | None,
    after: Values | None,
    groups: tuple[str, ...] = ("pti",),
    region: str | None = None,
    minor: bool = False,
) -> Verdict:
    facts = (relevant_facts(v, groups, region, minor=minor) for v in (before, after))
    return verdict(compare(*facts))


# Group designation -----------------------------------------------------------------------


@pytest.mark.parametrize("category", ["risk_profile", "group_persecution", "vulnerable_minority"])
def test_a_claimed_group_newly_designated_is_in_favour(category: str) -> None:
    assert judge({}, {"group:pti": group(category)}) is IN_FAVOUR


@pytest.mark.parametrize("category", ["risk_profile", "group_persecution", "vulnerable_minority"])
def test_a_claimed_group_revoked_is_against(category: str) -> None:
    assert judge({"group:pti": group(category)}, {}) is AGAINST


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
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


def test_a_group_the_applicant_does_not_claim_does_not_count() -> None:
    assert judge({}, {"group:hazaras": group("risk_profile")}) is Verdict.UNCHANGED


def test_a_decision_without_groups_has_no_group_facts() -> None:
    facts = relevant_facts({"group:pti": group("risk_profile")}, (), None)
    assert not [k for k in facts if k.startswith(("group:", "protection:", "ipa:"))]


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


def test_a_region_without_its_own_15c_level_falls_back_to_the_default() -> None:
    low, high = {"article_15c:default": level("lower")}, {"article_15c:default": level("higher")}
    assert judge(low, high, region="PK-BA") is IN_FAVOUR
    assert judge(high, low, region="PK-BA") is AGAINST
    assert judge(low, high, region=None) is IN_FAVOUR


def test_a_regions_own_15c_level_hides_a_change_of_the_default() -> None:
    own = {"article_15c:PK-BA": level("lower")}
    before = {**own, "article_15c:default": level("none")}
    after = {**own, "article_15c:default": level("higher")}
    assert judge(before, after, region="PK-BA") is Verdict.UNCHANGED


def test_another_regions_15c_change_does_not_count() -> None:
    before = {"article_15c:PK-KP": level("none")}
    after = {"article_15c:PK-KP": level("higher")}
    assert judge(before, after, region="PK-BA") is Verdict.UNCHANGED


def test_15c_never_recorded_counts_as_none() -> None:
    assert judge({}, {"article_15c:PK-BA": level("lower")}, region="PK-BA") is IN_FAVOUR
    assert judge({}, {"article_15c:PK-BA": level("none")}, region="PK-BA") is Verdict.UNCHANGED


# Protection by the authorities -------------------------------------------------------------


def test_the_groups_own_protection_becoming_unavailable_is_in_favour_and_back_against() -> None:
    yes, no = {"protection:pti": protect(True)}, {"protection:pti": protect(False)}
    assert judge(yes, no) is IN_FAVOUR
    assert judge(no, yes) is AGAINST


def test_protection_falls_back_to_the_general_value() -> None:
    yes, no = {"protection:general": protect(True)}, {"protection:general": protect(False)}
    assert judge(yes, no) is IN_FAVOUR
    assert judge(no, yes) is AGAINST


def test_the_groups_own_protection_hides_a_change_of_the_general_value() -> None:
    own = {"protection:pti": protect(True)}
    before = {**own, "protection:general": protect(True)}
    after = {**own, "protection:general": protect(False)}
    assert judge(before, after) is Verdict.UNCHANGED


def test_protection_never_recorded_then_unavailable_is_in_favour() -> None:
    assert judge({}, {"protection:general": protect(False)}) is IN_FAVOUR
    assert judge(None, {"protection:pti": protect(False)}) is IN_FAVOUR


def test_protection_never_recorded_then_available_is_unchanged() -> None:
    assert judge({}, {"protection:pti": protect(True)}) is Verdict.UNCHANGED


def test_another_groups_protection_does_not_count() -> None:
    assert judge({}, {"protection:hazaras": protect(False)}) is Verdict.UNCHANGED


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
    assert judge(before, after, region="PK-BA") is Verdict.UNCHANGED


def test_ipa_without_a_region_uses_the_groups_then_the_general_value() -> None:
    assert judge({}, {"ipa:general": ipa(False)}) is IN_FAVOUR
    assert judge({"ipa:pti": ipa(False)}, {"ipa:pti": ipa(True)}) is AGAINST
    regional = {"ipa:general:PK-BA": ipa(False)}
    assert judge({}, regional) is Verdict.UNCHANGED  # another region's value, no region claimed


def test_ipa_never_recorded_then_unavailable_is_in_favour() -> None:
    assert judge({}, {"ipa:pti:PK-BA": ipa(False)}, region="PK-BA") is IN_FAVOUR


# Moratoria -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["decision", "departure"])
def test_a_moratorium_imposed_is_in_favour_and_lifted_against(kind: str) -> None:
    imposed = {f"moratorium:{kind}": MORATORIUM}
    assert judge({}, imposed) is IN_FAVOUR
    assert judge(imposed, {}) is AGAINST


def test_a_moratorium_matters_without_any_group_claimed() -> None:
    assert judge({}, {"moratorium:decision": MORATORIUM}, groups=()) is IN_FAVOUR


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
    assert judge(good, bad, minor=False) is Verdict.UNCHANGED
    assert "unaccompanied_minors" not in relevant_facts(bad, ("pti",), None, False)


def test_reception_never_recorded_then_inadequate_is_in_favour_for_a_minor() -> None:
    assert judge({}, {"unaccompanied_minors": reception(False)}, minor=True) is IN_FAVOUR


# Assumptions, mixtures, nothing ----------------------------------------------------------------


def test_a_value_never_recorded_is_the_usual_assumption() -> None:
    facts = relevant_facts(None, ("pti",), "PK-BA", True)
    assert {k: (f.value, f.element) for k, f in facts.items()} == {
        "group:pti": (None, None),
        "protection:pti": (True, None),
        "ipa:pti": (True, None),
        "article_15c": ("none", None),
        "moratorium:decision": (False, None),
        "moratorium:departure": (False, None),
        "unaccompanied_minors": (True, None),
    }


def test_a_fact_names_the_element_it_was_read_from() -> None:
    values = {"protection:general": protect(False), "article_15c:default": level("lower")}
    facts = relevant_facts(values, ("pti",), "PK-BA", False)
    assert facts["protection:pti"].element == "protection:general"
    assert facts["article_15c"].element == "article_15c:default"


def test_changes_both_ways_are_mixed() -> None:
    before = {"group:pti": group("risk_profile"), "article_15c:PK-BA": level("none")}
    after = {"article_15c:PK-BA": level("higher")}
    assert judge(before, after, region="PK-BA") is Verdict.MIXED


def test_two_changes_in_favour_are_in_favour_not_mixed() -> None:
    after = {"group:pti": group("risk_profile"), "moratorium:departure": MORATORIUM}
    assert judge({}, after) is IN_FAVOUR


def test_no_change_is_unchanged() -> None:
    state = {"group:pti": group("risk_profile"), "protection:general": protect(False)}
    assert judge(state, dict(state), region="PK-BA", minor=True) is Verdict.UNCHANGED
    assert judge(None, None) is Verdict.UNCHANGED
    assert judge(None, {}) is Verdict.UNCHANGED


def test_a_label_change_of_a_claimed_group_is_no_change() -> None:
    before = {"group:pti": group("risk_profile")}
    after = {"group:pti": {**group("risk_profile"), "label_en": "renamed"}}
    assert judge(before, after) is Verdict.UNCHANGED


def test_compare_reports_each_change_with_its_direction_and_element() -> None:
    before = relevant_facts({}, ("pti",), None, False)
    after = relevant_facts({"group:pti": group("risk_profile")}, ("pti",), None, False)
    [change] = compare(before, after)
    assert (change.key, change.before, change.after) == ("group:pti", None, "risk_profile")
    assert (change.direction, change.element) == ("in_favour", "group:pti")
    [back] = compare(after, before)
    assert (back.direction, back.element) == ("against", "group:pti")


def test_direction_of_an_unchanged_value_is_none() -> None:
    assert direction("article_15c", "lower", "lower") is None
    assert direction("protection:pti", True, False) == "in_favour"
    assert direction("unaccompanied_minors", False, True) == "against"


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
