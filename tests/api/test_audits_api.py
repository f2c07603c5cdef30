"""POST /audits and POST /countries/{code}/policy/what-if on each store, over the PK demo.

Audits need a token of any role (audits_require_token, on by default; off, they follow the
read policy), and one client runs at most audits_per_client at once (429 beyond). Drafts are
applied in memory only: the store is compared before and after.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from api_support import (
    SEVEN,
    SIX,
    Demo,
    amendment,
    assert_problem,
    bearer,
    group_ids,
    snapshot,
    utc_now,
)
from fastapi.testclient import TestClient

REVIEW = "2025-06-01"


@pytest.fixture
def client(make_client: Callable[..., TestClient], reader_token: str) -> TestClient:
    """An app with the default settings, every request carrying a reader's token."""
    made = make_client()
    made.headers.update(bearer(reader_token))
    return made


REVOKE_PTI = amendment(
    title="Draft: PTI no longer a risk profile",
    in_force_from="2025-01-01",
    changes=[{"type": "revoke_group", "group": "pti", "category": "risk_profile"}],
)


def decision(name: str, **fields: Any) -> dict[str, Any]:
    return {"id": name, "country": "PK", "decided_on": "2025-01-15", **fields}


def post_audit(client: TestClient, decisions: list[Any], **body: Any) -> Any:
    response = client.post("/audits", json={"review_date": REVIEW, "decisions": decisions, **body})
    assert response.status_code == 200, response.text
    return response.json()


# Audits ---------------------------------------------------------------------------------


def test_audits_judge_each_decision_under_the_policy_on_its_date(
    client: TestClient, pakistan: Demo
) -> None:
    before_letter = decision("a", decided_on="2024-11-25", groups=["pti"], region="PK-BA")
    after_letter = decision("b", country="pk", groups=["hazaras"], unaccompanied_minor=True)
    body = post_audit(client, [before_letter, after_letter])

    a, b = body["results"]
    # Before the letter nothing was stated of PTI or of 15(c) in Balochistan: from not
    # stated to stated has no known direction, so the verdict says so and names them.
    assert (a["id"], a["verdict"], b["id"], b["verdict"]) == (
        "a",
        "indeterminate",
        "b",
        "unchanged",
    )
    assert a["indeterminate"] == ["group:pti", "article_15c"]
    pti = a["at_decision"]["facts"]["group:pti"]
    assert (pti["status"], pti["value"], pti["element"]) == ("not_stated", None, None)
    changes = {c["fact"]: c for c in a["changes"]}
    assert (changes["group:pti"]["after"], changes["group:pti"]["direction"]) == (
        "risk_profile",
        "unknown",
    )
    assert changes["group:pti"]["amendment"]["id"] == pakistan.letter
    assert "Kamerstuk 19637, nr. 3318" in [s["reference"] for s in changes["group:pti"]["sources"]]
    assert (changes["article_15c"]["before"], changes["article_15c"]["after"]) == (None, "lower")
    assert b["country"] == "PK"
    assert b["at_decision"]["facts"]["group:hazaras"]["value"] == "risk_profile"
    assert body["rejected"] == []
    assert body["review_date"] == REVIEW
    summary = body["summary"]
    assert (summary["decisions"], summary["audited"], summary["rejected"]) == (2, 2, 0)
    assert summary["verdicts"] == {"indeterminate": 1, "unchanged": 1}
    assert summary["basis"] == "published"
    assert body["ledger"]["digest"]
    assert summary["countries"] == {"PK": 2}
    assert summary["citations"] == {"not_given": 2}


def test_a_cited_version_is_checked_against_the_version_recorded_then(
    client: TestClient, pakistan: Demo
) -> None:
    version = client.get("/countries/PK/policy", params={"on": "2025-01-15"}).json()["version_id"]
    moment = "2099-01-01T00:00:00Z"  # after the demo was recorded: as recorded = as known now
    cited = decision("c", recorded_at=moment, cited_version_id=version)
    other = decision("o", recorded_at=moment, cited_version_id="0" * 64)
    body = post_audit(client, [cited, other, decision("n")])
    assert [r["citation"] for r in body["results"]] == ["matches", "mismatch", "not_given"]


