"""Helpers shared by the API suites (plain functions; the fixtures live in conftest.py)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from api.bootstrap import Services
from api.schemas import Problem
from api.security import Role, create_token
from domain.loader import record_file

PAKISTAN = Path(__file__).resolve().parents[2] / "data" / "pakistan.yaml"
PROBLEM_JSON = "application/problem+json"
LOADER = "loader"
# Token subjects (recorded as authors).
EDITOR = "alice"
OTHER_EDITOR = "bob"
READER = "rita"
AUDITOR = "audrey"

SIX = {"ahmadis", "christians", "apostates", "hazaras", "lgbti", "journalists_hrd"}
SEVEN = {*SIX, "pti"}


@dataclass(frozen=True)
class Demo:
    """The Pakistan demo as recorded: ids in file order and the country's version after it."""

    attestation: str  # 2024-11-25, attests the six existing risk profiles
    letter: str  # 2024-11-26, Kamerstuk 19637, nr. 3318 (PTI, article 15c)
    decree: str  # WBV 2024/27, pending
    version: int
    author: str


def new_token(ledger: Services, subject: str, role: Role) -> str:
    """A token stored the way `policy-ledger token create` stores it (the token only)."""
    return create_token(ledger.tokens, subject, role)[0]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def load_demo_via_ledger(ledger: Services, path: Path = PAKISTAN) -> Demo:
    recorded = record_file(ledger.app, path, LOADER)
    ids = [r.amendment_id for r in recorded]
    assert all(ids)
    return Demo(*ids, version=recorded[-1].version, author=LOADER)  # type: ignore[arg-type]


def demo_amendments(path: Path = PAKISTAN) -> list[dict[str, Any]]:
    """The demo file's amendments as JSON request bodies (dates as ISO strings)."""
    items = yaml.safe_load(path.read_text(encoding="utf-8"))["amendments"]
    return [json.loads(json.dumps(item, default=str)) for item in items]


def load_demo_via_api(client: Any, token: str, path: Path = PAKISTAN) -> Demo:
    ids: list[str] = []
    version: int | None = None
    for item in demo_amendments(path):
        country = item.pop("country")
        if version is not None:
            item["expected_version"] = version
        response = client.post(f"/countries/{country}/amendments", json=item, headers=bearer(token))
        assert response.status_code == 201, response.text
        ids.append(response.json()["amendment_id"])
        version = response.json()["version"]
    assert version is not None
    subject = client.app.state.tokens.authenticate(token).subject
    return Demo(*ids, version=version, author=subject)  # type: ignore[arg-type]


def source(**overrides: Any) -> dict[str, Any]:
    body = {"kind": "kamerstuk", "reference": "Kamerstuk 19637, nr. 9999", "date": "2025-01-10"}
    return {**body, **overrides}


def amendment(**overrides: Any) -> dict[str, Any]:
    """A valid amendment body for PK (designates a new group); keyword arguments replace fields."""
    body: dict[str, Any] = {
        "announced_on": "2025-01-10",
        "in_force_from": "2025-01-10",
        "title": "Test letter",
        "sources": [source()],
        "rationale": "A test amendment.",
        "changes": [
            {
                "type": "designate_group",
                "group": "sikhs",
                "category": "risk_profile",
                "label_nl": "Sikhs",
                "label_en": "Sikhs",
            }
        ],
    }
    body.update(overrides)
    return body


def assert_problem(
    response: httpx.Response, status: int, field: str | None = None
) -> dict[str, Any]:
    """An RFC 9457 problem with the status; for `field`, that field is named at fault."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == PROBLEM_JSON
    body = response.json()
    Problem.model_validate(body)  # the documented shape, nothing more
    assert body["status"] == status
    for key in ("type", "title", "detail"):
        assert isinstance(body[key], str)
        assert body[key]
    if status == 422:
        assert body.get("errors"), "a 422 lists the fields at fault"
    if field is not None:
        fields = [e["field"] for e in body.get("errors") or []]
        assert field in fields, f"{field} not among {fields}"
    return dict(body)


def snapshot(client: Any) -> dict[str, Any]:
    """Everything a rejected write must leave alone: the log head, the countries and every
    country's timeline (known_at dropped: it is the moment asked)."""
    health = client.get("/health").json()
    countries = client.get("/countries").json()
    timelines = {}
    for row in countries:
        timeline = client.get(f"/countries/{row['country']}/timeline").json()
        timelines[row["country"]] = timeline["amendments"]
    return {"log_head": health["log_head"], "countries": countries, "timelines": timelines}


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def group_ids(policy: dict[str, Any]) -> set[str]:
    return {g["id"] for g in policy["groups"]}
