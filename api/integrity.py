"""The integrity document shared by `policy-ledger verify --json` and GET /integrity.

Verification reads every stored row (see domain.integrity), so it costs a pass over the
whole log: it is for auditors, not for the hot path. Only a ledger whose chains all hold
gets a digest, and only a digest is signed; the key id and public key are given whenever the
service has a key, so a reader knows whose signature to expect.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from api.bootstrap import Ledger
from domain.integrity import IntegrityReport


def integrity_document(ledger: Ledger) -> dict[str, Any]:
    report = ledger.verify()
    return report_document(ledger, report)


def report_document(ledger: Ledger, report: IntegrityReport) -> dict[str, Any]:
    first = report.first_broken
    signer = ledger.signer
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
