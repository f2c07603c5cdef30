"""API tokens in the store, on SQLite and PostgreSQL.

- Four processes creating fifty tokens each while a real server (two workers) reads with a
  token: every read answers 200, every token is stored once and works. (Before, with the
  tokens file, the same race answered 500s and lost three tokens in four.)
- An expired or revoked token gets 401 problem+json; a revocation counts within
  POLICY_LEDGER_TOKEN_CACHE_SECONDS, an expiry at once.
- The tokens file of an earlier version is read once into the store and renamed; a token
  revoked in the store stays revoked when the file is read again; an unreadable file is
  logged and the server still starts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from api_support import PROBLEM_JSON, assert_problem, bearer, new_token
from fastapi.testclient import TestClient
from servers import serving

from api.bootstrap import Services
from api.security import Role, create_token

CREATOR = Path(__file__).with_name("token_creator.py")
CREATORS, EACH, READERS = 4, 50, 2


def test_four_processes_creating_fifty_tokens_each_while_a_server_reads(
    server_env: dict[str, str],
    run_cli: Callable[..., str],
    store_url: str,
    tmp_path: Path,
    figures: Callable[..., object],
) -> None:
    watcher = run_cli("token", "create", "--role", "reader", "--subject", "watcher").split()[-1]
    env = {**server_env, "POLICY_LEDGER_READ_REQUIRES_TOKEN": "true"}
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    stop = threading.Event()
    with serving(env, tmp_path, workers=2) as http:

        def read() -> None:
            with httpx.Client(base_url=http.base_url, timeout=30) as own:
                while not stop.is_set():
                    try:
                        statuses[own.get("/countries", headers=bearer(watcher)).status_code] += 1
                    except httpx.TransportError as error:
                        failures.append(repr(error))

        readers = [threading.Thread(target=read) for _ in range(READERS)]
        for reader in readers:
            reader.start()
        start_at = time.time() + 3.0
        outs = [tmp_path / f"created-{n}.txt" for n in range(CREATORS)]
        creators = [
            subprocess.Popen(
                [
                    sys.executable,
                    str(CREATOR),
                    json.dumps(
                        {
                            "database_url": store_url,
                            "count": EACH,
                            "name": f"creator{n}",
                            "start_at": start_at,
                            "out": str(out),
                        }
                    ),
                ],
                cwd=tmp_path,
            )
            for n, out in enumerate(outs)
        ]
        try:
            codes = [creator.wait(timeout=300) for creator in creators]
        finally:
            stop.set()
            for reader in readers:
                reader.join(timeout=60)
        created = [line for out in outs for line in out.read_text().split()]
        # Every token made in the race works, at once, on whichever worker answers.
        afterwards = Counter(
            http.get("/countries", headers=bearer(token)).status_code for token in created
        )
    assert codes == [0] * CREATORS
    assert failures == []
    assert set(statuses) == {200}, statuses
    assert len(set(created)) == CREATORS * EACH
    assert afterwards == {200: CREATORS * EACH}
    listed = json.loads(run_cli("token", "list", "--json"))
    assert len(listed) == len({t["id"] for t in listed}) == CREATORS * EACH + 1
    figures(
        creators=CREATORS,
        tokens_each=EACH,
        reads_during=sum(statuses.values()),
        reads_5xx=sum(n for s, n in statuses.items() if s >= 500),
        tokens_stored=len(listed),
    )


def test_an_expired_token_is_refused_at_once_with_401(
    make_client: Callable[..., TestClient], tokens_ledger: Services
) -> None:
    client = make_client(read_requires_token=True)
    now = dt.datetime.now(dt.UTC)
    expired, record = create_token(
        tokens_ledger.tokens,
        "old",
        Role.READER,
        expires_at=now - dt.timedelta(seconds=1),
        at=now - dt.timedelta(days=1),
    )
    lasting, _ = create_token(tokens_ledger.tokens, "new", Role.READER, now + dt.timedelta(days=1))
    refused = client.get("/countries", headers=bearer(expired))
    problem = assert_problem(refused, 401)
    assert refused.headers["www-authenticate"] == "Bearer"
    assert problem["detail"] == f"the bearer token has expired ({record.token_id})"
    assert client.get("/countries", headers=bearer(lasting)).status_code == 200


def test_a_revoked_token_is_refused_with_401_within_the_cache_time(
    make_client: Callable[..., TestClient],
    tokens_ledger: Services,
    open_ledger: Callable[..., Services],
) -> None:
    client = make_client(read_requires_token=True, token_cache_seconds=1)
    token, record = create_token(tokens_ledger.tokens, "leaver", Role.EDITOR)
    assert client.get("/countries", headers=bearer(token)).status_code == 200
    # Revoked from another process on the store (`policy-ledger token revoke`).
    assert open_ledger().tokens.revoke(record.token_id, dt.datetime.now(dt.UTC)) is not None
    time.sleep(1.1)
    refused = client.get("/countries", headers=bearer(token))
    problem = assert_problem(refused, 401)
    assert problem["detail"] == f"the bearer token was revoked ({record.token_id})"
    write = client.post("/countries/PK/amendments", json={}, headers=bearer(token))
    assert_problem(write, 401)


def test_a_token_is_looked_up_once_per_cache_time(
    make_client: Callable[..., TestClient], tokens_ledger: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client(read_requires_token=True, token_cache_seconds=60)
    token = new_token(tokens_ledger, "reader", Role.READER)
    tokens = client.app.state.tokens  # type: ignore[attr-defined]
    lookups: list[str] = []
    find = tokens.table.find
    monkeypatch.setattr(tokens.table, "find", lambda sha: lookups.append(sha) or find(sha))
    for _ in range(20):
        assert client.get("/countries", headers=bearer(token)).status_code == 200
    for _ in range(3):  # unknown tokens are looked up each time, never kept
        assert client.get("/countries", headers=bearer("plt_unknown")).status_code == 401
    assert len(lookups) == 1 + 3


# The tokens file of earlier versions ---------------------------------------------------------


def _old_file(path: Path, *entries: tuple[str, str, str]) -> None:
    """A tokens file as `token create` wrote it before tokens moved into the store."""
    rows = [
        {"subject": subject, "role": role, "sha256": hashlib.sha256(token.encode()).hexdigest()}
        for subject, role, token in entries
    ]
    path.write_text(json.dumps(rows, indent=2))


def test_the_old_tokens_file_is_read_once_into_the_store_and_renamed(
    make_client: Callable[..., TestClient],
    tokens_file: Path,
    open_ledger: Callable[..., Services],
    caplog: pytest.LogCaptureFixture,
) -> None:
    editor, reader = "plt_" + "e" * 43, "plt_" + "r" * 43
    _old_file(tokens_file, ("alice", "editor", editor), ("rita", "reader", reader))
    caplog.set_level(logging.INFO, "policy_ledger.tokens")
    client = make_client(read_requires_token=True)
    assert client.get("/countries", headers=bearer(editor)).status_code == 200
    assert client.get("/countries", headers=bearer(reader)).status_code == 200
    assert not tokens_file.exists()
    migrated = tokens_file.with_name("tokens.json.migrated")
    assert migrated.exists()
    assert f"2 of its 2 tokens added to the store; the file was renamed to {migrated}" in (
        caplog.text
    )
    stored = {r.subject: r for r in open_ledger().tokens.all()}
    assert {s: (r.role, r.state_at(dt.datetime.now(dt.UTC))) for s, r in stored.items()} == {
        "alice": ("editor", "active"),
        "rita": ("reader", "active"),
    }
    # A revoked token stays revoked when the old file comes back (a backup restored).
    open_ledger().tokens.revoke(stored["rita"].token_id, dt.datetime.now(dt.UTC))
    migrated.rename(tokens_file)
    again = make_client(read_requires_token=True)
    assert "0 of its 2 tokens added" in caplog.text
    assert_problem(again.get("/countries", headers=bearer(reader)), 401)
    assert again.get("/countries", headers=bearer(editor)).status_code == 200


def test_an_old_tokens_file_that_cannot_be_renamed_is_left_and_adds_nothing_twice(
    make_client: Callable[..., TestClient],
    tokens_file: Path,
    open_ledger: Callable[..., Services],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    editor = "plt_" + "e" * 43
    _old_file(tokens_file, ("alice", "editor", editor))

    def read_only_mount(self: Path, target: object) -> None:
        raise OSError(30, "Read-only file system")

    caplog.set_level(logging.INFO, "policy_ledger.tokens")
    with monkeypatch.context() as patched:
        patched.setattr(Path, "rename", read_only_mount)
        for _ in range(2):  # two starts
            client = make_client(read_requires_token=True)
            assert client.get("/countries", headers=bearer(editor)).status_code == 200
    assert tokens_file.exists()
    left = "tokens added to the store; the file was left in place (Read-only file system)"
    assert f"1 of its 1 {left}" in caplog.text
    assert f"0 of its 1 {left}" in caplog.text
    assert [r.subject for r in open_ledger().tokens.all()] == ["alice"]


def test_an_unreadable_old_tokens_file_is_logged_and_the_server_starts(
    make_client: Callable[..., TestClient],
    tokens_file: Path,
    editor_token: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    tokens_file.write_text('[{"subject": "alice", "role": "editor", "sha256": "ab')  # cut short
    caplog.set_level(logging.INFO, "policy_ledger.tokens")
    client = make_client()
    assert client.get("/health").status_code == 200
    assert f"tokens file {tokens_file} not migrated" in caplog.text
    assert tokens_file.exists()  # left for the operator
    reply = client.post("/countries/PK/amendments", json={}, headers=bearer(editor_token))
    assert reply.status_code == 422  # the stored token works: the body was looked at
    assert reply.headers["content-type"] == PROBLEM_JSON
