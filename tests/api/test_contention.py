"""Concurrent editors under load, on SQLite and PostgreSQL: EDITORS separate OS processes
write amendments to the same two countries through a real `policy-ledger serve` (uvicorn,
two worker processes), each reading the country's version, posting with it as
expected_version and retrying on 409 a bounded number of times.

Afterwards: every reply was a 201 or a 409 problem naming expected_version (no 5xx); every
201's amendment is in its country's timeline exactly once and nothing else is; the 201s of
a country got the versions 2, 3, ... each once (no lost update); and the read model the
servers projected equals a rebuild from the log. The figures (attempted, committed, 409s)
are printed in the terminal summary.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from api_support import PROBLEM_JSON, new_token
from integration.worked_history import read_model, rebuild
from test_server_smoke import serving

from api.bootstrap import build_services
from api.security import Role
from api.settings import Settings

EDITORS = 4
COUNTRIES = ("PK", "AF")
EDITS = 8  # per editor
RETRIES = 12  # per edit, after the first attempt
WORKERS = 2
EDITOR_SCRIPT = Path(__file__).with_name("editor_process.py")
EDITORS_TIMEOUT = 150  # seconds for all editors together


def _run_editors(base_url: str, token: str, tmp_path: Path) -> list[dict[str, Any]]:
    start_at = time.time() + 2.0  # every editor has imported httpx and waits by then
    processes = []
    for editor in range(EDITORS):
        config = {
            "base_url": base_url,
            "token": token,
            "editor": editor,
            "countries": COUNTRIES,
            "edits": EDITS,
            "retries": RETRIES,
            "start_at": start_at,
        }
        out = (tmp_path / f"editor-{editor}.jsonl").open("w")
        processes.append(
            (
                subprocess.Popen(
                    [sys.executable, str(EDITOR_SCRIPT), json.dumps(config)],
                    stdout=out,
                    stderr=subprocess.PIPE,
                    text=True,
                ),
                out,
            )
        )
    deadline = time.monotonic() + EDITORS_TIMEOUT
    failures = []
    for process, out in processes:
        try:
            _, errors = process.communicate(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            _, errors = process.communicate(timeout=10)
            failures.append(f"editor {process.args} timed out")
        out.close()
        if process.returncode != 0:
            failures.append(f"editor exited with {process.returncode}: {errors[-2000:]}")
    assert failures == [], failures
    return [
        json.loads(line)
        for editor in range(EDITORS)
        for line in (tmp_path / f"editor-{editor}.jsonl").read_text().splitlines()
    ]


def test_concurrent_editors_in_separate_processes_lose_no_write_and_duplicate_none(
    store_url: str, tmp_path: Path, figures: Callable[..., Any]
) -> None:
    ledger = build_services(Settings(database_url=store_url))
    try:
        token = new_token(ledger, "load", Role.EDITOR)
    finally:
        ledger.close()
    env = {**os.environ, "POLICY_LEDGER_DATABASE_URL": store_url}
    started = time.monotonic()
    with serving(env, tmp_path, workers=WORKERS) as http:
        replies = _run_editors(str(http.base_url), token, tmp_path)
        seconds = time.monotonic() - started
        timelines = {
            c: http.get(f"/countries/{c}/timeline").json()["amendments"] for c in COUNTRIES
        }
        countries = {row["country"]: row for row in http.get("/countries").json()}
        health = http.get("/health").json()

    statuses = Counter(r["status"] for r in replies)
    committed = [r for r in replies if r["status"] == 201]
    conflicts = [r for r in replies if r["status"] == 409]
    given_up = {(r["editor"], r["edit"]) for r in replies} - {
        (r["editor"], r["edit"]) for r in committed
    }
    line = figures(
        store=store_url.split(":", 1)[0],
        editors=EDITORS,
        server_workers=WORKERS,
        edits=EDITORS * EDITS,
        attempted=len(replies),
        committed=len(committed),
        conflicts_409=len(conflicts),
        other=len(replies) - len(committed) - len(conflicts),
        edits_given_up_after_retries=len(given_up),
        seconds=round(seconds, 1),
    )
    print(json.dumps(line))

    # No 5xx, nothing but 201 and 409; every 409 a problem naming expected_version.
    assert set(statuses) <= {201, 409}, statuses
    for reply in conflicts:
        assert reply["content_type"] == PROBLEM_JSON
        assert reply["fields"] == ["body.expected_version"], reply
    assert conflicts, "the editors never collided: the test did not contend"

    # Every 201's amendment is in the ledger exactly once, and nothing else is.
    in_ledger = Counter(a["id"] for c in COUNTRIES for a in timelines[c])
    assert all(n == 1 for n in in_ledger.values()), in_ledger.most_common(3)
    assert set(in_ledger) == {r["amendment_id"] for r in committed}
    assert sum(in_ledger.values()) == len(committed)
    for country in COUNTRIES:
        mine = [r for r in committed if r["country"] == country]
        assert sorted(r["version"] for r in mine) == list(range(2, 2 + len(mine)))
        assert countries[country]["amendments"] == len(mine)
        assert countries[country]["version"] == 1 + len(mine)
    assert health["lag"] == 0

    # What the two server processes projected equals a rebuild from the log.
    ledger = build_services(Settings(database_url=store_url))
    try:
        projected = read_model(ledger)
        assert len(projected["amendments"]) == len(committed)
        assert rebuild(ledger) == projected
    finally:
        ledger.close()
