"""Tamper evidence: every hash chain recomputed from the stored rows, and the signed digest."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import Auditor, ServicesDep
from api.routes.countries import PROBLEM
from api.schemas import BrokenLedgerProblem, IntegrityOut
from domain.integrity import BrokenChainError
from projections.integrity import integrity_document, latest_checkpoint

router = APIRouter(tags=["integrity"])
BROKEN = {"model": BrokenLedgerProblem, "description": "A chain is broken: nothing is signed."}


@router.get(
    "/integrity",
    response_model=IntegrityOut,
    responses={401: PROBLEM, 403: PROBLEM, 503: BROKEN},
)
def integrity(ledger: ServicesDep, _: Auditor) -> Any:
    """Reads every stored event, recomputes each country's hash chain and the ledger digest
    against every head recorded earlier (the read model's, the checkpoints'), and signs the
    digest when every chain holds; otherwise 503 naming the first broken link. Roles auditor
    and editor; it costs a pass over the whole log."""
    report = ledger.verify()
    if not report.ok:
        raise BrokenChainError(report, "not signed")
    return integrity_document(report, ledger.signer, latest_checkpoint(ledger.checkpoints))