def test_bad_rows_are_reported_by_line_and_field_and_the_others_audited(
    client: TestClient, pakistan: Demo
) -> None:
    decisions = [
        decision("ok-1"),
        decision("bad-date", decided_on="2025-02-30"),
        decision("bad-group", groups=["pti", "Sikh Community"]),
        decision("foreign-region", region="AF-KAB"),
        decision("no-policy", country="AF"),
        decision("no-code", country="XX"),
        {"country": "PK", "decided_on": "2025-01-15"},
        "not an object",
        decision("ok-2", groups=["pti"]),
    ]
    body = post_audit(client, decisions)

    # A country without a recorded policy is judged: a finding, not a rejected row.
    assert [r["id"] for r in body["results"]] == ["ok-1", "no-policy", "ok-2"]
    no_policy = body["results"][1]
    assert [f["code"] for f in no_policy["findings"]] == ["no_recorded_policy"]
    assert {f["status"] for f in no_policy["at_decision"]["facts"].values()} == {"not_stated"}
    found = {r["line"]: (r["id"], [e["field"] for e in r["errors"]]) for r in body["rejected"]}
    assert found == {
        2: ("bad-date", ["decided_on"]),
        3: ("bad-group", ["groups.1"]),
        4: ("foreign-region", ["region"]),
        6: ("no-code", ["country"]),
        7: (None, ["id"]),
        8: (None, ["decision"]),
    }
    assert all(e["message"] for r in body["rejected"] for e in r["errors"])
    summary = body["summary"]
    assert (summary["decisions"], summary["audited"], summary["rejected"]) == (9, 3, 6)


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_recorded_at_beyond_utc_is_a_bad_row_not_a_failed_audit(
    client: TestClient, pakistan: Demo, moment: str
) -> None:
    decisions = [decision("a"), decision("b", recorded_at=moment), decision("c")]
    body = post_audit(client, decisions)
    assert [r["id"] for r in body["results"]] == ["a", "c"]
    assert [(r["line"], r["errors"][0]["field"]) for r in body["rejected"]] == [(2, "recorded_at")]


def test_a_row_with_a_bad_country_reports_its_other_bad_fields_too(
    client: TestClient, pakistan: Demo
) -> None:
    body = post_audit(client, [decision("x", country="XX", decided_on="2025-02-30")])
    [row] = body["rejected"]
    assert [e["field"] for e in row["errors"]] == ["country", "decided_on"]


