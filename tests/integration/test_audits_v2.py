"""Audits v2 on each store: stated facts only, places and exceptions, what was published,
findings, cited texts, warnings and the CLI's exits, on one small history of PK.

The history (review date 2024-06-01):
- nr. 1, announced 2024-01-01, in force 2024-01-10, an attestation: group a a risk profile
  ("remains");
- nr. 2, announced and in force 2024-02-01: the area `city` within PK-BA; Article 15(c) most
  exceptional in `city`, except members of group b; lower in the rest of the country; a
  decision moratorium in PK-KP, not for family reunification; group g group persecution;
  group d stated not a risk profile; an internal protection alternative available;
- nr. 3, announced 2024-03-15, in force 2024-02-15 (retroactive): group a revoked.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.bootstrap import Services
from api.cli import cli
from domain.commands import AmendmentDraft
from domain.decision import Decision
from projections.audit.judging import Auditor, StoredStates

REVIEW = dt.date(2024, 6, 1)
RECORDED = dt.datetime(2024, 12, 1, 9, tzinfo=dt.UTC)  # the history is entered afterwards


def source(number: int) -> dict[str, Any]:
    return {"kind": "kamerstuk", "reference": f"Kamerstuk 19637, nr. {number}"}


def group(g: str, category: str = "risk_profile") -> dict[str, Any]:
    return {"group": g, "category": category, "label_nl": g, "label_en": g}


HISTORY = [
    {
        "announced_on": "2024-01-01",
        "in_force_from": "2024-01-10",
        "attestation": True,
        "sources": [source(1)],
        "changes": [{"type": "designate_group", **group("a")}],
    },
    {
        "announced_on": "2024-02-01",
        "in_force_from": "2024-02-01",
        "sources": [source(2)],
        "changes": [
            {
                "type": "define_area",
                "area": "city",
                "label_nl": "de stad",
                "label_en": "the city",
                "within": ["PK-BA"],
            },
            {
                "type": "set_article_15c",
                "level": "most_exceptional",
                "armed_conflict": True,
                "scope": {"areas": ["city"]},
                "exceptions": [{"group": "b", "text": "members of b"}],
            },
            {"type": "set_article_15c", "level": "lower", "armed_conflict": True},
            {
                "type": "impose_moratorium",
                "kind": "decision",
                "scope": {"regions": ["PK-KP"]},
                "exceptions": [
                    {"application_type": "family_reunification", "text": "not for nareis"}
                ],
            },
            {"type": "designate_group", **group("g", "group_persecution")},
            {"type": "designate_group", **group("b")},
            {"type": "decline_group", **group("d")},
            {"type": "set_internal_protection_alternative", "available": True},
        ],
    },
    {
        "announced_on": "2024-03-15",
        "in_force_from": "2024-02-15",
        "sources": [source(3)],
        "changes": [{"type": "revoke_group", "group": "a", "category": "risk_profile"}],
    },
]


@pytest.fixture
def history(ledger: Services, clock: Any) -> Services:
    clock.set(RECORDED)
    for amendment in HISTORY:
        draft = AmendmentDraft.model_validate(amendment)
        version = ledger.app.version_of("PK")
        ledger.app.record_amendment("PK", draft, author="t", expected_version=version)
    ledger.catch_up.run()
    return ledger


def audit(ledger: Services, basis: str = "published", **fields: Any) -> dict[str, Any]:
    auditor = Auditor(StoredStates(ledger.reads.index()), REVIEW, basis=basis)
    decision = Decision.model_validate({"id": "d", "country": "PK", **fields})
    return auditor.audit(decision)


def facts(result: dict[str, Any], side: str = "at_decision") -> dict[str, tuple[Any, Any]]:
    return {k: (f["status"], f["value"]) for k, f in result[side]["facts"].items()}


def codes(result: dict[str, Any]) -> list[str]:
    return [f["code"] for f in result["findings"]]


# Statuses ----------------------------------------------------------------------------------


def test_nothing_is_filled_in_what_the_policy_does_not_state(history: Services) -> None:
    result = audit(history, decided_on="2024-02-10", unaccompanied_minor=True)
    stated = facts(result)
    assert stated["protection:general"] == ("not_stated", None)
    assert stated["unaccompanied_minors"] == ("not_stated", None)
    assert stated["moratorium:decision"] == ("not_stated", None)  # only in PK-KP
    # The general alternative is a fact for an applicant who claims no group.
    assert stated["ipa:general"] == ("stated", True)


def test_before_an_attestation_the_attested_value_is_reported_with_its_date(
    history: Services,
) -> None:
    result = audit(history, decided_on="2024-01-05", groups=["a"], outcome="rejected")
    fact = result["at_decision"]["facts"]["group:a"]
    assert (fact["status"], fact["value"], fact["since"]) == (
        "attested_later",
        "risk_profile",
        "2024-01-10",
    )
    # No policy is recorded yet: a finding, not a rejected row. The attestation was
    # published on 1 January: the official could know the group remained a risk profile.
    assert codes(result) == ["no_recorded_policy", "rejected_risk_profile_member"]
    # Against the review, the attested value is a value: its revocation reads against.
    assert result["verdict"] == "indeterminate"  # 15(c) was not stated before 1 February
    changes = {c["fact"]: c["direction"] for c in result["changes"]}
    assert changes == {
        "group:a": "against",
        "article_15c": "unknown",
        "ipa:a": "unknown",
        "ipa:general": "unknown",
    }
    assert set(result["indeterminate"]) == {"article_15c", "ipa:a", "ipa:general"}


def test_a_declined_group_is_a_stated_no_and_a_revoked_one_no_longer_designated(
    history: Services,
) -> None:
    result = audit(history, decided_on="2024-04-01", groups=["a", "d"], outcome="granted")
    stated = facts(result)
    assert stated["group:d"] == ("stated", "declined")
    assert stated["group:a"] == ("stated", "not_designated")
    assert codes(result) == ["granted_despite_declined_group"]


# Places and exceptions ---------------------------------------------------------------------


def test_an_area_rule_answers_before_the_country_rule(history: Services) -> None:
    in_city = audit(
        history,
        decided_on="2024-02-10",
        region="PK-BA",
        areas=["city"],
        groups=["g"],
        outcome="rejected",
    )
    fact = in_city["at_decision"]["facts"]["article_15c"]
    assert (fact["value"], fact["element"]) == ("most_exceptional", "article_15c:area:city")
    assert codes(in_city) == [
        "rejected_group_persecution_member",
        "rejected_from_most_exceptional_15c_area",
    ]
    finding = in_city["findings"][1]
    assert set(finding["facts"]) == {"article_15c", "ipa:general"}
    outside = audit(history, decided_on="2024-02-10", region="PK-BA")
    assert facts(outside)["article_15c"] == ("stated", "lower")


def test_a_rule_whose_exception_names_a_claimed_group_does_not_apply(history: Services) -> None:
    result = audit(
        history,
        decided_on="2024-02-10",
        region="PK-BA",
        areas=["city"],
        groups=["b"],
        outcome="rejected",
    )
    fact = result["at_decision"]["facts"]["article_15c"]
    assert (fact["status"], fact["value"], fact["excepted"]) == (
        "not_stated",
        None,
        "members of b",
    )
    assert "rejected_from_most_exceptional_15c_area" not in codes(result)


def test_a_moratorium_not_for_family_reunification_spares_only_those(history: Services) -> None:
    first = audit(
        history,
        decided_on="2024-02-10",
        region="PK-KP",
        application_type="first",
        outcome="rejected",
    )
    assert facts(first)["moratorium:decision"] == ("stated", True)
    assert codes(first) == ["decided_during_decision_moratorium"]
    family = audit(
        history,
        decided_on="2024-02-10",
        region="PK-KP",
        application_type="family_reunification",
        outcome="rejected",
    )
    assert facts(family)["moratorium:decision"] == ("not_stated", None)
    assert family["at_decision"]["facts"]["moratorium:decision"]["excepted"] == "not for nareis"
    assert codes(family) == []


# What the official could know ------------------------------------------------------------


def test_a_retroactive_act_published_later_is_not_what_the_official_could_know(
    history: Services,
) -> None:
    result = audit(history, decided_on="2024-03-01", groups=["a"], outcome="rejected")
    assert result["basis"] == "published"
    assert facts(result)["group:a"] == ("stated", "not_designated")
    assert facts(result, "as_known")["group:a"] == ("stated", "risk_profile")
    assert result["record_differs"] is True
    # The findings read the basis: the official saw a risk profile.
    assert codes(result) == ["rejected_risk_profile_member"]
    after = audit(history, decided_on="2024-03-20", groups=["a"], outcome="rejected")
    assert facts(after, "as_known")["group:a"] == ("stated", "not_designated")
    assert after["record_differs"] is False


def test_on_the_recorded_basis_a_history_entered_later_differs_for_every_decision(
    history: Services,
) -> None:
    result = audit(history, basis="recorded", decided_on="2024-04-01", groups=["g"])
    assert "as_known" not in result
    assert result["as_recorded"]["coverage"] is False
    assert facts(result, "as_recorded")["group:g"] == ("not_stated", None)
    assert result["record_differs"] is True
    published = audit(history, decided_on="2024-04-01", groups=["g"])
    assert published["record_differs"] is False


# Cited texts, warnings -------------------------------------------------------------------


def test_each_cited_text_is_checked_against_the_amendments_it_names(history: Services) -> None:
    cited = ["Kamerstukken II 2023/24, 19637, nr. 3", "Kamerstuk 19637, nr. 1", "WBV 2024/1"]
    before = audit(history, decided_on="2024-03-01", cited=cited)
    assert [(c["status"], c["why"]) for c in before["cited"]] == [
        ("not_in_force", "later"),  # published on 15 March
        ("in_force", None),
        ("unknown", None),
    ]
    after = audit(history, decided_on="2024-04-01", cited=cited)
    assert [(c["status"], c["why"]) for c in after["cited"]] == [
        ("in_force", None),
        ("not_in_force", "superseded"),  # its one statement, a's designation, was revoked
        ("unknown", None),
    ]


def test_a_group_the_ledger_never_named_is_a_warning_and_the_row_is_judged(
    history: Services,
) -> None:
    result = audit(history, decided_on="2024-04-01", groups=["g", "sikhs"])
    [warning] = result["warnings"]
    assert (warning["code"], warning["groups"]) == ("unknown_groups", ["sikhs"])
    assert result["verdict"] == "unchanged"


# The command line --------------------------------------------------------------------------


def run(store_url: str, *args: str) -> Any:
    return CliRunner().invoke(cli, ["audit", *args], env={"POLICY_LEDGER_DATABASE_URL": store_url})


def test_the_cli_exits_0_when_every_row_is_judged_3_when_some_are_rejected_2_on_a_bad_file(
    history: Services, store_url: str, tmp_path: Path
) -> None:
    good = tmp_path / "good.csv"
    good.write_text(
        "id,country,decided_on,groups,areas,region,cited\n"
        "a,PK,2024-02-10,g,city,PK-BA,Kamerstuk 19637 nr. 2\n",
        encoding="utf-8",
    )
    report = tmp_path / "report.jsonl"
    assert (
        run(store_url, str(good), "-o", str(report), "--review-date", "2024-06-01").exit_code == 0
    )
    first, last = list(report.read_text(encoding="utf-8").splitlines())
    assert '"most_exceptional"' in first
    assert '"ledger"' in last

    mixed = tmp_path / "mixed.csv"
    mixed.write_text(
        "id,country,decided_on,age,unaccompanied_minor\n"
        "a,PK,2024-02-10,,\nb,PK,2024-02-10,19,true\n",
        encoding="utf-8",
    )
    result = run(store_url, str(mixed), "-o", str(tmp_path / "mixed.csv.html"))
    assert result.exit_code == 3, result.output
    assert "b" in (tmp_path / "mixed.csv.html").read_text(encoding="utf-8")

    missing = run(store_url, str(tmp_path / "nowhere.csv"))
    assert missing.exit_code == 2
