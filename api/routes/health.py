"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import LedgerDep
from api.problems import problem
from api.routes.countries import PROBLEM
from api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, responses={503: PROBLEM})
def health(ledger: LedgerDep) -> Any:
    """Ready when the store answers and the read model has caught up with the log."""
    try:
        position = ledger.catch_up.run()
        head = ledger.catch_up.head()
    except Exception as error:  # any store failure means not ready, never a 500
        return problem(503, "Not ready", f"the store did not answer: {type(error).__name__}")
    if position < head:
        return problem(503, "Not ready", f"the read model is {head - position} events behind")
    return {
        "status": "ok",
        "store": True,
        "projection_position": position,
        "log_head": head,
        "lag": 0,
    }
