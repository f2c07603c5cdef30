"""Read endpoints: countries, point-in-time policy, versions, timeline, history, diff."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from starlette.concurrency import run_in_threadpool

from api.deps import LedgerDep, Queries, Reader, utc
from api.problems import MEDIA_TYPE
from api.schemas import (
    CountrySummary,
    DiffOut,
    HistoryOut,
    PolicyOut,
    Problem,
    TimelineOut,
    VersionOut,
    VersionsOut,
)

router = APIRouter(prefix="/countries", tags=["countries"])

PROBLEM: dict[str, Any] = {"model": Problem, "content": {MEDIA_TYPE: {}}}
READ_ERRORS: dict[int | str, dict[str, Any]] = {401: PROBLEM, 404: PROBLEM, 422: PROBLEM}

Code = Annotated[str, Path(description="ISO 3166-1 alpha-2 code, e.g. PK.", max_length=8)]
On = Annotated[dt.date | None, Query(description="Valid-time date; default: today (UTC).")]
KnownAt = Annotated[
    dt.datetime | None,
    Query(description="Knowledge time: as recorded at this moment; default: now."),
]


@router.get("", response_model=list[CountrySummary], responses={401: PROBLEM})
def list_countries(queries: Queries) -> Any:
    return queries.countries()


@router.get("/{code}/policy", response_model=PolicyOut, responses=READ_ERRORS)
async def policy(
    code: Code, ledger: LedgerDep, _: Reader, on: On = None, known_at: KnownAt = None
) -> Any:
    """The policy in force on `on`, as recorded at `known_at`."""
    moment = utc(known_at)
    day = on or moment.date()
    if known_at is not None:
        return await run_in_threadpool(ledger.queries.policy, code, day, moment)
    # The hot path: current knowledge, answered from the in-process index.
    if ledger.signal.cheap and not ledger.signal.moved():
        index = ledger.index
    else:
        index = await run_in_threadpool(ledger.refresh_index)
    return Response(index.policy_json(code, day, moment), media_type="application/json")


@router.get("/{code}/versions", response_model=VersionsOut, responses=READ_ERRORS)
def versions(code: Code, queries: Queries, known_at: KnownAt = None) -> Any:
    return queries.versions(code, utc(known_at))


@router.get("/{code}/versions/{version_id}", response_model=VersionOut, responses=READ_ERRORS)
def version(
    code: Code,
    version_id: Annotated[str, Path(max_length=64, description="Content-addressed id.")],
    queries: Queries,
) -> Any:
    return queries.version(code, version_id)


@router.get("/{code}/timeline", response_model=TimelineOut, responses=READ_ERRORS)
def timeline(code: Code, queries: Queries, known_at: KnownAt = None) -> Any:
    return queries.timeline(code, utc(known_at))


@router.get("/{code}/history/{element}", response_model=HistoryOut, responses=READ_ERRORS)
def history(
    code: Code,
    element: Annotated[str, Path(max_length=200, description="e.g. group:pti")],
    queries: Queries,
    known_at: KnownAt = None,
) -> Any:
    return queries.history(code, element, utc(known_at))


@router.get("/{code}/diff", response_model=DiffOut, responses=READ_ERRORS)
def diff(
    code: Code,
    queries: Queries,
    from_: Annotated[dt.date, Query(alias="from", description="First date.")],
    to: Annotated[dt.date, Query(description="Second date.")],
    known_at: KnownAt = None,
) -> Any:
    return queries.diff(code, from_, to, utc(known_at))
