"""The in-process index answers exactly as the SQL read model does, and stays fresh."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from api.bootstrap import Services, build_services
from api.settings import Settings
from domain.errors import CountryNotFoundError
from domain.loader import record_file
from projections.freshness import NotifyChangeSignal

DEMO = Path(__file__).parents[2] / "data" / "pakistan.yaml"
DATES = ["2024-11-24", "2024-11-25", "2024-11-26", "2024-12-18", "2025-06-01", "9999-12-31"]


@pytest.mark.parametrize("on", DATES)
def test_index_document_equals_the_sql_document(ledger: Services, on: str) -> None:
    record_file(ledger.app, DEMO, "test")
    now = dt.datetime.now(dt.UTC)
    day = dt.date.fromisoformat(on)

    from_index = json.loads(ledger.reads.index().policy_json("PK", day, now))
    from_sql = ledger.reads.as_projected.policy("PK", day, now)

    assert from_index == json.loads(json.dumps(from_sql))


def test_index_sees_a_write_from_another_process(
    open_ledger: Callable[..., Services],
) -> None:
    reader, writer = open_ledger(), open_ledger()
    record_file(writer.app, DEMO, "test")
    writer.catch_up.run()  # the writer projects; the reader only sees the tables move

    document = json.loads(
        reader.reads.index().policy_json("PK", dt.date(2024, 11, 26), dt.datetime.now(dt.UTC))
    )

    assert "pti" in [g["id"] for g in document["groups"]]


@pytest.fixture
def notified(store_url: str) -> Iterator[Services]:
    """A wiring whose reads learn of writes by notification on PostgreSQL (as on SQLite)."""
    ledger = build_services(Settings(database_url=store_url, freshness="notify"))
    yield ledger
    ledger.close()


def test_reads_learn_of_writes_elsewhere_without_asking_the_log(
    notified: Services, open_ledger: Callable[..., Services]
) -> None:
    """The change signal moves when another process commits (SQLite's data_version,
    PostgreSQL's NOTIFY), so a read that finds it unmoved asks the store nothing."""
    reader, writer = notified, open_ledger()
    signal = reader.reads.signal
    if isinstance(signal, NotifyChangeSignal):
        assert signal.wait_listening(10)
    day, now = dt.date(2024, 11, 26), dt.datetime.now(dt.UTC)
    reader.reads.index()
    asked: list[int] = []
    head = reader.app.recorder.max_notification_id
    reader.app.recorder.max_notification_id = lambda: asked.append(1) or head()  # type: ignore[method-assign]
    with pytest.raises(CountryNotFoundError):
        reader.reads.cached_policy("PK", day, now)
    assert asked == []  # nothing moved: no round trip

    record_file(writer.app, DEMO, "test")
    deadline = time.monotonic() + 5
    body = None
    while body is None and time.monotonic() < deadline:
        # The notification arrives a moment after the commit (a reader that must see a
        # write at once passes the write's position: test_reads, min_position).
        with contextlib.suppress(CountryNotFoundError):
            body = reader.reads.cached_policy("PK", day, now)  # None until refreshed
            if body is None:
                reader.reads.policy("PK", day, None)  # off the loop, as the route does
    assert body is not None
    assert b'"pti"' in body
    asked.clear()
    for _ in range(100):
        assert reader.reads.cached_policy("PK", day, now) == body
    assert asked == []


def test_a_write_through_this_process_is_read_at_once(ledger: Services) -> None:
    """A commit through this process's application moves its own signal at once (no wait
    for a notification): the very next read includes it."""
    ledger.reads.index()
    record_file(ledger.app, DEMO, "test")
    body = ledger.reads.index().policy_json("PK", dt.date(2024, 11, 26), dt.datetime.now(dt.UTC))
    assert b'"pti"' in body
