"""The checkpoint trail in the store (domain.checkpoints): one append-only table,
`policy_checkpoints`, beside the event log (in its schema on PostgreSQL), never dropped by a
rebuild or a new read model version.

The projection appends a checkpoint in the transaction that moves the read model's heads
(or, when the read model lives in another schema, right after it), but only beyond the
trail's latest position: a rebuild re-projects history the trail already holds, and adds
nothing to it. Verifications that hold append one too, where the trail ends before the
log. With POLICY_LEDGER_CHECKPOINT_FILE every checkpoint is also appended to a file, one
JSON object a line, which `verify` reads beside the table: the copy outside the store.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from domain.checkpoints import Checkpoint, Heads, checkpoint
from domain.signing import Signer

TABLE = "policy_checkpoints"
COLUMNS = "position, heads, digest, signature, key_id, recorded_at"
DDL = {
    "sqlite": f"""CREATE TABLE IF NOT EXISTS {{p}}{TABLE} (
        id INTEGER PRIMARY KEY AUTOINCREMENT, position BIGINT NOT NULL, heads TEXT NOT NULL,
        digest TEXT NOT NULL, signature TEXT, key_id TEXT, recorded_at TEXT NOT NULL)""",
    "postgres": f"""CREATE TABLE IF NOT EXISTS {{p}}{TABLE} (
        id BIGSERIAL PRIMARY KEY, position BIGINT NOT NULL, heads TEXT NOT NULL,
        digest TEXT NOT NULL, signature TEXT, key_id TEXT, recorded_at TEXT NOT NULL)""",
}
INDEX = f"CREATE INDEX IF NOT EXISTS {TABLE}_by_position ON {{p}}{TABLE} (position)"


class CheckpointTable:
    """The trail in one store: `datastore` is the event log's (the library's datastore)."""

    def __init__(
        self, datastore: Any, signer: Signer | None = None, file: Path | None = None
    ) -> None:
        self.datastore = datastore
        self.signer = signer
        self.file = file
        schema = getattr(datastore, "schema", None)
        self.dialect = "postgres" if schema is not None else "sqlite"
        self.prefix = f'"{schema}".' if schema is not None else ""
        self.placeholder = "%s" if schema is not None else "?"

    def _sql(self, statement: str) -> str:
        return statement.format(p=self.prefix).replace("?", self.placeholder)

    @contextmanager
    def _cursor(self, *, commit: bool) -> Iterator[Any]:
        with self.datastore.transaction(commit=commit) as c:
            yield c

    def create(self) -> None:
        with self._cursor(commit=True) as c:
            c.execute(self._sql(DDL[self.dialect]))
            c.execute(self._sql(INDEX))

    # Appending ------------------------------------------------------------------------

    def append(self, point: Checkpoint, c: Any | None = None) -> None:
        """Appends a checkpoint (in the transaction of cursor `c` when given)."""
        values = (
            point.position,
            _heads_text(point.heads),
            point.digest,
            point.signature,
            point.key_id,
            point.recorded_at,
        )
        statement = self._sql(f"INSERT INTO {{p}}{TABLE} ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)")
        if c is not None:
            c.execute(statement, values)
        else:
            with self._cursor(commit=True) as own:
                own.execute(statement, values)
        self._copy(point)

    def record(
        self, c: Any, position: int, heads: Heads, moved: Heads, digest: str, mine: int | None
    ) -> int | None:
        """The projection's checkpoint at `position`, in its transaction (cursor `c`): the
        heads that `moved` when the trail's latest checkpoint is the one this projection
        appended last (at `mine`), else every head; nothing at or before the trail's end.
        The position appended, or None."""
        latest = self.latest_position(c)
        if latest is not None and position <= latest:
            return None
        written = moved if latest is not None and latest == mine else heads
        self.append(checkpoint(self.signer, position, written, digest), c)
        return position

    def extend(self, point: Checkpoint) -> bool:
        """Appends `point` when the trail ends before its position (a verification's)."""
        with self._cursor(commit=True) as c:
            latest = self.latest_position(c)
            if latest is not None and point.position <= latest:
                return False
            self.append(point, c)
        return True

    def _copy(self, point: Checkpoint) -> None:
        """Appends the checkpoint to the file outside the store, when one is configured."""
        if self.file is None:
            return
        self.file.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(point.to_json(), separators=(",", ":")) + "\n"
        fd = os.open(self.file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # one whole line per writer, whatever its length
            os.write(fd, line.encode())
        finally:
            os.close(fd)  # closing releases the lock

    # Reading --------------------------------------------------------------------------

    def latest_position(self, c: Any) -> int | None:
        c.execute(self._sql(f"SELECT MAX(position) AS position FROM {{p}}{TABLE}"))
        row = c.fetchone()
        return None if row is None or row["position"] is None else int(row["position"])

    def trail(self) -> list[Checkpoint]:
        """Every checkpoint of the table and of the file, in the order they were appended."""
        with self._cursor(commit=False) as c:
            c.execute(self._sql(f"SELECT id, {COLUMNS} FROM {{p}}{TABLE} ORDER BY id"))
            rows = [dict(r) for r in c.fetchall()]
        found = [_from_row(r) for r in rows]
        return found + read_file(self.file) if self.file is not None else found


def read_file(path: Path) -> list[Checkpoint]:
    """The checkpoints of a file of JSON lines (none when it does not exist)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [Checkpoint.from_json(json.loads(line)) for line in text.splitlines() if line.strip()]


def _heads_text(heads: Heads) -> str:
    return json.dumps({c: list(v) for c, v in sorted(heads.items())}, separators=(",", ":"))


def _from_row(row: dict[str, Any]) -> Checkpoint:
    heads = {c: (int(p), str(h)) for c, (p, h) in json.loads(row["heads"]).items()}
    return Checkpoint(
        position=int(row["position"]),
        heads=heads,
        digest=row["digest"],
        signature=row["signature"],
        key_id=row["key_id"],
        recorded_at=row["recorded_at"],
        id=int(row["id"]),
    )
