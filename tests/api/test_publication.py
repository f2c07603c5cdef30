"""Publication time over HTTP and the CLI, on SQLite and PostgreSQL: an in-force date and a
retraction recorded with their own publication dates (`announced_on`), every read asked with
`published_by`, and the publication dates the API refuses.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from api_support import SEVEN, Demo, assert_problem, bearer, group_ids, snapshot, utc_now
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import cli

JAN15 = "2025-01-15"


def get(client: TestClient, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/countries/PK/{path}", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def post(client: TestClient, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/countries/PK/{path}", json=body, headers=bearer(token))
    assert response.status_code == 201, response.text
    return dict(response.json())


def acts(doc: dict[str, Any], group: str) -> list[str]:
    found = next(g for g in doc["groups"] if g["id"] == group)
    return [a["amendment"] for a in found["amendments"]]


@pytest.fixture
def decree_in_force(client: TestClient, editor_token: str, pakistan: Demo) -> dict[str, Any]:
    """WBV 2024/27 (announced 2024-12-18) in force from 2025-01-01, published 2025-01-20."""
    body = {
        "in_force_from": "2025-01-01",
        "announced_on": "2025-01-20",
        "expected_version": pakistan.version,
    }
    return post(client, editor_token, f"amendments/{pakistan.decree}/in-force", body)


def test_an_in_force_date_counts_from_its_own_publication(
    client: TestClient, pakistan: Demo, decree_in_force: dict[str, Any]
) -> None:
    before = get(client, "policy", on=JAN15, published_by="2025-01-19")
    assert before["published_by"] == "2025-01-19"
    assert [p["id"] for p in before["pending"]] == [pakistan.decree]
    assert pakistan.decree not in acts(before, "pti")
    after = get(client, "policy", on=JAN15, published_by="2025-01-20")
    assert after["pending"] == []
    assert pakistan.decree in acts(after, "pti")
    # Without published_by the answer is as it always was: applied, no published_by field.
    now = get(client, "policy", on=JAN15)
    assert "published_by" not in now
    assert pakistan.decree in acts(now, "pti")
    # The attestation was published on 2024-11-25, the letter (PTI) on 2024-11-26.
    assert get(client, "policy", on=JAN15, published_by="2024-11-24")["coverage"] is False
    assert group_ids(get(client, "policy", on=JAN15, published_by="2024-11-25")) == SEVEN - {"pti"}
    assert group_ids(get(client, "policy", on=JAN15, published_by="2024-11-26")) == SEVEN
    # The timeline shows the stated publication date, and lists the decree as pending when
    # asked before it.
    [entry] = [a for a in get(client, "timeline")["amendments"] if a["id"] == pakistan.decree]
    assert entry["in_force_announced_on"] == "2025-01-20"
    early = get(client, "timeline", published_by="2025-01-19")
    assert early["published_by"] == "2025-01-19"
    assert {a["id"]: a["status"] for a in early["amendments"]}[pakistan.decree] == "pending"


def test_every_read_answers_as_published_by_and_recorded_by(
    client: TestClient, pakistan: Demo, decree_in_force: dict[str, Any]
) -> None:
    recorded = dt.datetime.fromisoformat(decree_in_force["events"][-1]["recorded_at"])
    just_before = (recorded - dt.timedelta(microseconds=1)).isoformat()
    # Published by then, but not yet recorded: both filters hold at once.
    doc = get(client, "policy", on=JAN15, published_by="2025-01-20", known_at=just_before)
    assert [p["id"] for p in doc["pending"]] == [pakistan.decree]
    for path in ("versions", "timeline", "history/group:pti"):
        answer = get(client, path, published_by="2025-01-20")
        assert answer["published_by"] == "2025-01-20"
        assert "published_by" not in get(client, path)
    diff = get(client, "diff", **{"from": "2024-11-25", "to": JAN15, "published_by": "2024-11-25"})
    assert (diff["published_by"], diff["changes"]) == ("2024-11-25", [])
    assert get(client, "diff", **{"from": "2024-11-25", "to": JAN15})["changes"] != []


def test_a_retraction_counts_from_its_own_publication(
    client: TestClient, editor_token: str, pakistan: Demo
) -> None:
    body = {"reason": "annulled", "announced_on": "2025-02-01"}
    post(
        client,
        editor_token,
        f"amendments/{pakistan.letter}/retraction",
        {**body, "expected_version": pakistan.version},
    )
    day = "2024-12-01"
    assert group_ids(get(client, "policy", on=day, published_by="2025-01-31")) == SEVEN
    assert group_ids(get(client, "policy", on=day, published_by="2025-02-01")) == SEVEN - {"pti"}
    assert group_ids(get(client, "policy", on=day)) == SEVEN - {"pti"}
    [entry] = [a for a in get(client, "timeline")["amendments"] if a["id"] == pakistan.letter]
    assert entry["retraction_announced_on"] == "2025-02-01"


def test_the_cli_reads_take_published_by(
    client: TestClient,
    store_url: str,
    tokens_file: Any,
    pakistan: Demo,
    decree_in_force: dict[str, Any],
) -> None:
    runner = CliRunner()
    env = {"POLICY_LEDGER_DATABASE_URL": store_url, "POLICY_LEDGER_TOKENS_FILE": str(tokens_file)}
    args = ["policy", "PK", "--on", JAN15, "--published-by", "2025-01-19", "--json"]
    result = runner.invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["published_by"], [p["id"] for p in doc["pending"]]) == (
        "2025-01-19",
        [pakistan.decree],
    )
    human = runner.invoke(cli, args[:-1], env=env)
    assert "published by 2025-01-19" in human.stdout
    for command in (
        ["timeline", "PK"],
        ["history", "PK", "group:pti"],
        ["diff", "PK", "--from", "2024-11-25", "--to", JAN15],
    ):
        result = runner.invoke(cli, [*command, "--published-by", "2025-01-19", "--json"], env=env)
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["published_by"] == "2025-01-19"
    bad = runner.invoke(cli, ["policy", "PK", "--published-by", "soon"], env=env)
    assert bad.exit_code == 2
    assert "--published-by" in bad.stderr


# Bad input ---------------------------------------------------------------------------------


def tomorrow() -> str:
    return (utc_now().date() + dt.timedelta(days=1)).isoformat()


@pytest.mark.parametrize("kind", ["in-force", "retraction"])
@pytest.mark.parametrize("announced_on", ["future", "before the amendment", "not a date"])
def test_a_bad_publication_date_is_422_naming_it_and_stores_nothing(
    client: TestClient, editor_token: str, pakistan: Demo, kind: str, announced_on: str
) -> None:
    value = {"future": tomorrow(), "before the amendment": "2024-12-17"}.get(
        announced_on, "someday"
    )
    body = {"in-force": {"in_force_from": "2025-01-01"}, "retraction": {"reason": "error"}}[kind]
    before = snapshot(client)
    response = client.post(
        f"/countries/PK/amendments/{pakistan.decree}/{kind}",
        json={**body, "announced_on": value, "expected_version": pakistan.version},
        headers=bearer(editor_token),
    )
    assert_problem(response, 422, "body.announced_on")
    assert snapshot(client) == before


@pytest.mark.parametrize(
    "path",
    ["policy", "versions", "timeline", "history/group:pti", "diff?from=2024-01-01&to=2025-01-01"],
)
def test_a_bad_published_by_is_422_naming_it(client: TestClient, pakistan: Demo, path: str) -> None:
    separator = "&" if "?" in path else "?"
    response = client.get(f"/countries/PK/{path}{separator}published_by=2025-13-01")
    assert_problem(response, 422, "query.published_by")


def test_published_by_is_documented_on_the_hot_route(client: TestClient) -> None:
    parameters = client.get("/openapi.json").json()["paths"]["/countries/{code}/policy"]["get"][
        "parameters"
    ]
    [published_by] = [p for p in parameters if p["name"] == "published_by"]
    assert published_by["schema"] == {"type": "string", "format": "date"}


def test_the_country_page_takes_published_by(
    client: TestClient, pakistan: Demo, decree_in_force: dict[str, Any]
) -> None:
    page = client.get("/countries/PK", params={"on": JAN15, "published_by": "2025-01-19"})
    assert page.status_code == 200, page.text
    assert 'name="published_by"' in page.text
    assert 'value="2025-01-19"' in page.text
    assert "counting only acts published by" in page.text
    assert "published_by=2025-01-19" in page.text  # the fixed link and the JSON link keep it
    plain = client.get("/countries/PK", params={"on": JAN15})
    assert plain.status_code == 200, plain.text
    assert "counting only acts published by" not in plain.text
    assert client.get("/countries/PK", params={"published_by": "soon"}).status_code == 422


def test_the_chart_and_changes_pages_take_published_by(client: TestClient, pakistan: Demo) -> None:
    # The letter of 26 November 2024 added PTI; counted by 25 November it was not yet public.
    span = {"from": "2024-11-25", "to": "2024-11-26"}
    before = client.get("/countries/PK/changes", params={**span, "published_by": "2024-11-25"})
    after = client.get("/countries/PK/changes", params={**span, "published_by": "2024-11-26"})
    assert before.status_code == after.status_code == 200, before.text
    assert 'data-element="group:pti"' not in before.text
    assert 'data-element="group:pti"' in after.text
    assert 'value="2024-11-25"' in before.text  # the field keeps what was asked
    assert "published_by=2024-11-25" in before.text  # and the JSON link carries it
    chart = client.get("/countries/PK/chart", params={"published_by": "2024-11-25"})
    assert chart.status_code == 200, chart.text
    assert 'name="published_by"' in chart.text
    assert "published_by=2024-11-25" in chart.text  # the range links keep it
    assert "Pakistan Tehreek-e-Insaf" not in chart.text
    assert "Pakistan Tehreek-e-Insaf" in client.get("/countries/PK/chart").text
    for path in ("/countries/PK/chart", "/countries/PK/changes"):
        assert client.get(path, params={"published_by": "soon"}).status_code == 422
