"""Crashes, on SQLite and PostgreSQL: a writer process (tests/integration/crash_writer.py:
single amendments, bulk record_amendments, in-force dates, retractions, and a projection
catch-up loop beside them) is killed with SIGKILL at a random moment, ROUNDS times.

After each kill, opening the store again (as a restarted process would) finds:
- only whole amendments: every stored event decodes, every AmendmentRecorded payload
  validates and has all the changes its title declares, and every bulk is all there;
- every country's aggregate loads, with exactly the amendments the log holds;
- no projection row referring to anything missing (an amendment not in the log, a state
  or element not stored), and a tracking position not past the log's head;
- after catching up, a read model equal to a rebuild from scratch;
and the next round's writer records again (writing continues), as does a final write.

Kill moments come from a seeded generator (POLICY_LEDGER_CRASH_SEED): a failure is
reproducible as far as the scheduler allows.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from api.bootstrap import Services, build_services
from api.settings import Settings
from domain.domainmodel import CountryPolicy
from events import payloads
from events.vocabulary import SourceKind
from integration.worked_history import designate as designate_group
from integration.worked_history import draft, read_model, rebuild, source

ROUNDS = 5
SEED = int(os.environ.get("POLICY_LEDGER_CRASH_SEED", "5"))
KILL_AFTER = (0.0, 0.6)  # seconds after the round's first committed write
FIRST_WRITE_TIMEOUT = 30
WRITER = Path(__file__).with_name("crash_writer.py")
TITLE = re.compile(r"^(?:single|bulk) r(\d+) n(\d+)(?: (\d+)/(\d+))? changes=(\d+)$")


def _head(ledger: Services) -> int:
    return ledger.app.recorder.max_notification_id() or 0


def _kill_a_writer(watcher: Services, round_: int, seed: int, delay: float, log: Path) -> int:
    """Starts a writer, waits for its first write, lets it run `delay` seconds, kills it.
    Returns how many events it had committed by then (as seen from outside)."""
    before = _head(watcher)
    url = watcher.settings.database_url
    with log.open("w") as errors:
        config = {"database_url": url, "round": round_, "seed": seed}
        process = subprocess.Popen(
            [sys.executable, str(WRITER), json.dumps(config)],
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        try:
            deadline = time.monotonic() + FIRST_WRITE_TIMEOUT
            while _head(watcher) == before:
                assert process.poll() is None, f"the writer died:\n{log.read_text()}"
                assert time.monotonic() < deadline, "the writer wrote nothing"
                time.sleep(0.01)
            time.sleep(delay)
            assert process.poll() is None, f"the writer died:\n{log.read_text()}"
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert log.read_text() == "", "the writer or its projector raised before the kill"
    return _head(watcher) - before


def _json_strings(node: Any, key: str) -> Iterator[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key and isinstance(v, str):
                yield v
            else:
                yield from _json_strings(v, key)
    elif isinstance(node, list):
        for v in node:
            yield from _json_strings(v, key)


def _check_log(ledger: Services) -> dict[str, set[str]]:
    """Only whole amendments and whole bulks; returns the amendment ids per country."""
    amendments: dict[str, set[str]] = defaultdict(set)
    bulks: dict[tuple[str, str], tuple[int, set[int]]] = {}
    for notification in ledger.app.recorder.select_notifications(start=1, limit=10**9):
        event = ledger.app.mapper.to_domain_event(notification)  # every event decodes
        if not isinstance(event, CountryPolicy.AmendmentRecorded):
            continue
        payload = payloads.AmendmentRecorded.model_validate(event.payload)
        match = TITLE.match(payload.title or "")
        assert match, payload.title
        round_, n, index, size, changes = match.groups()
        assert len(payload.changes) == int(changes), f"a torn amendment: {payload.title}"
        amendments[payload.country].add(payload.amendment_id)
        if size is not None:
            _, seen = bulks.setdefault((round_, n), (int(size), set()))
            seen.add(int(index))
    for key, (size, seen) in bulks.items():
        assert seen == set(range(1, size + 1)), f"a torn bulk {key}: {sorted(seen)} of {size}"
    return amendments


def _check_aggregates(ledger: Services, amendments: dict[str, set[str]]) -> None:
    for country, ids in amendments.items():
        assert set(ledger.app.policy(country).amendments) == ids


def _check_projection_references(ledger: Services, amendments: dict[str, set[str]]) -> None:
    """What the killed process projected refers only to what exists."""
    logged = set().union(*amendments.values()) if amendments else set()
    model = read_model(ledger)
    projected = {json.loads(r)["payload"]["amendment_id"] for r in model["amendments"]}
    assert projected <= logged, "the read model has an amendment the log does not"
    states = {r["state_id"]: json.loads(r["elements"]) for r in model["states"]}
    elements = {r["element_id"]: json.loads(r["body"]) for r in model["elements"]}
    assert {r["state_id"] for r in model["segments"]} <= set(states)
    assert {e for refs in states.values() for e in refs.values()} <= set(elements)
    cited = {a for body in elements.values() for a in _json_strings(body, "amendment")}
    assert cited <= projected
    for row in model["countries"]:
        assert row["version"] <= ledger.app.policy(row["country"]).version
    assert ledger.catch_up.position() <= ledger.catch_up.head()


def test_a_writer_killed_at_random_moments_leaves_whole_amendments_and_a_rebuildable_projection(
    store_url: str, tmp_path: Path, figures: Callable[..., Any]
) -> None:
    rng = random.Random(SEED)
    kills = []
    started = time.monotonic()
    # Each round's checker is a new process's view of the store, and watches the next writer.
    checker = build_services(Settings(database_url=store_url))
    try:
        for round_ in range(ROUNDS):
            delay = rng.uniform(*KILL_AFTER)
            log = tmp_path / f"writer-{round_}.err"
            written = _kill_a_writer(checker, round_, rng.randrange(2**32), delay, log)
            assert written > 0  # writing continued after the previous crash
            checker.close()

            checker = build_services(Settings(database_url=store_url))
            amendments = _check_log(checker)
            _check_aggregates(checker, amendments)
            _check_projection_references(checker, amendments)
            lag = checker.catch_up.lag()
            checker.catch_up.run()
            incremental = read_model(checker)
            assert rebuild(checker) == incremental
            kills.append(
                {
                    "after_s": round(delay, 2),
                    "events": written,
                    "projection_lag": lag,
                    "at_s": round(time.monotonic() - started, 1),
                }
            )
    finally:
        checker.close()

    final = build_services(Settings(database_url=store_url))
    try:
        day = dt.date(2025, 2, 1)
        recorded = final.app.record_amendment(
            "PK",
            draft(
                day,
                day,
                designate_group("after_the_crashes", "After the crashes"),
                cites=source(SourceKind.OTHER, "After the crashes", day),
            ).model_copy(update={"title": f"single r{ROUNDS} n0 changes=1"}),
            author="final",
            expected_version=final.app.version_of("PK"),
        )
        final.catch_up.run()
        assert recorded.amendment_id in {
            json.loads(r)["payload"]["amendment_id"] for r in final.view.amendment_rows("PK")
        }
        events = _head(final)
        amendments_total = sum(len(ids) for ids in _check_log(final).values())
    finally:
        final.close()
    line = figures(
        store=store_url.split(":", 1)[0],
        seed=SEED,
        crashes_survived=len(kills),
        events_in_log=events,
        amendments_in_log=amendments_total,
        kills=kills,
    )
    print(json.dumps(line))
