"""Tamper evidence: every hash chain recomputed from the stored rows, and the signed digest."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import Auditor, ServicesDep
from api.routes.countries import PROBLEM
from api.schemas import IntegrityOut
from projections.integrity import integrity_document

router = APIRouter(tags=["integrity"])


@router.get("/integrity", response_model=IntegrityOut, responses={401: PROBLEM, 403: PROBLEM})
def integrity(ledger: ServicesDep, _: Auditor) -> Any:
    """Reads every stored event, recomputes each country's hash chain and the ledger digest,
    and signs the digest when every chain holds. Roles auditor and editor; it costs a pass
    over the whole log."""
    return integrity_document(ledger.verify(), ledger.signer)
