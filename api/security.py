"""Bearer tokens: only their SHA-256 hashes are stored; presented tokens are compared in
constant time against every stored hash.

Tokens come from the tokens file (written by `policy-ledger token create`) and from the
POLICY_LEDGER_TOKENS setting (JSON list of {subject, role, sha256}).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, Field


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


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "plt_" + secrets.token_urlsafe(32)


class TokenStore:
    """The known token hashes; re-reads the file when it changes (new tokens need no restart)."""

    def __init__(self, path: Path, extra: list[TokenEntry]) -> None:
        self.path = path
        self.extra = list(extra)
        self.entries = list(extra)
        self._stamp: float | None = None

    def _refresh(self) -> None:
        stamp = self.path.stat().st_mtime if self.path.exists() else None
        if stamp == self._stamp:
            return
        from_file = json.loads(self.path.read_text()) if stamp is not None else []
        self.entries = self.extra + [TokenEntry.model_validate(e) for e in from_file]
        self._stamp = stamp

    def authenticate(self, token: str) -> Principal | None:
        self._refresh()
        presented = digest(token)
        found: TokenEntry | None = None
        for entry in self.entries:  # no early exit: the time taken does not depend on a match
            if hmac.compare_digest(presented, entry.sha256):
                found = entry
        return Principal(found.subject, found.role) if found else None


def create_token(path: Path, subject: str, role: Role) -> str:
    """Appends a new token's hash to the tokens file and returns the token (shown once)."""
    token = new_token()
    entries = json.loads(path.read_text()) if path.exists() else []
    entries.append(TokenEntry(subject=subject, role=role, sha256=digest(token)).model_dump())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entries, indent=2))
    path.chmod(0o600)
    return token
