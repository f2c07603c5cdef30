"""The materialised read model: tables, written together with the library's tracking record.

One projection keeps seven tables, `TABLES` (the SQLite tracking table is one per file, so
one projection per application keeps exactly-once simple):
- `policy_countries`: one row per country (version, counts, last change);
- `policy_amendments`: every amendment record with its knowledge timeline (JSON);
- `policy_segments`: bitemporal rows: valid time [valid_from, valid_to) in days (proleptic
  Gregorian ordinals, read back as ISO dates) x record time
  [recorded_from, recorded_to) in microseconds since the epoch (UTC); open rows have
  recorded_to NULL; each names its state by the state row's number (`state`), which gives
  its version id and state id;
- `policy_states`: annotated states, numbered, each with the hashes that identify it (state
  id, version id): each maps its element ids (`group:pti`) to the content ids of their
  annotated elements, stored whole or as its differences from a base state (`StoredState`):
  a state differs from the one it replaces in a few elements, and whole maps made the table
  grow with N x state size. Both hashes are stored as their 32 bytes (hex text is twice
  that); a state is read by its number, or found by its version id through an index of the
  version id's first 8 bytes;
- `policy_elements`: those annotated elements (value, since, acts) as RFC 8785 bytes, and each
  in the form a policy answer shows it (projections.fragments);
- `policy_heads`: the head of each country's hash chain (domain.chain) and its position,
  for every event including Opened (which writes no `policy_countries` row);
- `policy_digest`: one row, the ledger digest over those heads and the position it was
  computed at (the tracking position), so answers name their digest without hashing.
A state shares its elements with every other state they are unchanged in, so the table
stays small and readers can cache and fetch one element at a time. The SQL is shared; the
two classes differ only in placeholders and schema.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import orjson
import rfc8785
from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder

from domain.chain import EMPTY_DIGEST

TABLES = (
    "policy_countries",
    "policy_amendments",
    "policy_segments",
    "policy_states",
    "policy_elements",
    "policy_heads",
    "policy_digest",
)


@dataclass(frozen=True, slots=True)
class SegmentRow:
    country: str
    valid_from: int  # days: date.toordinal()
    valid_to: int | None
    version_id: str
    state_id: str


# (number, state id, country, version id, number of the base state or None, elements JSON)
StateRow = tuple[int, str, str, str, int | None, str]


@dataclass(slots=True)
class Batch:
    """Writes for a run of events, applied in one transaction with one tracking record."""

    # country -> (version, amendments, last record time in µs, notification id of that change)
    countries: dict[str, tuple[int, int, int, int]]
    amendments: dict[str, tuple[str, int, str]]  # id -> (country, position, record JSON)
    states: list[StateRow]
    # element content id -> (country, element, body, fragment)
    elements: dict[str, tuple[str, str, str, str]]
    # Rows opened in the run: SegmentRow values then recorded_from, recorded_to (µs; None
    # while open), and where each still open one is, by (country, valid_from)
    opened: list[list[Any]]
    open_at: dict[tuple[str, int], int]
    closed: list[tuple[int, str, int]]  # (µs, country, valid_from) of rows open before the run
    heads: dict[str, tuple[int, str]]  # country -> (position, head hash)
    digest: tuple[int, str] | None = None  # (tracking position, ledger digest)

    @classmethod
    def empty(cls) -> Batch:
        return cls({}, {}, [], {}, [], {}, [], {})

    def __bool__(self) -> bool:
        return bool(self.countries or self.amendments or self.opened or self.closed or self.heads)

    def open_row(self, row: SegmentRow, state: int, micros: int) -> None:
        """Opens a row of state number `state` at `micros`."""
        self.open_at[(row.country, row.valid_from)] = len(self.opened)
        self.opened.append([row.country, row.valid_from, row.valid_to, micros, None, state])

    def close_row(self, country: str, valid_from: int, micros: int) -> None:
        """Closes the open row of (country, valid_from): one this run opened is written
        closed; one of the tables is closed by an update before the run's rows are written
        (the read model holds one open row per start, so that order keeps it so)."""
        at = self.open_at.pop((country, valid_from), None)
        if at is None:
            self.closed.append((micros, country, valid_from))
        else:
            self.opened[at][4] = micros  # recorded_to


DDL = [
    """CREATE TABLE IF NOT EXISTS {p}policy_countries (
        country TEXT PRIMARY KEY, version BIGINT NOT NULL, amendments BIGINT NOT NULL,
        last_recorded BIGINT NOT NULL, position BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS {p}policy_amendments (
        amendment_id TEXT PRIMARY KEY, country TEXT NOT NULL, position BIGINT NOT NULL,
        record TEXT NOT NULL)""",
    """CREATE INDEX IF NOT EXISTS policy_amendments_by_country
        ON {p}policy_amendments (country, position)""",
    """CREATE TABLE IF NOT EXISTS {p}policy_segments (
        country TEXT NOT NULL, valid_from INTEGER NOT NULL, valid_to INTEGER,
        recorded_from BIGINT NOT NULL, recorded_to BIGINT, state INTEGER NOT NULL)""",
    """CREATE INDEX IF NOT EXISTS policy_segments_by_valid_time
        ON {p}policy_segments (country, valid_from, recorded_from)""",
    """CREATE UNIQUE INDEX IF NOT EXISTS policy_segments_open
        ON {p}policy_segments (country, valid_from) WHERE recorded_to IS NULL""",
    """CREATE TABLE IF NOT EXISTS {p}policy_states (
        number INTEGER PRIMARY KEY, state_id {blob} NOT NULL, country TEXT NOT NULL,
        version_id {blob} NOT NULL, base INTEGER, elements TEXT NOT NULL)""",
    """CREATE INDEX IF NOT EXISTS policy_states_by_version
        ON {p}policy_states (country, substr(version_id, 1, 8))""",
    """CREATE TABLE IF NOT EXISTS {p}policy_elements (
        element_id TEXT PRIMARY KEY, country TEXT NOT NULL, element TEXT NOT NULL,
        body TEXT NOT NULL, fragment TEXT NOT NULL)""",
    """CREATE INDEX IF NOT EXISTS policy_elements_by_country ON {p}policy_elements (country)""",
    """CREATE TABLE IF NOT EXISTS {p}policy_heads (
        country TEXT PRIMARY KEY, position BIGINT NOT NULL, head TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS {p}policy_digest (
        id INTEGER PRIMARY KEY, position BIGINT NOT NULL, digest TEXT NOT NULL)""",
]

# The shape of the tables below; a store holding another is rebuilt from the log on start.
READ_MODEL_VERSION = 10
READ_MODEL_TABLE = "CREATE TABLE IF NOT EXISTS {p}policy_read_model (version BIGINT NOT NULL)"

SEGMENT_COLUMNS = "g.country, g.valid_from, g.valid_to, s.version_id, s.state_id"
# Segment rows with their states' hashes (columns of `g`, the rows, and `s`, their states).
SEGMENTS = "{p}policy_segments g JOIN {p}policy_states s ON s.number = g.state"

# The longest chain of bases a stored state is resolved through (then one is stored whole),
# so a state costs at most this many rows to read.
MAX_CHAIN = 64


class PolicyViewMixin:
    """SQL shared by both stores; subclasses give the cursor and the placeholder."""

    placeholder = "?"
    blob = "BLOB"

    @property
    def prefix(self) -> str:
        return ""

    @contextmanager
    def _cursor(self, *, commit: bool) -> Iterator[Any]:
        raise NotImplementedError
        yield

    def _delete_tracking(self, c: Any, application_name: str) -> None:
        c.execute(
            self._sql(f"DELETE FROM {self._tracking_table()} WHERE application_name = ?"),
            (application_name,),
        )

    def _tracking_table(self) -> str:
        raise NotImplementedError

    if TYPE_CHECKING:  # provided by the library's tracking recorders

        def _insert_tracking(self, c: Any, tracking: Tracking) -> None: ...

        def max_tracking_id(self, application_name: str) -> int | None: ...

        table_migration_identifier: str

    def _sql(self, statement: str) -> str:
        return statement.format(p=self.prefix, blob=self.blob).replace("?", self.placeholder)

    def _create_policy_tables(self, c: Any) -> None:
        c.execute(self._sql(READ_MODEL_TABLE))
        c.execute(self._sql("SELECT version AS version FROM {p}policy_read_model"))
        row = c.fetchone()
        if row is None or row["version"] != READ_MODEL_VERSION:
            # A read model of another shape is dropped whole and projected again from the log.
            for table in TABLES:
                c.execute(self._sql(f"DROP TABLE IF EXISTS {{p}}{table}"))
            # Positions go too (not the library's own migration marker row).
            c.execute(
                self._sql(f"DELETE FROM {self._tracking_table()} WHERE application_name <> ?"),
                (self.table_migration_identifier,),
            )
            c.execute(self._sql("DELETE FROM {p}policy_read_model"))
            c.execute(
                self._sql("INSERT INTO {p}policy_read_model VALUES (?)"), (READ_MODEL_VERSION,)
            )
        for statement in DDL:
            c.execute(self._sql(statement))

    # Writes ---------------------------------------------------------------------------

    def apply(
        self,
        batch: Batch,
        tracking: Tracking,
        expected: int | None,
        also: Callable[[Any], None] | None = None,
    ) -> None:
        """Writes a page of changes and moves the position from `expected` to its last event,
        all in one transaction; `also` writes more in it (given the cursor), last."""
        with self._cursor(commit=True) as c:
            self._advance_tracking(c, tracking, expected)
            self._write_countries(c, batch)
            self._write_amendments(c, batch)
            self._write_states(c, batch)
            self._write_elements(c, batch)
            self._write_segments(c, batch)
            self._write_heads(c, batch)
            if also is not None:
                also(c)

    def _advance_tracking(self, c: Any, tracking: Tracking, expected: int | None) -> None:
        """Compare-and-set on the library's tracking row.

        The library's single-row upsert accepts any higher id, so a page computed from a
        stale position (another process projected meanwhile) would be applied twice; here it
        fails with IntegrityError instead and the caller resumes from the new position.
        """
        table = self._tracking_table()
        name, position = tracking.application_name, tracking.notification_id
        if expected is None:
            c.execute(self._sql(f"INSERT INTO {table} VALUES (?, ?)"), (name, position))
            return
        c.execute(
            self._sql(
                f"UPDATE {table} SET notification_id = ? "
                "WHERE application_name = ? AND notification_id = ? RETURNING notification_id"
            ),
            (position, name, expected),
        )
        if c.fetchone() is None:
            raise IntegrityError(f"{name}: position moved from {expected} before this page")

    def _write_countries(self, c: Any, batch: Batch) -> None:
        c.executemany(
            self._sql(
                "INSERT INTO {p}policy_countries VALUES (?, ?, ?, ?, ?) ON CONFLICT (country) DO "
                "UPDATE SET version = excluded.version, amendments = excluded.amendments, "
                "last_recorded = excluded.last_recorded, position = excluded.position"
            ),
            [(k, *v) for k, v in batch.countries.items()],
        )

    def _write_amendments(self, c: Any, batch: Batch) -> None:
        c.executemany(
            self._sql(
                "INSERT INTO {p}policy_amendments VALUES (?, ?, ?, ?) ON CONFLICT (amendment_id) "
                "DO UPDATE SET record = excluded.record"
            ),
            [(k, *v) for k, v in batch.amendments.items()],
        )

    def _write_states(self, c: Any, batch: Batch) -> None:
        c.executemany(
            self._sql("INSERT INTO {p}policy_states VALUES (?, ?, ?, ?, ?, ?)"),
            [
                (number, bytes.fromhex(state_id), country, bytes.fromhex(version_id), *rest)
                for number, state_id, country, version_id, *rest in batch.states
            ],
        )

    def _write_elements(self, c: Any, batch: Batch) -> None:
        c.executemany(
            self._sql(
                "INSERT INTO {p}policy_elements VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (element_id) DO NOTHING"
            ),
            [(k, *v) for k, v in batch.elements.items()],
        )

    def _write_segments(self, c: Any, batch: Batch) -> None:
        c.executemany(
            self._sql(
                "UPDATE {p}policy_segments SET recorded_to = ? "
                "WHERE country = ? AND valid_from = ? AND recorded_to IS NULL"
            ),
            batch.closed,
        )
        c.executemany(
            self._sql("INSERT INTO {p}policy_segments VALUES (?, ?, ?, ?, ?, ?)"),
            batch.opened,
        )

    def _write_heads(self, c: Any, batch: Batch) -> None:
        c.executemany(
            self._sql(
                "INSERT INTO {p}policy_heads VALUES (?, ?, ?) ON CONFLICT (country) DO "
                "UPDATE SET position = excluded.position, head = excluded.head"
            ),
            [(k, *v) for k, v in batch.heads.items()],
        )
        if batch.digest is not None:
            c.execute(
                self._sql(
                    "INSERT INTO {p}policy_digest VALUES (1, ?, ?) ON CONFLICT (id) DO "
                    "UPDATE SET position = excluded.position, digest = excluded.digest"
                ),
                batch.digest,
            )

    def drop_policy_rows(self, application_name: str) -> None:
        with self._cursor(commit=True) as c:
            for table in TABLES:
                c.execute(self._sql(f"DELETE FROM {{p}}{table}"))
            self._delete_tracking(c, application_name)

    # Reads ----------------------------------------------------------------------------

    def countries(self) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM {p}policy_countries ORDER BY country")

    def chain_heads(self) -> dict[str, tuple[int, str]]:
        """Each country's chain head as projected: country -> (position, head hash)."""
        rows = self._all("SELECT country, position, head FROM {p}policy_heads")
        return {r["country"]: (r["position"], r["head"]) for r in rows}

    def ledger_digest(self) -> tuple[int, str]:
        """(tracking position, ledger digest) of what the read model holds, in one read."""
        rows = self._all("SELECT position, digest FROM {p}policy_digest WHERE id = 1")
        return (rows[0]["position"], rows[0]["digest"]) if rows else (0, EMPTY_DIGEST)

    def countries_changed_since(self, position: int) -> list[str]:
        rows = self._all("SELECT country FROM {p}policy_countries WHERE position > ?", (position,))
        return [r["country"] for r in rows]

    def open_segments(self, country: str) -> list[dict[str, Any]]:
        return self._segments(
            f"SELECT {SEGMENT_COLUMNS}, g.state FROM {SEGMENTS} "
            "WHERE g.country = ? AND g.recorded_to IS NULL ORDER BY g.valid_from",
            (country,),
        )

    def amendment_rows(self, country: str) -> list[str]:
        rows = self._all(
            "SELECT record FROM {p}policy_amendments WHERE country = ? ORDER BY position",
            (country,),
        )
        return [r["record"] for r in rows]

    def segment_at(self, country: str, on: str, at: int) -> dict[str, Any] | None:
        """The segment containing `on` among the rows recorded as current at `at`."""
        rows = self._segments(
            f"SELECT {SEGMENT_COLUMNS}, g.state FROM {SEGMENTS} WHERE g.country = ? "
            "AND g.valid_from <= ? AND (g.valid_to IS NULL OR g.valid_to > ?) "
            "AND g.recorded_from <= ? AND (g.recorded_to IS NULL OR g.recorded_to > ?) "
            "ORDER BY g.valid_from DESC LIMIT 1",
            (country, *(dt.date.fromisoformat(on).toordinal(),) * 2, at, at),
        )
        return rows[0] if rows else None

    def segments_as_of(self, country: str, at: int) -> list[dict[str, Any]]:
        return self._segments(
            f"SELECT {SEGMENT_COLUMNS} FROM {SEGMENTS} WHERE g.country = ? "
            "AND g.recorded_from <= ? AND (g.recorded_to IS NULL OR g.recorded_to > ?) "
            "ORDER BY g.valid_from",
            (country, at, at),
        )

    def segment_history(self, country: str) -> list[dict[str, Any]]:
        """Every row of a country, current and superseded, in valid then record order."""
        return self._segments(
            f"SELECT {SEGMENT_COLUMNS}, g.state, g.recorded_from, g.recorded_to FROM {SEGMENTS} "
            "WHERE g.country = ? ORDER BY g.valid_from, g.recorded_from",
            (country,),
        )

    def all_segment_rows(self) -> list[dict[str, Any]]:
        return self._segments(
            f"SELECT {SEGMENT_COLUMNS}, g.recorded_from, g.recorded_to FROM {SEGMENTS} "
            "ORDER BY g.country, g.valid_from, g.recorded_from"
        )

    def _segments(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Segment rows (SEGMENT_COLUMNS and more), their hashes as hex and days as ISO dates."""
        rows = self._all(statement, params)
        for row in rows:
            row["version_id"], row["state_id"] = row["version_id"].hex(), row["state_id"].hex()
            row["valid_from"] = _iso_day(row["valid_from"])
            row["valid_to"] = _iso_day(row["valid_to"])
        return rows

    def state_elements(self, number: int) -> dict[str, str] | None:
        """A state's elements (by the state's number, a segment row's `state`): element id ->
        content id of the annotated element."""
        # The state and its chain of bases in one query.
        rows = self._all(
            "WITH RECURSIVE chain(number, base, elements) AS ("
            "SELECT number, base, elements FROM {p}policy_states WHERE number = ? "
            "UNION ALL SELECT s.number, s.base, s.elements FROM {p}policy_states s "
            "JOIN chain c ON s.number = c.base) SELECT number, base, elements FROM chain",
            (number,),
        )
        if not rows:
            return None
        stored = {r["number"]: StoredState.of_row(r) for r in rows}
        return resolve_states(stored, [number])[number]

    def states_elements(self, numbers: Collection[int]) -> dict[int, dict[str, str]]:
        """`state_elements` of many states."""
        stored: dict[int, StoredState] = {}
        self._read_states(stored, list(numbers))
        # Their bases, a round per link of their chains.
        while wanted := list({s.base for s in stored.values() if s.base} - stored.keys()):
            self._read_states(stored, wanted)
        return resolve_states(stored, [n for n in numbers if n in stored])

    def _read_states(self, stored: dict[int, StoredState], numbers: list[int]) -> None:
        for start in range(0, len(numbers), 500):
            chunk = numbers[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            rows = self._all(
                f"SELECT number, base, elements FROM {{p}}policy_states WHERE number IN ({marks})",
                chunk,
            )
            stored.update((r["number"], StoredState.of_row(r)) for r in rows)

    def all_states(self) -> list[dict[str, Any]]:
        """Every state as a row of its whole element map (`elements`: JSON), by state id
        (a state projected again after a restart has two numbers: listed once)."""
        rows = self._all(
            "SELECT state_id, country, version_id, MIN(number) AS number FROM {p}policy_states "
            "GROUP BY state_id, country, version_id ORDER BY state_id"
        )
        elements = self.states_elements([r["number"] for r in rows])
        for row in rows:
            row["state_id"], row["version_id"] = row["state_id"].hex(), row["version_id"].hex()
            row["elements"] = orjson.dumps(elements[row.pop("number")]).decode()
        return rows

    def last_state_number(self) -> int:
        rows = self._all("SELECT MAX(number) AS n FROM {p}policy_states")
        return int(rows[0]["n"] or 0)

    def country_element_bodies(self, country: str) -> dict[str, str]:
        """Every annotated element a country has had (RFC 8785 text), by content id."""
        rows = self._all(
            "SELECT element_id, body FROM {p}policy_elements WHERE country = ?", (country,)
        )
        return {r["element_id"]: r["body"] for r in rows}

    def element_bodies(self, element_ids: Collection[str]) -> dict[str, str]:
        """Annotated elements (RFC 8785 text) by content id."""
        if not element_ids:
            return {}
        marks = ", ".join("?" * len(element_ids))
        rows = self._all(
            f"SELECT element_id, body FROM {{p}}policy_elements WHERE element_id IN ({marks})",
            list(element_ids),
        )
        return {r["element_id"]: r["body"] for r in rows}

    def country_fragments(self, country: str) -> list[tuple[str, str, str]]:
        """(content id, element id, answer fragment) of every element a country has had."""
        rows = self._all(
            "SELECT element_id, element, fragment FROM {p}policy_elements WHERE country = ?",
            (country,),
        )
        return [(r["element_id"], r["element"], r["fragment"]) for r in rows]

    def state_body(self, number: int) -> str | None:
        """The whole annotated state as RFC 8785 text (its bytes hash to its state id)."""
        rows = self._all("SELECT country FROM {p}policy_states WHERE number = ?", (number,))
        refs = self.state_elements(number)
        if not rows or refs is None:
            return None
        bodies = self.element_bodies(set(refs.values()))
        members = ",".join(f"{_canonical(k)}:{bodies[refs[k]]}" for k in sorted(refs))
        return f'{{"country":{_canonical(rows[0]["country"])},"elements":{{{members}}}}}'

    def state_for_version(self, country: str, version_id: str) -> str | None:
        """The state of a version id (64 hex digits) of the country, if it has one."""
        rows = self._all(
            "SELECT number FROM {p}policy_states WHERE country = ? "
            "AND substr(version_id, 1, 8) = substr(?, 1, 8) AND version_id = ? LIMIT 1",
            (country, *(bytes.fromhex(version_id),) * 2),
        )
        return self.state_body(rows[0]["number"]) if rows else None

    def _all(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self._cursor(commit=False) as c:
            c.execute(self._sql(statement), params)
            return [dict(row) for row in c.fetchall()]


@dataclass(frozen=True, slots=True)
class StoredState:
    """A `policy_states` row: `elements` maps every element of the state to its content id
    when `base` is None; else each element that differs from the base state (by number),
    mapped to its content id or, when the base has it and this state does not, to None."""

    base: int | None
    elements: dict[str, str | None]

    @classmethod
    def of_row(cls, row: Mapping[str, Any]) -> StoredState:
        return cls(row["base"], orjson.loads(row["elements"]))


def resolve_states(
    stored: Mapping[int, StoredState], numbers: Iterable[int]
) -> dict[int, dict[str, str]]:
    """The whole element maps (in element-id order) of the states `numbers`, from their
    stored rows and their bases'."""
    whole: dict[int, dict[str, str]] = {}
    for number in numbers:
        chain = []
        at: int | None = number
        while at is not None and at not in whole:
            chain.append(at)
            at = stored[at].base
        elements = whole[at] if at is not None else {}
        for link in reversed(chain):
            changes = stored[link].elements
            if stored[link].base is None:
                elements = {k: v for k, v in changes.items() if v is not None}
            else:
                merged = {**elements, **changes}
                elements = {k: v for k, v in sorted(merged.items()) if v is not None}
            whole[link] = elements
    return whole


@cache
def _iso_day(day: int | None) -> str | None:
    return None if day is None else dt.date.fromordinal(day).isoformat()


def _canonical(text: str) -> str:
    return rfc8785.dumps(text).decode()


class SQLitePolicyView(PolicyViewMixin, SQLiteTrackingRecorder):
    def _create_table(self, c: Any) -> None:
        super()._create_table(c)
        self._create_policy_tables(c)

    @contextmanager
    def _cursor(self, *, commit: bool) -> Iterator[Any]:
        with self.datastore.transaction(commit=commit) as c:
            yield c

    def _tracking_table(self) -> str:
        return "tracking"  # fixed by the library for SQLite


class PostgresPolicyView(PolicyViewMixin, PostgresTrackingRecorder):
    placeholder = "%s"
    blob = "BYTEA"

    @property
    def prefix(self) -> str:
        return f'"{self.datastore.schema}".'

    def _create_table(self, c: Any) -> None:
        # Workers starting together would otherwise race to check and reshape the tables.
        c.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{self.prefix}policy_view",))
        super()._create_table(c)
        self._create_policy_tables(c)

    @contextmanager
    def _cursor(self, *, commit: bool) -> Iterator[Any]:
        with self.datastore.transaction(commit=commit) as c:
            yield c

    def _tracking_table(self) -> str:
        return f'{self.prefix}"{self.tracking_table_name}"'


def view_class_for(env: dict[str, str]) -> type[SQLitePolicyView | PostgresPolicyView]:
    """The view class for a store's library settings (its PERSISTENCE_MODULE)."""
    sqlite = env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite"
    return SQLitePolicyView if sqlite else PostgresPolicyView


def postgres_params(env: dict[str, str]) -> dict[str, Any]:
    """psycopg connection parameters, from a PostgreSQL store's library settings, for a
    connection of our own (not the library's pool)."""
    return {
        "dbname": env["POSTGRES_DBNAME"],
        "host": env["POSTGRES_HOST"],
        "port": env["POSTGRES_PORT"],
        "user": env["POSTGRES_USER"],
        "password": env["POSTGRES_PASSWORD"],
        "connect_timeout": int(env.get("POSTGRES_CONNECT_TIMEOUT", "5")),
    }
