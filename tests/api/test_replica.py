"""POLICY_LEDGER_READ_DATABASE_URL: reads answered from a read replica, stating its lag;
`Policy-Ledger-Consistency: primary` for read-your-writes.

There is no streaming replica here: the replica URL names the same database (PostgreSQL
schema or SQLite file). What makes it a replica for these tests is that the server never
projects into it: a write another process made shows in the replica's answers only once
something projects it on the primary, and until then each answer states the lag.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from api_support import PAKISTAN, amendment, bearer, group_ids, load_demo_via_ledger
from fastapi.testclient import TestClient

from api.bootstrap import Services
from domain.commands import AmendmentDraft
from events.vocabulary import AddNote, Source, SourceKind

PRIMARY = {"Policy-Ledger-Consistency": "primary"}


@pytest.fixture
def replicated(make_client: Callable[..., TestClient], store_url: str) -> TestClient:
    return make_client(read_database_url=store_url)


def lag_of(response: object) -> dict[str, float]:
    header = response.headers["policy-ledger-lag"]  # type: ignore[attr-defined]
    return {k: float(v) for k, v in (part.split("=") for part in header.split(", "))}


def note(topic: str) -> AmendmentDraft:
    day = dt.date(2025, 1, 20)
    return AmendmentDraft(
        announced_on=day,
        in_force_from=day,
        sources=(Source(kind=SourceKind.KAMERSTUK, reference="Kamerstuk 1", date=day),),
        changes=(AddNote(topic=topic, text="A note."),),
    )


def test_reads_come_from_the_replica_and_state_its_lag(
    replicated: TestClient, open_ledger: Callable[..., Services]
) -> None:
    other = open_ledger()
    demo = load_demo_via_ledger(other, PAKISTAN)
    other.catch_up.run()  # projected on the primary: replicated at once (same database)

    answer = replicated.get("/countries")
    assert answer.headers["policy-ledger-source"] == "replica"
    assert lag_of(answer) == {"events": 0, "seconds": 0, "position": demo.version}
    assert answer.json()[0]["version"] == demo.version

    # Another process records without projecting: the replica does not have it yet.
    other.app.record_amendment("PK", note("late"), author="x", expected_version=demo.version)
    for path in ("/countries", "/countries/PK/timeline", "/countries/PK/policy"):
        stale = replicated.get(path, params={"on": "2025-02-01"} if "policy" in path else {})
        assert stale.status_code == 200
        assert stale.headers["policy-ledger-source"] == "replica"
        lag = lag_of(stale)
        assert (lag["events"], lag["position"]) == (1, demo.version)
        assert 0 <= lag["seconds"] < 60
    policy = replicated.get("/countries/PK/policy", params={"on": "2025-02-01"}).json()
    assert "late" not in {n["topic"] for n in policy["notes"]}
    assert replicated.get("/countries").json()[0]["version"] == demo.version  # still stale

    # Asking for the primary: read-your-writes, caught up there.
    fresh = replicated.get("/countries/PK/policy", params={"on": "2025-02-01"}, headers=PRIMARY)
    assert fresh.headers["policy-ledger-source"] == "primary"
    assert "policy-ledger-lag" not in fresh.headers
    assert "late" in {n["topic"] for n in fresh.json()["notes"]}
    # ... which projected it on the primary, so the replica has it now.
    caught_up = replicated.get("/countries")
    assert lag_of(caught_up)["events"] == 0
    assert caught_up.json()[0]["version"] == demo.version + 1


def test_as_known_at_a_moment_from_the_replica_and_the_primary(
    replicated: TestClient, open_ledger: Callable[..., Services]
) -> None:
    load_demo_via_ledger(open_ledger(), PAKISTAN)
    params = {"on": "2025-01-10", "known_at": "2100-01-01T00:00:00Z"}
    primary = replicated.get("/countries/PK/policy", params=params, headers=PRIMARY)
    assert primary.status_code == 200, primary.text
    replica = replicated.get("/countries/PK/policy", params=params)
    assert replica.headers["policy-ledger-source"] == "replica"
    assert replica.json() == primary.json()
    assert len(group_ids(replica.json())) == 7


def test_writes_go_to_the_primary_and_are_read_back_from_it(
    replicated: TestClient, editor_token: str
) -> None:
    reply = replicated.post(
        "/countries/PK/amendments", json=amendment(), headers=bearer(editor_token)
    )
    assert reply.status_code == 201, reply.text
    answer = replicated.get("/countries/PK/timeline", headers=PRIMARY)
    assert answer.json()["amendments"][0]["id"] == reply.json()["amendment_id"]
    # The write projected on the primary before it answered: the replica has it too.
    assert lag_of(replicated.get("/countries/PK/timeline"))["events"] == 0


def test_audits_follow_the_read_side_and_health_reports_the_replica(
    replicated: TestClient, open_ledger: Callable[..., Services], reader_token: str
) -> None:
    load_demo_via_ledger(open_ledger(), PAKISTAN)
    body = {"decisions": [{"id": "a", "country": "PK", "decided_on": "2025-01-15"}]}
    token = bearer(reader_token)  # an audit needs a token (any role) by default
    primary = replicated.post("/audits", json=body, headers={**PRIMARY, **token})
    assert primary.headers["policy-ledger-source"] == "primary"
    replica = replicated.post("/audits", json=body, headers=token)
    assert replica.headers["policy-ledger-source"] == "replica"
    assert replica.json()["results"] == primary.json()["results"]

    health = replicated.get("/health").json()
    assert (health["replica_lag_events"], health["replica_lag_seconds"]) == (0, 0)
    metrics = replicated.get("/metrics").text
    assert "policy_ledger_replica_lag_events 0.0" in metrics


def test_without_a_replica_nothing_changes(client: TestClient) -> None:
    answer = client.get("/countries")
    assert "policy-ledger-source" not in answer.headers
    assert client.get("/health").json()["replica_lag_events"] is None