def test_audits_need_a_token_when_reads_do(
    make_client: Callable[..., TestClient], pakistan: Demo
) -> None:
    guarded = make_client(read_requires_token=True)
    response = guarded.post("/audits", json={"decisions": [decision("d")]})
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("role", ["reader_token", "auditor_token", "editor_token"])
def test_any_role_may_audit_when_reads_need_a_token(
    make_client: Callable[..., TestClient],
    pakistan: Demo,
    request: pytest.FixtureRequest,
    role: str,
) -> None:
    guarded = make_client(read_requires_token=True)
    token = request.getfixturevalue(role)
    response = guarded.post("/audits", json={"decisions": [decision("d")]}, headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json()["summary"]["audited"] == 1


def test_an_audit_with_a_draft_turns_a_verdict_and_stores_nothing(
    client: TestClient, pakistan: Demo
) -> None:
    claim = decision("pti", decided_on="2024-12-01", groups=["pti"])
    assert post_audit(client, [claim])["results"][0]["verdict"] == "unchanged"
    before = snapshot(client)

    body = post_audit(client, [claim], drafts=[{**REVOKE_PTI, "country": "PK"}])

    [result] = body["results"]
    assert result["verdict"] == "changed_against"
    [change] = result["changes"]
    assert change["amendment"]["title"] == REVOKE_PTI["title"]
    assert snapshot(client) == before
    assert post_audit(client, [claim])["results"][0]["verdict"] == "unchanged"


def test_an_audit_draft_breaking_a_domain_rule_is_422_naming_the_draft(
    client: TestClient, pakistan: Demo
) -> None:
    bad = {**amendment(), "country": "PK", "changes": [REVOKE_SIKHS]}
    response = client.post(
        "/audits",
        json={"decisions": [decision("d")], "drafts": [{**REVOKE_PTI, "country": "PK"}, bad]},
    )
    assert_problem(response, 422, "body.drafts.1.changes.0.group")


def test_an_audit_draft_with_an_unknown_country_is_422_naming_the_draft(
    client: TestClient, pakistan: Demo
) -> None:
    response = client.post(
        "/audits", json={"decisions": [decision("d")], "drafts": [{**amendment(), "country": "XX"}]}
    )
    assert_problem(response, 422, "body.drafts.0.country")


# What-if ---------------------------------------------------------------------------------

REVOKE_SIKHS = {"type": "revoke_group", "group": "sikhs", "category": "group_persecution"}


def test_what_if_returns_the_policy_with_the_draft_applied_and_stores_nothing(
    client: TestClient, pakistan: Demo
) -> None:
    # known_at: the answer comes through the response model, as what-if's does (sources
    # with "url": null), not from the index's pre-serialised bytes (url omitted).
    read = {"on": "2025-01-15", "known_at": utc_now().isoformat()}
    stored = client.get("/countries/PK/policy", params=read).json()
    before = snapshot(client)

    response = client.post(
        "/countries/PK/policy/what-if", json={"on": "2025-01-15", "drafts": [REVOKE_PTI]}
    )

    assert response.status_code == 200, response.text
    doc = response.json()
    assert group_ids(doc) == SIX
    assert group_ids(stored) == SEVEN
    assert [d["title"] for d in doc["drafts"]] == [REVOKE_PTI["title"]]
    assert doc["version_id"] != stored["version_id"]
    for section in ("article_15c", "protection", "moratoria", "notes", "pending"):
        assert doc[section] == stored[section], section
    assert doc["groups"] == [g for g in stored["groups"] if g["id"] != "pti"]
    assert (doc["country"], doc["on"], doc["coverage"]) == ("PK", "2025-01-15", True)
    assert doc["valid_from"] == "2025-01-01"
    assert snapshot(client) == before
    again = client.get("/countries/PK/policy", params={"on": "2025-01-15"}).json()
    assert group_ids(again) == SEVEN


def test_what_if_before_the_drafts_in_force_date_is_the_stored_policy(
    client: TestClient, pakistan: Demo
) -> None:
    stored = client.get("/countries/PK/policy", params={"on": "2024-12-01"}).json()
    response = client.post(
        "/countries/PK/policy/what-if", json={"on": "2024-12-01", "drafts": [REVOKE_PTI]}
    )
    assert response.status_code == 200, response.text
    assert response.json()["version_id"] == stored["version_id"]
    assert group_ids(response.json()) == SEVEN


def test_a_what_if_draft_breaking_a_domain_rule_is_422_naming_the_draft_and_field(
    client: TestClient, pakistan: Demo
) -> None:
    bad = {**amendment(), "changes": [REVOKE_SIKHS]}
    response = client.post("/countries/PK/policy/what-if", json={"drafts": [amendment(), bad]})
    assert_problem(response, 422, "body.drafts.1.changes.0.group")


def test_a_what_if_draft_with_a_foreign_region_is_422_naming_the_draft_and_field(
    client: TestClient, pakistan: Demo
) -> None:
    foreign = {
        "type": "set_article_15c",
        "region": "AF-KAB",
        "level": "lower",
        "armed_conflict": True,
    }
    response = client.post(
        "/countries/PK/policy/what-if", json={"drafts": [{**amendment(), "changes": [foreign]}]}
    )
    assert_problem(response, 422, "body.drafts.0.changes.0.region")


@pytest.mark.parametrize("code", ["XX", "PAK", "12"])
def test_what_if_for_an_unknown_country_is_404(
    client: TestClient, pakistan: Demo, code: str
) -> None:
    response = client.post(f"/countries/{code}/policy/what-if", json={"drafts": [amendment()]})
    assert_problem(response, 404)


def test_what_if_needs_a_token_when_reads_do(
    make_client: Callable[..., TestClient], pakistan: Demo, reader_token: str
) -> None:
    guarded = make_client(read_requires_token=True)
    body = {"drafts": [REVOKE_PTI]}
    assert_problem(guarded.post("/countries/PK/policy/what-if", json=body), 401)
    response = guarded.post("/countries/PK/policy/what-if", json=body, headers=bearer(reader_token))
    assert response.status_code == 200, response.text


# Who may audit, and how many at once --------------------------------------------------------


def test_an_audit_needs_a_token_by_default_but_not_in_the_demo(
    make_client: Callable[..., TestClient], pakistan: Demo
) -> None:
    body = {"decisions": [decision("d")]}
    anonymous = make_client().post("/audits", json=body)
    problem = assert_problem(anonymous, 401)
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert problem["detail"] == "audits need a bearer token on this server (any role)"
    assert_problem(make_client().post("/audits", json=body, headers=bearer("plt_wrong")), 401)
    demo = make_client(audits_require_token=False).post("/audits", json=body)
    assert demo.status_code == 200, demo.text


def test_a_client_beyond_its_concurrent_audits_gets_429_with_retry_after(
    make_client: Callable[..., TestClient], pakistan: Demo, reader_token: str, auditor_token: str
) -> None:
    client = make_client(audits_per_client=1)
    body = {"decisions": [decision("d")]}
    limit = client.app.state.audit_limit  # type: ignore[attr-defined]
    with limit.hold("subject:rita"):  # the reader's one audit is running
        busy = client.post("/audits", json=body, headers=bearer(reader_token))
        problem = assert_problem(busy, 429)
        assert busy.headers["retry-after"] == "5"
        assert problem["title"] == "Too many requests"
        assert "at most 1 audits at once per client" in problem["detail"]
        other = client.post("/audits", json=body, headers=bearer(auditor_token))
        assert other.status_code == 200  # another client is not held up
    after = client.post("/audits", json=body, headers=bearer(reader_token))
    assert after.status_code == 200  # the slot came back
    # Without a token (the demo), clients are told apart by address.
    demo = make_client(audits_require_token=False, audits_per_client=1)
    with demo.app.state.audit_limit.hold("address:testclient"):  # type: ignore[attr-defined]
        assert_problem(demo.post("/audits", json=body), 429)
    assert demo.post("/audits", json=body).status_code == 200
