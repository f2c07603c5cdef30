"""Bearer tokens: who presents a request's token, and what their role lets them do.

Tokens live in the store (`projections.tokens`: SHA-256 hashes only, with subject, role,
expiry and revocation), shared by every process on it; POLICY_LEDGER_TOKENS may add hashes
from the environment (JSON list of {subject, role, sha256}; these never expire and cannot be
revoked but by removing them). A presented token is hashed and looked up by its hash; a
found record is kept in memory for `cache_seconds`, so a revocation counts everywhere
within that bound, while an expiry counts at once (it is checked on every request).

The tokens file of earlier versions (POLICY_LEDGER_TOKENS_FILE) is read once, into the
store, and renamed (`migrate_tokens_file`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from time import monotonic

from eventsourcing.persistence import IntegrityError
from pydantic import BaseModel, Field, ValidationError

from projections.lru import Lru
from projections.tokens import TokenRecord, TokenTable, new_token_id

log = logging.getLogger("policy_ledger.tokens")


class Role(StrEnum):
    READER = "reader"
    AUDITOR = "auditor"
    EDITOR = "editor"


# What each role may do beyond reading.
GRANTS: dict[Role, frozenset[str]] = {
    Role.READER: frozenset({"read"}),
    Role.AUDITOR: frozenset({"read", "audit"}),
    Role.EDITOR: frozenset({"read", "audit", "write"}),
}


class TokenEntry(BaseModel):
    subject: str = Field(min_length=1, max_length=200)
    role: Role
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role

    def may(self, permission: str) -> bool:
        return permission in GRANTS[self.role]


class TokenRefusedError(Exception):
    """A presented token that names nobody: unknown, expired or revoked (the message says
    which; only someone holding the token learns it)."""


ROLES = frozenset(role.value for role in Role)
REFUSED = {"expired": "has expired", "revoked": "was revoked"}


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "plt_" + secrets.token_urlsafe(32)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Tokens:
    """Authenticates presented tokens against the store (cached) and POLICY_LEDGER_TOKENS."""

    def __init__(
        self,
        table: TokenTable,
        extra: list[TokenEntry],
        cache_seconds: float,
        clock: Callable[[], dt.datetime] = utc_now,
        cache_size: int = 10_000,
    ) -> None:
        self.table = table
        self.extra = list(extra)
        self.cache_seconds = cache_seconds
        self.clock = clock
        # hash -> (monotonic time read, record): only tokens that exist are kept, so a
        # flood of made-up tokens cannot evict them, and a new token works at once.
        self._cache: Lru[str, tuple[float, TokenRecord]] = Lru(cache_size)
        self._lock = threading.Lock()

    def authenticate(self, token: str) -> Principal:
        presented = digest(token)
        found: TokenEntry | None = None
        for entry in self.extra:  # no early exit: the time taken does not depend on a match
            if hmac.compare_digest(presented, entry.sha256):
                found = entry
        if found is not None:
            return Principal(found.subject, found.role)
        # Looked up by its hash: timing reveals at most something about a hash, from which
        # no token can be found.
        record = self._record(presented)
        if record is None or record.role not in ROLES:
            raise TokenRefusedError("the bearer token is not valid")
        state = record.state_at(self.clock())
        if state != "active":
            raise TokenRefusedError(f"the bearer token {REFUSED[state]} ({record.token_id})")
        return Principal(record.subject, Role(record.role))

    def _record(self, sha256: str) -> TokenRecord | None:
        now = monotonic()
        with self._lock:
            cached = self._cache.get(sha256)
        if cached is not None and now - cached[0] < self.cache_seconds:
            return cached[1]
        record = self.table.find(sha256)
        if record is not None:
            with self._lock:
                self._cache.put(sha256, (now, record))
        return record


def create_token(
    table: TokenTable,
    subject: str,
    role: Role,
    expires_at: dt.datetime | None = None,
    at: dt.datetime | None = None,
) -> tuple[str, TokenRecord]:
    """A new token (returned once, never stored) and its stored record."""
    TokenEntry(subject=subject, role=role, sha256="0" * 64)  # the subject's limits
    for _ in range(3):  # a clash of random ids is unlikely; of tokens, impossible
        token = new_token()
        record = TokenRecord(
            token_id=new_token_id(),
            sha256=digest(token),
            subject=subject,
            role=role.value,
            created_at=at or utc_now(),
            expires_at=expires_at,
        )
        try:
            table.add(record)
        except IntegrityError:
            continue
        return token, record
    raise RuntimeError("no free token id after three tries")


MIGRATED_SUFFIX = ".migrated"


def migrate_tokens_file(table: TokenTable, path: Path, at: dt.datetime | None = None) -> str | None:
    """Copies the hashes of an earlier version's tokens file into the store (those stored
    already are skipped: a revoked token stays revoked) and renames the file to
    `<name>.migrated`, so it is read once. Where it cannot be renamed (a read-only mount)
    it is left, and read again at the next start, adding nothing twice. An unreadable file
    is left for the operator. What happened is logged and returned (None: no file)."""
    try:
        text = path.read_text(encoding="utf-8")
        entries = [TokenEntry.model_validate(e) for e in json.loads(text)]
    except FileNotFoundError:
        return None  # nothing to migrate, or another process has just done it
    except (OSError, ValueError, TypeError, ValidationError) as error:
        return _logged(logging.ERROR, f"tokens file {path} not migrated: {_reason(error)}")
    created = at or utc_now()
    added = table.add_missing(
        TokenRecord(new_token_id(), e.sha256, e.subject, e.role.value, created) for e in entries
    )
    done = f"tokens file {path}: {added} of its {len(entries)} tokens added to the store"
    target = path.with_name(path.name + MIGRATED_SUFFIX)
    try:
        path.rename(target)
    except FileNotFoundError:
        return None  # another process migrated it at the same moment, and said so
    except OSError as error:
        return _logged(
            logging.WARNING,
            f"{done}; the file was left in place ({_reason(error)}) and is read again at "
            "each start, adding nothing twice",
        )
    return _logged(logging.INFO, f"{done}; the file was renamed to {target} and is not read again")


def _reason(error: Exception) -> str:
    return str(getattr(error, "strerror", None) or error).splitlines()[0]


def _logged(level: int, message: str) -> str:
    log.log(level, "%s", message)
    return message
