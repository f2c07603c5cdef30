"""Both time axes over HTTP, on SQLite and PostgreSQL, with the server's real clock: a
retroactive amendment recorded today, its retraction, and an in-force date learned later,
each queried with `known_at` just before and at/after the moment it was recorded.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from api_support import SEVEN, Demo, amendment, bearer, group_ids, moment, utc_now
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import cli

TICK = dt.timedelta(microseconds=1)
SIKHS = {
    "type": "designate_group",
    "group": "sikhs",
    "category": "risk_profile",
    "label_nl": "Sikhs",
    "label_en": "Sikhs",
}


def get(client: TestClient, path: str, **params: Any) -> dict[str, Any]:
    params = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in params.items()}
    response = client.get(f"/countries/PK/{path}", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def post(client: TestClient, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/countries/PK/{path}", json=body, headers=bearer(token))
    assert response.status_code == 201, response.text
    return dict(response.json())


def recorded_at(reply: dict[str, Any]) -> dt.datetime:
    return moment(reply["events"][-1]["recorded_at"])


def statuses(client: TestClient, known_at: dt.datetime) -> dict[str, str]:
    rows = get(client, "timeline", known_at=known_at)["amendments"]
    return {a["id"]: a["status"] for a in rows}


@pytest.fixture
def letter_c(client: TestClient, editor_token: str, pakistan: Demo) -> dict[str, Any]:
    """Letter C, recorded now, in force from 2024-10-01 (retroactive): designates the Sikhs."""
    body = amendment(
        expected_version=pakistan.version,
        title="Letter C",
        announced_on="2025-01-10",
        in_force_from="2024-10-01",
        changes=[SIKHS],
    )
    before = utc_now()
    reply = post(client, editor_token, "amendments", body)
    assert recorded_at(reply) >= before
    return reply


def test_a_retroactive_amendment_applies_only_as_known_after_its_recording(
    client: TestClient, pakistan: Demo, letter_c: dict[str, Any]
) -> None:
    at = recorded_at(letter_c)
    before, now = at - TICK, utc_now()
    october = dt.date(2024, 10, 15)

    # As known just before it was recorded: nothing was recorded for October at all.
    earlier = get(client, "policy", on=october, known_at=before)
    assert earlier["coverage"] is False
    assert earlier["groups"] == []
    # As known at the very moment of recording, and later: the Sikhs are designated.
    for moment_ in (at, now):
        later = get(client, "policy", on=october, known_at=moment_)
        assert later["coverage"] is True
        assert group_ids(later) == {"sikhs"}
        assert later["valid_from"] == "2024-10-01"
        assert later["valid_to"] == "2024-11-25"
    # The current answer (no known_at) agrees, and later days keep the Sikhs.
    assert group_ids(get(client, "policy", on=october)) == {"sikhs"}
    assert group_ids(get(client, "policy", on="2024-11-26")) == {*SEVEN, "sikhs"}
    assert group_ids(get(client, "policy", on="2024-11-26", known_at=before)) == SEVEN
    assert get(client, "policy", on="2024-09-30")["coverage"] is False

    # The other reads answer as known at the same moments.
    assert letter_c["amendment_id"] not in statuses(client, before)
    assert statuses(client, at)[letter_c["amendment_id"]] == "in_force"
    assert get(client, "history/group:sikhs", known_at=before)["intervals"] == []
    [interval] = get(client, "history/group:sikhs", known_at=at)["intervals"]
    assert (interval["valid_from"], interval["valid_to"]) == ("2024-10-01", None)
    assert interval["amendment"]["id"] == letter_c["amendment_id"]
    span = {"from": "2024-09-30", "to": "2024-10-01"}
    assert get(client, "diff", **span, known_at=before)["changes"] == []
    [change] = get(client, "diff", **span, known_at=at)["changes"]
    assert (change["element"], change["kind"]) == ("group:sikhs", "added")
    old = [v["valid_from"] for v in get(client, "versions", known_at=before)["versions"]]
    new = [v["valid_from"] for v in get(client, "versions", known_at=at)["versions"]]
    assert old == ["2024-11-25", "2024-11-26"]
    assert new == ["2024-10-01", "2024-11-25", "2024-11-26"]


def test_a_retraction_applies_only_as_known_after_it(
    client: TestClient, editor_token: str, pakistan: Demo, letter_c: dict[str, Any]
) -> None:
    versions_before_c = get(client, "versions", known_at=recorded_at(letter_c) - TICK)
    retraction = post(
        client,
        editor_token,
        f"amendments/{letter_c['amendment_id']}/retraction",
        {"reason": "entered in error", "expected_version": letter_c["version"]},
    )
    at = recorded_at(retraction)
    assert at > recorded_at(letter_c)
    before = at - TICK
    october = dt.date(2024, 10, 15)

    assert group_ids(get(client, "policy", on=october, known_at=before)) == {"sikhs"}
    for moment_ in (at, utc_now()):
        answer = get(client, "policy", on=october, known_at=moment_)
        assert answer["coverage"] is False
        assert answer["groups"] == []
    assert "sikhs" not in group_ids(get(client, "policy", on="2024-11-26"))

    timeline_before = {a["id"]: a for a in get(client, "timeline", known_at=before)["amendments"]}
    entry = timeline_before[letter_c["amendment_id"]]
    assert (entry["status"], entry["retracted_at"]) == ("in_force", None)
    entry = next(
        a
        for a in get(client, "timeline", known_at=at)["amendments"]
        if a["id"] == letter_c["amendment_id"]
    )
    assert entry["status"] == "retracted"
    assert moment(entry["retracted_at"]) == at
    assert entry["retraction_reason"] == "entered in error"
    assert len(get(client, "history/group:sikhs", known_at=before)["intervals"]) == 1
    assert get(client, "history/group:sikhs", known_at=at)["intervals"] == []

    # Nothing was deleted, and the states are those before C: same content, same version ids.
    versions_now = get(client, "versions")
    assert versions_now["versions"] == versions_before_c["versions"]


def test_an_in_force_date_recorded_later(
    client: TestClient, editor_token: str, pakistan: Demo
) -> None:
    reply = post(
        client,
        editor_token,
        f"amendments/{pakistan.decree}/in-force",
        {"in_force_from": "2025-01-01", "expected_version": pakistan.version},
    )
    at = recorded_at(reply)
    before = at - TICK
    january = dt.date(2025, 1, 15)

    def lgbti_label(answer: dict[str, Any]) -> str:
        return str(next(g["label_nl"] for g in answer["groups"] if g["id"] == "lgbti"))

    # As known before: the decree is pending and applies to nothing.
    earlier = get(client, "policy", on=january, known_at=before)
    assert [p["id"] for p in earlier["pending"]] == [pakistan.decree]
    assert lgbti_label(earlier) == "LHBTI's"
    entry = next(
        a
        for a in get(client, "timeline", known_at=before)["amendments"]
        if a["id"] == pakistan.decree
    )
    assert (entry["status"], entry["in_force_from"], entry["in_force_recorded_at"]) == (
        "pending",
        None,
        None,
    )

    # As known at the recording and after: in force from 2025-01-01, not before.
    for moment_ in (at, utc_now()):
        later = get(client, "policy", on=january, known_at=moment_)
        assert later["pending"] == []
        assert lgbti_label(later) == "LHBTIQ+"
        assert lgbti_label(get(client, "policy", on="2024-12-31", known_at=moment_)) == "LHBTI's"
    entry = next(
        a for a in get(client, "timeline", known_at=at)["amendments"] if a["id"] == pakistan.decree
    )
    assert entry["status"] == "in_force"
    assert entry["in_force_from"] == "2025-01-01"
    assert moment(entry["in_force_recorded_at"]) == at
    assert lgbti_label(get(client, "policy", on=january)) == "LHBTIQ+"
    [change] = [
        c
        for c in get(client, "diff", **{"from": "2024-12-31", "to": "2025-01-01"})["changes"]
        if c["element"] == "group:lgbti"
    ]
    assert change["kind"] == "changed"
    assert change["amendment"]["id"] == pakistan.decree


def test_the_same_state_has_the_same_version_id_whatever_the_path(
    client: TestClient, editor_token: str, pakistan: Demo
) -> None:
    """A reaffirmation changes provenance, not content: the version id stays."""
    before = get(client, "policy", on="2025-02-01")["version_id"]
    post(
        client,
        editor_token,
        "amendments",
        amendment(
            expected_version=pakistan.version,
            announced_on="2025-02-01",
            in_force_from="2025-02-01",
            changes=[{"type": "reaffirm", "element": "group:pti"}],
        ),
    )
    answer = get(client, "policy", on="2025-02-01")
    assert answer["version_id"] == before
    pti = next(g for g in answer["groups"] if g["id"] == "pti")
    assert pti["since"] == "2024-11-26"
    assert len(pti["amendments"]) == 2


def test_a_bare_date_as_known_at_means_the_same_to_the_api_and_the_cli(
    client: TestClient,
    store_url: str,
    tokens_file: Any,
    letter_c: dict[str, Any],
) -> None:
    today = recorded_at(letter_c).date().isoformat()
    runner = CliRunner()
    env = {"POLICY_LEDGER_DATABASE_URL": store_url, "POLICY_LEDGER_TOKENS_FILE": str(tokens_file)}
    result = runner.invoke(cli, ["timeline", "PK", "--known-at", today, "--json"], env=env)
    assert result.exit_code == 0, result.output
    by_cli = [a["id"] for a in json.loads(result.stdout)["amendments"]]
    assert letter_c["amendment_id"] in by_cli
    by_api = [a["id"] for a in get(client, "timeline", known_at=today)["amendments"]]
    assert by_api == by_cli
