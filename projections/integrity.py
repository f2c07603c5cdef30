"""The ledger's verification with its witnesses (the read model's heads and the checkpoint
trail), and the integrity document shared by `policy-ledger verify --json` and GET
/integrity.

Verification reads every stored row (see domain.integrity), so it costs a pass over the
whole log: it is for auditors, exports and backups, not for the hot path. Only a ledger
whose chains all hold gets a digest, and only a digest is signed; the key id and public key
are given whenever the service has a key, so a reader knows whose signature to expect.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from domain.application import PolicyLedger
from domain.checkpoints import Checkpoint, checkpoint, of_report, witnessed
from domain.integrity import ChainVerifier, IntegrityReport, Witness, verify_log
from domain.signing import Signer
from projections.checkpoints import CheckpointTable
from projections.views import PolicyViewMixin


def witnessing(
    view: PolicyViewMixin, checkpoints: CheckpointTable, digest_at: int | None = None
) -> ChainVerifier:
    """A verifier with every head recorded earlier as a witness: the read model's, and every
    head of the checkpoint trail (with the trail's own problems). Take it before reading the
    log: witnesses never run ahead of the log, so one beyond its end means events were
    removed."""
    witnesses: dict[str, list[Witness]] = {
        country: [Witness(*head)] for country, head in view.chain_heads().items()
    }
    trail = witnessed(checkpoints.trail(), checkpoints.signer)
    for country, recorded in trail.witnesses.items():
        witnesses.setdefault(country, []).extend(recorded)
    return ChainVerifier(witnesses, trail.broken, digest_at)


def verify_ledger(
    app: PolicyLedger,
    view: PolicyViewMixin,
    checkpoints: CheckpointTable,
    digest_at: int | None = None,
) -> IntegrityReport:
    """Every chain recomputed from the raw stored rows against every witness; a ledger
    that holds extends the trail where it ends before the log."""
    report = verify_log(app, witnessing(view, checkpoints, digest_at))
    if report.ok and report.events:
        checkpoints.extend(of_report(checkpoints.signer, report))
    return report


def keep_heads(view: PolicyViewMixin, checkpoints: CheckpointTable) -> None:
    """Before the read model is dropped: its heads join the trail, unsigned, where the
    trail ends before them (a store older than the trail), so no rebuild erases them."""
    position, digest = view.ledger_digest()
    heads = view.chain_heads()
    if heads:
        checkpoints.extend(checkpoint(checkpoints.signer, position, heads, digest, signed=False))


def latest_checkpoint(checkpoints: CheckpointTable) -> Checkpoint | None:
    """The trail's latest checkpoint with every head it holds there."""
    return witnessed(checkpoints.trail(), None).latest_whole()


def integrity_document(
    report: IntegrityReport, signer: Signer | None, checkpoint: Checkpoint | None = None
) -> dict[str, Any]:
    """The report as a document, its digest signed by `signer` (None: no key configured),
    with the trail's latest `checkpoint` (what tools/verify_export.py --checkpoint takes)."""
    first = report.first_broken
    return {
        "ok": report.ok,
        "checked_at": dt.datetime.now(dt.UTC).isoformat(),
        "events": report.events,
        "legacy_events": report.legacy_events,
        "digest": report.digest,
        "countries": [
            {"country": c.country, "events": c.events, "head": c.head} for c in report.chains
        ],
        "first_broken": first.to_json() if first is not None else None,
        "broken": [b.to_json() for b in report.broken],
        "signature": signer.sign(report.digest) if signer and report.digest else None,
        "key_id": signer.key_id if signer else None,
        "public_key": signer.public_key_b64 if signer else None,
        "checkpoint": checkpoint.to_json() if checkpoint is not None else None,
    }
