"""Tamper evidence: every recorded event is a link in its country's hash chain.

An event's hash is SHA-256 (lower-case hex) of the RFC 8785 canonical JSON of its link:

    {"author": <str|null>, "country": "PK", "event": "AmendmentRecorded",
     "payload": {...}, "position": 3, "previous_hash": "<hex>",
     "recorded_at": "2025-01-01T09:00:00.000000+00:00"}

- `event`: the event's type (Opened, AmendmentRecorded, InForceDateRecorded,
  AmendmentRetracted); `position`: its version in the country's stream (1 for Opened);
- `recorded_at`: its record time in UTC, always with microseconds;
- `author`: the payload's author (null for Opened, which has none);
- `payload`: the stored payload (for Opened: {"country": code});
- `previous_hash`: the hash of the country's event before it, or GENESIS for the first.

The ledger digest is SHA-256 of the RFC 8785 JSON of {country: hash of its last event}.
The service signs `signed_message(digest)`. Nothing stored is ever a float: the canonical
form here and the standalone verifier (tools/verify_export.py) agree on strings, integers,
booleans, null, arrays and objects.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from domain.canonical import canonical_json

GENESIS = "0" * 64
SIGNATURE_CONTEXT = b"policy-ledger/ledger-digest/v1\n"


def moment_text(moment: dt.datetime) -> str:
    """A record time as hashed: UTC, ISO 8601, always with microseconds."""
    if moment.tzinfo is None:
        raise ValueError(f"record times must carry a time zone, not {moment!r}")
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class Link:
    """What an event's hash covers."""

    event: str
    country: str
    position: int
    recorded_at: str
    author: str | None
    payload: Mapping[str, Any]
    previous_hash: str

    def document(self) -> dict[str, Any]:
        return {
            "author": self.author,
            "country": self.country,
            "event": self.event,
            "payload": dict(self.payload),
            "position": self.position,
            "previous_hash": self.previous_hash,
            "recorded_at": self.recorded_at,
        }

    def hash(self) -> str:
        return sha256_hex(canonical_json(self.document()))

    def after(self, previous_hash: str) -> Link:
        """The same link, following another hash."""
        return replace(self, previous_hash=previous_hash)


def link(
    event: str,
    country: str,
    position: int,
    recorded_at: dt.datetime,
    payload: Mapping[str, Any],
    previous_hash: str,
) -> Link:
    author = payload.get("author")
    return Link(
        event=event,
        country=country,
        position=position,
        recorded_at=moment_text(recorded_at),
        author=author if isinstance(author, str) else None,
        payload=payload,
        previous_hash=previous_hash,
    )


def opened_payload(country: str) -> dict[str, Any]:
    """What an Opened event's link holds as its payload (it has no payload of its own)."""
    return {"country": country}


def ledger_digest(heads: Mapping[str, str]) -> str:
    """SHA-256 of the RFC 8785 JSON of {country: head hash}: one hash for the whole ledger."""
    return sha256_hex(canonical_json(dict(heads)))


EMPTY_DIGEST = ledger_digest({})


def signed_message(digest: str) -> bytes:
    """The bytes the service signs for a ledger digest (a fixed context, then the hex)."""
    return SIGNATURE_CONTEXT + digest.encode("ascii")
