"""API tokens in the store: one table, `policy_tokens`, beside the event log.

Only each token's SHA-256 hash is kept, with its public id, subject, role, when it was
created, when it expires (optional) and when it was revoked. The table lives with the event
log (on PostgreSQL in its schema, not the read model's), so every worker of every host on
one database sees the same tokens, and a token created or revoked anywhere counts
everywhere. Every write is one statement in one transaction of the library's own
connections (`datastore.transaction`), so concurrent `token create` processes neither lose
nor corrupt a row. Roles are stored as text: what they may do is the API's concern.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

COLUMNS = "token_id, sha256, subject, role, created_at, expires_at, revoked_at"
DDL = """CREATE TABLE IF NOT EXISTS {t} (
    token_id TEXT PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, subject TEXT NOT NULL,
    role TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT, revoked_at BIGINT)"""
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def micros(moment: dt.datetime) -> int:
    return (moment - EPOCH) // dt.timedelta(microseconds=1)


def moment(value: int | None) -> dt.datetime | None:
    return None if value is None else EPOCH + dt.timedelta(microseconds=value)


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """One stored token: never the token itself, only its hash."""

    token_id: str
    sha256: str
    subject: str
    role: str
    created_at: dt.datetime
    expires_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None

    def usable_at(self, at: dt.datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or at < self.expires_at)

    def state_at(self, at: dt.datetime) -> str:
        """active, expired or revoked (revoked wins: it was a decision)."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and at >= self.expires_at:
            return "expired"
        return "active"

    def to_json(self, at: dt.datetime) -> dict[str, Any]:
        """What `token list` shows: everything but the hash."""
        return {
            "id": self.token_id,
            "subject": self.subject,
            "role": self.role,
            "created": self.created_at.isoformat(),
            "expires": self.expires_at.isoformat() if self.expires_at else None,
            "revoked": self.revoked_at.isoformat() if self.revoked_at else None,
            "state": self.state_at(at),
        }

    def _values(self) -> tuple[Any, ...]:
        return (
            self.token_id,
            self.sha256,
            self.subject,
            self.role,
            micros(self.created_at),
            None if self.expires_at is None else micros(self.expires_at),
            None if self.revoked_at is None else micros(self.revoked_at),
        )


def new_token_id() -> str:
    """A short public name for a token (for `token list` and `token revoke`), unrelated to
    the token and its hash."""
    return "tok_" + secrets.token_hex(6)


class TokenTable:
    """The `policy_tokens` table of a store, through the library's datastore (either kind)."""

    def __init__(self, datastore: Any, *, postgres: bool) -> None:
        self.datastore = datastore
        self.placeholder = "%s" if postgres else "?"
        self.table = f'"{datastore.schema}".policy_tokens' if postgres else "policy_tokens"

    def create_table(self) -> None:
        """Creates the table when missing (the caller holds the store's table-creation lock)."""
        with self.datastore.transaction(commit=True) as c:
            c.execute(DDL.format(t=self.table))

    def add(self, record: TokenRecord) -> None:
        """Stores a new token; IntegrityError when its id or hash is taken already."""
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                self._sql(f"INSERT INTO {{t}} ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"),
                record._values(),
            )

    def add_missing(self, records: Iterable[TokenRecord]) -> int:
        """Stores the records whose hash is not stored yet (a revoked one stays revoked);
        how many were new. One transaction: all or nothing."""
        added = 0
        with self.datastore.transaction(commit=True) as c:
            for record in records:
                c.execute(
                    self._sql(
                        f"INSERT INTO {{t}} ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT (sha256) DO NOTHING RETURNING token_id"
                    ),
                    record._values(),
                )
                added += len(c.fetchall())
        return added

    def find(self, sha256: str) -> TokenRecord | None:
        """The token with this hash (one indexed lookup), whatever its state."""
        rows = self._all(f"SELECT {COLUMNS} FROM {{t}} WHERE sha256 = ?", (sha256,))
        return _record(rows[0]) if rows else None

    def all(self) -> list[TokenRecord]:
        rows = self._all(f"SELECT {COLUMNS} FROM {{t}} ORDER BY created_at, token_id")
        return [_record(row) for row in rows]

    def revoke(self, token_id: str, at: dt.datetime) -> TokenRecord | None:
        """Marks a token revoked from `at` (kept when it was revoked before); the record,
        or None for an unknown id."""
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                self._sql(
                    "UPDATE {t} SET revoked_at = COALESCE(revoked_at, ?) WHERE token_id = ? "
                    f"RETURNING {COLUMNS}"
                ),
                (micros(at), token_id),
            )
            row = c.fetchone()
        return _record(row) if row is not None else None

    def _sql(self, statement: str) -> str:
        return statement.format(t=self.table).replace("?", self.placeholder)

    def _all(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._sql(statement), params)
            return list(c.fetchall())


def _record(row: Any) -> TokenRecord:
    created = moment(row["created_at"])
    assert created is not None
    return TokenRecord(
        token_id=row["token_id"],
        sha256=row["sha256"],
        subject=row["subject"],
        role=row["role"],
        created_at=created,
        expires_at=moment(row["expires_at"]),
        revoked_at=moment(row["revoked_at"]),
    )
