"""Checkpoints: the ledger's heads as they were, kept so that a rewrite is still found later.

A chain rewritten to its end (or a last event deleted) holds together: only a head recorded
earlier shows it. The read model records heads, but a rebuild recomputes them from the log
it is meant to check. So the store keeps an append-only trail of checkpoints that nothing
rebuilds: each names a log position (a notification id), the chain heads that moved up to
it (`{country: (position in the chain, head hash)}`; every head when the writer cannot
vouch for the checkpoint before it), the ledger digest over every head at that position,
and the service's signature over that digest (domain.signing; none without a key).

`witnessed` turns a trail into witnesses for every head it names (each one is checked
where its chain passes it, so later checkpoints never hide an earlier one) and checks the
trail itself: the heads folded in order must make the digest the latest checkpoint records,
and the digest of the latest one signed with the service's key, whose signature must hold.
Someone who can write the store can still delete the trail's tail and then rewrite the log
after what is left; a copy of the checkpoints kept elsewhere (a file, an export's manifest,
a published digest) is what shows that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from domain import chain
from domain.integrity import BrokenLink, IntegrityReport, Witness
from domain.signing import Signer, signature_holds

Heads = Mapping[str, tuple[int, str]]  # country -> (position in its chain, head hash)
TRAIL = "*"  # the country named by a problem of the trail itself, not of one chain


@dataclass(frozen=True, slots=True)
class Checkpoint:
    position: int  # the log position (notification id) the heads are at
    heads: Heads  # the heads that moved since the checkpoint before it, or all of them
    digest: str  # the ledger digest over every head at `position`
    signature: str | None
    key_id: str | None
    recorded_at: str
    id: int | None = None  # the store's row id (order of appending)

    @property
    def name(self) -> str:
        if self.id is None:  # a copy read from the file outside the store
            return f"the checkpoint file's checkpoint at log position {self.position}"
        return f"checkpoint {self.id} (log position {self.position})"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "position": self.position,
            "heads": {c: {"position": p, "head": h} for c, (p, h) in sorted(self.heads.items())},
            "digest": self.digest,
            "signature": self.signature,
            "key_id": self.key_id,
            "recorded_at": self.recorded_at,
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Checkpoint:
        heads = {c: (int(h["position"]), str(h["head"])) for c, h in doc["heads"].items()}
        return cls(
            position=int(doc["position"]),
            heads=heads,
            digest=str(doc["digest"]),
            signature=doc.get("signature"),
            key_id=doc.get("key_id"),
            recorded_at=str(doc.get("recorded_at", "")),
            id=doc.get("id"),
        )


def checkpoint(
    signer: Signer | None, position: int, heads: Heads, digest: str, signed: bool = True
) -> Checkpoint:
    """A new checkpoint, signed by `signer` when there is one and `signed`."""
    sign = signer is not None and signed
    return Checkpoint(
        position=position,
        heads=dict(heads),
        digest=digest,
        signature=signer.sign(digest) if sign and signer else None,
        key_id=signer.key_id if sign and signer else None,
        recorded_at=dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
    )


def of_report(signer: Signer | None, report: IntegrityReport) -> Checkpoint:
    """A checkpoint of a ledger that verified: every head at the last position read."""
    assert report.digest is not None, "checkpoint verified ledgers only"
    heads = {c.country: (c.events, c.head) for c in report.chains if c.head is not None}
    return checkpoint(signer, report.position, heads, report.digest)


@dataclass
class Witnessed:
    """What a trail of checkpoints witnesses, and what is wrong with the trail itself."""

    witnesses: dict[str, list[Witness]] = field(default_factory=dict)
    broken: list[BrokenLink] = field(default_factory=list)
    latest: Checkpoint | None = None  # as stored (its heads may be those that moved only)
    heads: dict[str, tuple[int, str]] = field(default_factory=dict)  # every head, folded

    def latest_whole(self) -> Checkpoint | None:
        """The latest checkpoint with every head the trail holds at its position."""
        if self.latest is None:
            return None
        return replace(self.latest, heads=dict(sorted(self.heads.items())))


def witnessed(trail: Iterable[Checkpoint], signer: Signer | None) -> Witnessed:
    """Witnesses for every head the trail names, and the trail checked against its digests:
    the latest checkpoint's and, with `signer`, that of the latest checkpoint naming its key,
    whose signature must hold. Checkpoints unsigned or signed by another key are witnesses
    whose signatures nobody here can check."""
    found = Witnessed()
    heads: dict[str, str] = {}
    signed: tuple[Checkpoint, str] | None = None  # the latest signed by us, and the fold there
    for point in sorted(trail, key=lambda p: (p.position, p.id or 0)):
        for country, (position, head) in point.heads.items():
            heads[country] = head
            found.heads[country] = (position, head)
            witness = Witness(position, head, "checkpoint", point.name)
            found.witnesses.setdefault(country, []).append(witness)
        if signer is not None and point.key_id == signer.key_id:
            signed = (point, chain.ledger_digest(heads))
        found.latest = point
    if found.latest is not None:
        _digest_holds(found.latest, chain.ledger_digest(heads), found.broken)
    if signed is not None and signed[0] is not found.latest:
        _digest_holds(signed[0], signed[1], found.broken)
    if signed is not None:
        _signature_holds(signed[0], signer, found.broken)
    return found


def _digest_holds(point: Checkpoint, folded: str, broken: list[BrokenLink]) -> None:
    if folded != point.digest:
        detail = (
            f"the heads of the checkpoints up to {point.name} do not make the digest it "
            "records: the checkpoints were changed"
        )
        broken.append(BrokenLink(TRAIL, point.position, "checkpoint", point.digest, folded, detail))


def _signature_holds(point: Checkpoint, signer: Signer | None, broken: list[BrokenLink]) -> None:
    assert signer is not None, "only checkpoints that name this service's key are checked"
    if point.signature and signature_holds(signer.public_key_b64, point.digest, point.signature):
        return
    detail = f"the signature of {point.name} does not hold: the checkpoints were changed"
    broken.append(BrokenLink(TRAIL, point.position, "checkpoint", point.digest, None, detail))
