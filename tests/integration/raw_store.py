"""The stored events table reached by hand, with plain SQL, as someone with access to the
database (not to the application) would: to tamper with rows and to write old shapes."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlparse
from uuid import UUID

import psycopg

from api.bootstrap import Services
from domain import chain
from domain.domainmodel import CountryPolicy
from projections.checkpoints import TABLE as CHECKPOINTS


class RawStore:
    def __init__(self, ledger: Services) -> None:
        url = ledger.settings.database_url
        self.sqlite = url.startswith("sqlite")
        self.url = url
        name = ledger.app.recorder.events_table_name  # type: ignore[attr-defined]
        if self.sqlite:
            self.path = urlparse(url).path.removeprefix("/")
            self.table = name
            self.checkpoints = CHECKPOINTS
        else:
            schema = parse_qs(urlparse(url).query)["schema"][0]
            self.table = f'"{schema}"."{name}"'
            self.checkpoints = f'"{schema}"."{CHECKPOINTS}"'

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        if self.sqlite:
            connection = sqlite3.connect(self.path)
            try:
                yield connection
                connection.commit()
            finally:
                connection.close()
        else:
            with psycopg.connect(self.url.split("?")[0]) as connection:
                yield connection

    def checkpoint_rows(self) -> list[tuple[int, int, dict[str, Any], str, str | None]]:
        """The checkpoint trail: (id, log position, heads, digest, signature), in order."""
        rows = self._execute(
            "SELECT id, position, heads, digest, signature FROM {checkpoints} ORDER BY id"
        )
        return [(int(i), int(p), json.loads(h), str(d), s) for i, p, h, d, s in rows]

    def execute(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Any statement, `{table}` and `{checkpoints}` naming the two tables."""
        return self._execute(statement, params)

    def _execute(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        statement = statement.format(table=self.table, checkpoints=self.checkpoints)
        if not self.sqlite:
            statement = statement.replace("?", "%s")
        with self._connection() as connection:
            cursor = connection.execute(statement, params)
            return list(cursor.fetchall()) if cursor.description else []

    def _id(self, country: str) -> Any:
        uuid: UUID = CountryPolicy.create_id(country)
        return uuid.hex if self.sqlite else uuid

    def state(self, country: str, position: int) -> bytes:
        [(state,)] = self._execute(
            "SELECT state FROM {table} WHERE originator_id = ? AND originator_version = ?",
            (self._id(country), position),
        )
        return bytes(state)

    def rows(self) -> list[tuple[str, int, str, bytes]]:
        """Every stored row: (originator id, position, topic, state), by stream and position."""
        rows = self._execute(
            "SELECT originator_id, originator_version, topic, state FROM {table} "
            "ORDER BY originator_id, originator_version"
        )
        return [(str(o), int(v), str(t), bytes(s)) for o, v, t, s in rows]

    def set_state(self, country: str, position: int, state: bytes) -> None:
        self._execute(
            "UPDATE {table} SET state = ? WHERE originator_id = ? AND originator_version = ?",
            (state, self._id(country), position),
        )

    def edit_byte(self, country: str, position: int, old: bytes, new: bytes) -> None:
        """Replaces the first `old` in the row's stored bytes by `new` (same length)."""
        assert len(old) == len(new)
        state = self.state(country, position)
        assert old in state, f"{old!r} not in the stored row"
        self.set_state(country, position, state.replace(old, new, 1))

    def edit_json(self, country: str, position: int, change: Callable[[Any], None]) -> None:
        """Changes the row's stored JSON document and writes it back (still valid JSON)."""
        document = json.loads(self.state(country, position))
        change(document)
        self.set_state(country, position, json.dumps(document, separators=(",", ":")).encode())

    def rehash_from(self, country: str, position: int, change: Callable[[Any], None]) -> None:
        """Changes the row's stored JSON document, then rewrites its chain to the end as a
        forger who knows the hashing would: every row from `position` on gets a recomputed
        `hash`, and every row after it cites the new hash of the one before."""
        rows = self._execute(
            "SELECT originator_version, topic, state FROM {table} "
            "WHERE originator_id = ? AND originator_version >= ? ORDER BY originator_version",
            (self._id(country), position),
        )
        previous: str | None = None
        for version, topic, state in rows:
            document = json.loads(bytes(state))
            if version == position:
                change(document)
            if previous is not None:
                document["previous_hash"] = previous
            event = topic.rsplit(".", 1)[-1]
            payload = document.get("payload", chain.opened_payload(country))
            at = dt.datetime.fromisoformat(document["timestamp"]["_data_"])
            link = chain.link(event, country, version, at, payload, document["previous_hash"])
            document["hash"] = previous = link.hash()
            self.set_state(country, version, json.dumps(document, separators=(",", ":")).encode())

    def delete(self, country: str, position: int) -> None:
        self._execute(
            "DELETE FROM {table} WHERE originator_id = ? AND originator_version = ?",
            (self._id(country), position),
        )

    def swap_versions(self, country: str, first: int, second: int) -> None:
        """Swaps two rows' positions (through a free one: the pair is a primary key)."""
        moves = [(first, -1), (second, first), (-1, second)]
        for old, new in moves:
            self._execute(
                "UPDATE {table} SET originator_version = ? "
                "WHERE originator_id = ? AND originator_version = ?",
                (new, self._id(country), old),
            )

    def downgrade_to_v1(self) -> int:
        """Rewrites every row as a version 1 event (no hashes), as stored before the chain."""
        rows = self._execute("SELECT originator_id, originator_version, state FROM {table}")
        for originator_id, version, state in rows:
            document = json.loads(bytes(state))
            for key in ("previous_hash", "hash", "class_version"):
                document.pop(key, None)
            self._execute(
                "UPDATE {table} SET state = ? WHERE originator_id = ? AND originator_version = ?",
                (json.dumps(document, separators=(",", ":")).encode(), originator_id, version),
            )
        return len(rows)
