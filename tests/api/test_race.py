"""Two editors, one version: concurrent writes with the same expected_version, on SQLite and
PostgreSQL. Exactly one is recorded; the other gets a 409, stores nothing, and succeeds
when it retries with the version it then reads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from api_support import Demo, amendment, assert_problem, bearer
from fastapi.testclient import TestClient

ROUNDS = 4


def _note(round_: int, editor: int) -> dict[str, Any]:
    topic = f"round_{round_}_editor_{editor}"
    return {"type": "note", "topic": topic, "text": f"Written by editor {editor}."}


def _race(clients: list[TestClient], token: str, version: int, round_: int) -> list[httpx.Response]:
    """Both editors POST at the same moment (a barrier releases them together)."""
    barrier = threading.Barrier(len(clients))
    responses: list[httpx.Response | None] = [None] * len(clients)

    def post(i: int) -> None:
        body = amendment(expected_version=version, changes=[_note(round_, i)])
        barrier.wait()
        responses[i] = clients[i].post("/countries/PK/amendments", json=body, headers=bearer(token))

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(r is not None for r in responses), "a request did not finish"
    return [r for r in responses if r is not None]


@pytest.mark.parametrize("servers", ["one server", "two servers"])
def test_two_editors_one_version(
    make_client: Callable[..., TestClient],
    editor_token: str,
    pakistan: Demo,
    servers: str,
) -> None:
    first = make_client()
    clients = [first, first] if servers == "one server" else [first, make_client()]
    version = pakistan.version
    recorded: list[str] = []
    for round_ in range(ROUNDS):
        responses = _race(clients, editor_token, version, round_)
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201, 409], [r.text for r in responses]
        winner = next(r for r in responses if r.status_code == 201)
        loser_index = next(i for i, r in enumerate(responses) if r.status_code == 409)
        problem = assert_problem(responses[loser_index], 409, "body.expected_version")
        assert problem["title"] == "Version conflict"
        assert winner.json()["version"] == version + 1
        recorded.append(winner.json()["amendment_id"])

        # Nothing of the loser was stored; both servers agree on the winner.
        for client in clients:
            timeline = client.get("/countries/PK/timeline").json()["amendments"]
            topics = [c["topic"] for a in timeline for c in a["changes"] if c["type"] == "note"]
            assert not any(
                t.endswith(f"editor_{loser_index}") and f"round_{round_}_" in t for t in topics
            )
            assert client.get("/countries").json()[0]["version"] == version + 1

        # The loser reads the new version and retries: recorded.
        loser = clients[loser_index]
        current = loser.get("/countries").json()[0]["version"]
        assert current == version + 1
        retry = loser.post(
            "/countries/PK/amendments",
            json=amendment(expected_version=current, changes=[_note(round_, loser_index)]),
            headers=bearer(editor_token),
        )
        assert retry.status_code == 201, retry.text
        assert retry.json()["version"] == current + 1
        recorded.append(retry.json()["amendment_id"])
        version = current + 1

    # Every recorded amendment is there once, nothing else was added.
    for client in clients:
        ids = [a["id"] for a in client.get("/countries/PK/timeline").json()["amendments"]]
        assert ids == [pakistan.attestation, pakistan.letter, pakistan.decree, *recorded]
        health = client.get("/health").json()
        assert health["lag"] == 0


def test_two_editors_race_on_an_in_force_date(
    make_client: Callable[..., TestClient],
    editor_token: str,
    other_editor_token: str,
    pakistan: Demo,
) -> None:
    """Two editors record the pending decree's in-force date at once, with different dates:
    one date is recorded, never both."""
    clients = [make_client(), make_client()]
    tokens = [editor_token, other_editor_token]
    dates = ["2025-01-01", "2025-02-01"]
    barrier = threading.Barrier(2)
    responses: list[httpx.Response | None] = [None, None]

    def post(i: int) -> None:
        barrier.wait()
        responses[i] = clients[i].post(
            f"/countries/PK/amendments/{pakistan.decree}/in-force",
            json={"in_force_from": dates[i], "expected_version": pakistan.version},
            headers=bearer(tokens[i]),
        )

    threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(r.status_code for r in responses if r is not None)
    assert statuses == [201, 409]
    winner = next(i for i, r in enumerate(responses) if r is not None and r.status_code == 201)
    decree = next(
        a
        for a in clients[1 - winner].get("/countries/PK/timeline").json()["amendments"]
        if a["id"] == pakistan.decree
    )
    assert decree["in_force_from"] == dates[winner]
