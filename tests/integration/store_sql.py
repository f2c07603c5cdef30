"""The event store seen by SQL, as an operator (or old code) sees it, on either store."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from api.bootstrap import Services


def events_table(ledger: Services) -> str:
    """The stored events table, qualified by its schema on PostgreSQL."""
    recorder: Any = ledger.app.recorder
    name = recorder.events_table_name
    schema = getattr(recorder.datastore, "schema", None)
    return f'"{schema}"."{name}"' if schema else name


def count_events(ledger: Services) -> int:
    """The rows of the stored events table, counted by SQL (the table must still exist)."""
    with ledger.view._cursor(commit=False) as c:
        c.execute(f"SELECT COUNT(*) AS n FROM {events_table(ledger)}")
        return int(c.fetchone()["n"])


def insert_event(
    ledger: Services, originator_id: UUID, version: int, topic: str, state: dict[str, Any]
) -> None:
    """Writes one stored event by hand, as code of another release would have written it."""
    sqlite = ledger.view.placeholder == "?"
    mark = ledger.view.placeholder
    encoded = json.dumps(state, separators=(",", ":")).encode()
    with ledger.view._cursor(commit=True) as c:
        c.execute(
            f"INSERT INTO {events_table(ledger)} "
            "(originator_id, originator_version, topic, state) "
            f"VALUES ({mark}, {mark}, {mark}, {mark})",
            (originator_id.hex if sqlite else originator_id, version, topic, encoded),
        )


def stored_states(ledger: Services, topic_suffix: str) -> list[dict[str, Any]]:
    """The decoded JSON states of every stored event whose topic ends with `topic_suffix`."""
    notifications = ledger.app.recorder.select_notifications(start=1, limit=10**9)
    return [json.loads(n.state) for n in notifications if n.topic.endswith(topic_suffix)]
