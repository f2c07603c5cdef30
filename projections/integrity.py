"""The ledger's verification with the read model's witnesses, and the integrity document
shared by `policy-ledger verify --json` and GET /integrity.

Verification reads every stored row (see domain.integrity), so it costs a pass over the
whole log: it is for auditors, not for the hot path. Only a ledger whose chains all hold
gets a digest, and only a digest is signed; the key id and public key are given whenever the
service has a key, so a reader knows whose signature to expect.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from domain.application import PolicyLedger
from domain.integrity import IntegrityReport, Witness, verify_log
from domain.signing import Signer
from projections.views import PolicyViewMixin


def verify_ledger(app: PolicyLedger, view: PolicyViewMixin) -> IntegrityReport:
    """Every chain recomputed from the raw stored rows, with the heads the read model
    recorded as witnesses. They are read first: the read model never runs ahead of the
    log, so a witness beyond the log's end means events were removed."""
    heads = view.chain_heads()
    witnesses = {country: Witness(*head) for country, head in heads.items()}
    return verify_log(app, witnesses)


def integrity_document(report: IntegrityReport, signer: Signer | None) -> dict[str, Any]:
    """The report as a document, its digest signed by `signer` (None: no key configured)."""
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
    }
