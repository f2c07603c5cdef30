"""Readiness (/health) and metrics (/metrics)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from api.deps import Reader, ServicesDep
from api.observability import exposition
from api.problems import problem
from api.routes.countries import PROBLEM
from api.schemas import Health
from domain.words import counted

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, responses={503: PROBLEM})
def health(ledger: ServicesDep) -> Any:
    """Ready when the store answers and the read model is at most `ready_max_lag` events
    behind the log (a small lag is caught up first; a large one in the background)."""
    threshold = ledger.settings.ready_max_lag
    try:
        head, position = ledger.catch_up.head(), ledger.catch_up.position()
        if position < head <= position + threshold:
            position = ledger.catch_up.run(until=head)
    except Exception as error:  # any store failure means not ready, never a 500
        return problem(503, "Not ready", f"the store did not answer: {type(error).__name__}")
    if head - position > threshold:
        ledger.reads.catch_up_in_background()
        return problem(
            503,
            "Not ready",
            f"the read model is {counted(head - position, 'event')} behind the log (position "
            f"{position}, head {head}; ready at {threshold} or fewer); catching up",
        )
    doc: dict[str, Any] = {
        "status": "ok",
        "store": True,
        "projection_position": position,
        "log_head": head,
        "lag": head - position,
    }
    if ledger.reads.replica is not None:
        # Reads go there by default: a replica that does not answer makes this not ready;
        # its lag is reported (each answer states it too), not judged.
        try:
            lag = ledger.reads.replica.lag()
        except Exception as error:
            return problem(
                503, "Not ready", f"the read replica did not answer: {type(error).__name__}"
            )
        doc["replica_lag_events"], doc["replica_lag_seconds"] = lag.events, lag.seconds
    return doc


@router.get("/metrics", include_in_schema=False)
async def metrics(ledger: ServicesDep, _: Reader) -> Response:
    """Prometheus metrics (text format); needs a token when reads do."""
    body = await run_in_threadpool(exposition, ledger)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
