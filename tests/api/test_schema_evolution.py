"""Schema evolution, on SQLite and PostgreSQL: AmendmentRetracted version 1 (as releases
before it wrote it: no `source`, no `class_version` in the stored state) is written into
the stored events table by hand, with SQL, beside events of the current code; the
aggregate, the projection and the API read it as version 2 (`source` null), through the
event class's `upcast_v1_v2` hook and `events.upcasting.amendment_retracted_v1_v2`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from api_support import assert_problem, bearer
from fastapi.testclient import TestClient
from integration.store_sql import insert_event, stored_states
from integration.worked_history import (
    NOW,
    RECORDED,
    at,
    read_model,
    rebuild,
    record_worked_history,
)
from pydantic import ValidationError

from api.bootstrap import Services
from domain.domainmodel import CountryPolicy
from events import payloads, upcasting

TOPIC = f"{CountryPolicy.__module__}:CountryPolicy.AmendmentRetracted"
RETRACTED_AT = at(2025, 3, 2, 10)
REASON = "superseded by the letter of 2 March 2025"
RULING = {
    "kind": "ecli",
    "reference": "ECLI:NL:RVS:2025:1234",
    "date": "2025-03-10",
    "url": None,
}


def v1_state(amendment_id: str) -> dict[str, Any]:
    """A retraction exactly as version 1 code stored it (JSONTranscoder's datetime form)."""
    return {
        "timestamp": {"_type_": "datetime_iso", "_data_": RETRACTED_AT.isoformat()},
        "payload": {
            "amendment_id": amendment_id,
            "country": "PK",
            "reason": REASON,
            "author": "an-old-release",
        },
    }


@pytest.fixture
def old_retraction(open_ledger: Callable[..., Services], clock: Any) -> tuple[str, int]:
    """The worked history recorded by the current code (its own retraction of letter C is a
    version 2 event), then a version 1 retraction of letter A written by hand."""
    ledger = open_ledger(clock)
    history = record_worked_history(ledger, clock)
    version = ledger.app.version_of("PK")
    assert version is not None
    insert_event(
        ledger,
        CountryPolicy.create_id("PK"),
        version + 1,
        TOPIC,
        v1_state(history.letter_a),
    )
    return history.letter_a, version + 1


def test_the_old_payload_does_not_fit_the_new_model_without_the_upcaster() -> None:
    old = v1_state("a")["payload"]
    payloads.AmendmentRetractedV1.model_validate(old)
    with pytest.raises(ValidationError, match="source"):
        payloads.AmendmentRetracted.model_validate(old)
    upcast = payloads.AmendmentRetracted.model_validate(upcasting.amendment_retracted_v1_v2(old))
    assert upcast.source is None
    assert upcast.reason == REASON


def test_a_stored_version_1_retraction_is_read_by_the_aggregate(
    old_retraction: tuple[str, int], open_ledger: Callable[..., Services]
) -> None:
    letter_a, version = old_retraction
    ledger = open_ledger()  # a new process: nothing cached
    policy = ledger.app.policy("PK")
    assert policy.version == version
    record = policy.amendments[letter_a]
    assert (record.retracted_at, record.retraction_reason) == (RETRACTED_AT, REASON)
    assert record.retraction_source is None
    [stored] = [
        n
        for n in ledger.app.recorder.select_notifications(start=1, limit=1000)
        if n.originator_version == version
    ]
    event = ledger.app.mapper.to_domain_event(stored)
    assert isinstance(event, CountryPolicy.AmendmentRetracted)
    assert event.payload == {**v1_state(letter_a)["payload"], "source": None}


def test_a_stored_version_1_retraction_is_projected_and_rebuilt(
    old_retraction: tuple[str, int], open_ledger: Callable[..., Services]
) -> None:
    letter_a, _ = old_retraction
    ledger = open_ledger()
    ledger.catch_up.run()
    timeline = {a["id"]: a for a in ledger.reads.as_projected.timeline("PK", NOW)["amendments"]}
    assert timeline[letter_a]["status"] == "retracted"
    assert timeline[letter_a]["retraction_reason"] == REASON
    assert timeline[letter_a]["retraction_source"] is None
    before = ledger.reads.as_projected.timeline("PK", RETRACTED_AT - dt.timedelta(seconds=1))
    assert {a["id"]: a["status"] for a in before["amendments"]}[letter_a] == "in_force"
    incremental = read_model(ledger)
    assert rebuild(ledger) == incremental


def test_the_api_answers_from_a_version_1_retraction_and_writes_version_2_beside_it(
    old_retraction: tuple[str, int],
    client: TestClient,
    editor_token: str,
    open_ledger: Callable[..., Services],
) -> None:
    letter_a, version = old_retraction
    timeline = {a["id"]: a for a in client.get("/countries/PK/timeline").json()["amendments"]}
    assert timeline[letter_a]["status"] == "retracted"
    assert (timeline[letter_a]["retraction_reason"], timeline[letter_a]["retraction_source"]) == (
        REASON,
        None,
    )
    # Letter A designated PTI: gone as known now, there as known before the retraction.
    policy = client.get("/countries/PK/policy", params={"on": "2024-12-01"}).json()
    assert "pti" not in {g["id"] for g in policy["groups"]}
    known = {"on": "2024-12-01", "known_at": RECORDED[5].isoformat()}
    policy = client.get("/countries/PK/policy", params=known).json()
    assert "pti" in {g["id"] for g in policy["groups"]}
    history = client.get("/countries/PK/history/group:pti").json()
    assert history["intervals"] == []

    # A new retraction, citing the ruling that annulled the decree: the current version (3).
    decree = next(i for i, a in timeline.items() if a["sources"][0]["kind"] == "wbv")
    response = client.post(
        f"/countries/PK/amendments/{decree}/retraction",
        json={"reason": "annulled", "source": RULING, "expected_version": version},
        headers=bearer(editor_token),
    )
    assert response.status_code == 201, response.text
    entry = {a["id"]: a for a in client.get("/countries/PK/timeline").json()["amendments"]}
    assert entry[decree]["retraction_source"] == RULING
    assert entry[letter_a]["retraction_source"] is None
    states = stored_states(open_ledger(), "AmendmentRetracted")
    assert [s.get("class_version") for s in states] == [3, None, 3]
    assert states[-1]["payload"]["source"] == RULING

    ledger = open_ledger()
    ledger.catch_up.run()
    assert rebuild(ledger) == read_model(ledger)


def test_a_retraction_citing_a_malformed_ecli_is_refused(
    old_retraction: tuple[str, int], client: TestClient, editor_token: str
) -> None:
    _, version = old_retraction
    decree = next(
        a["id"]
        for a in client.get("/countries/PK/timeline").json()["amendments"]
        if a["status"] == "in_force" and a["sources"][0]["kind"] == "wbv"
    )
    response = client.post(
        f"/countries/PK/amendments/{decree}/retraction",
        json={
            "reason": "annulled",
            "source": {**RULING, "reference": "ECLI:garbage"},
            "expected_version": version,
        },
        headers=bearer(editor_token),
    )
    assert_problem(response, 422, "body.source.reference")
