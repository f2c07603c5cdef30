"""Read endpoints: countries, point-in-time policy, versions, timeline, history, diff."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.bootstrap import Services
from api.deps import Queries, asks_primary, authorize_read, source_headers
from api.schemas import (
    CountrySummary,
    DiffOut,
    HistoryOut,
    PlacePolicyOut,
    PolicyOut,
    Problem,
    TimelineOut,
    VersionOut,
    VersionsOut,
)
from api.timeparse import parse_date, parse_moment
from domain.errors import InvalidScopeError
from projections.queries import Place

MAX_AREAS = 20

router = APIRouter(prefix="/countries", tags=["countries"])

# FastAPI files the model under application/json; app.py moves it to problem+json.
PROBLEM: dict[str, Any] = {"model": Problem}
READ_ERRORS: dict[int | str, dict[str, Any]] = {401: PROBLEM, 404: PROBLEM, 422: PROBLEM}

Code = Annotated[str, Path(description="ISO 3166-1 alpha-2 code, e.g. PK.", max_length=8)]


async def _on(
    on: Annotated[
        str | None,
        Query(
            description="Valid-time date (YYYY-MM-DD); default: today (UTC).",
            json_schema_extra={"format": "date"},
        ),
    ] = None,
) -> dt.date | None:
    return parse_date(on, name="query.on") if on is not None else None


async def _known_at(
    known_at: Annotated[
        str | None,
        Query(
            description="Knowledge time: as recorded at this ISO 8601 moment (no offset: UTC; "
            "a bare date: the end of that day); default: now.",
            json_schema_extra={"format": "date-time"},
        ),
    ] = None,
) -> dt.datetime | None:
    return parse_moment(known_at, name="query.known_at") if known_at is not None else None


PUBLISHED_BY_DESCRIPTION = (
    "Publication time: count only the acts published on or before this date (YYYY-MM-DD): "
    "amendments by their announced_on, in-force dates and retractions by their own "
    "publication; together with known_at. Default: no publication filter."
)


async def _published_by(
    published_by: Annotated[
        str | None,
        Query(description=PUBLISHED_BY_DESCRIPTION, json_schema_extra={"format": "date"}),
    ] = None,
) -> dt.date | None:
    return parse_date(published_by, name="query.published_by") if published_by is not None else None


On = Annotated[dt.date | None, Depends(_on)]
KnownAt = Annotated[dt.datetime | None, Depends(_known_at)]
PublishedBy = Annotated[dt.date | None, Depends(_published_by)]


def _now(known_at: dt.datetime | None) -> dt.datetime:
    return known_at or dt.datetime.now(dt.UTC)


@router.get("", response_model=list[CountrySummary], responses={401: PROBLEM})
def list_countries(queries: Queries) -> Any:
    return queries.countries()


POLICY_PARAMETERS = [
    {
        "name": "on",
        "in": "query",
        "required": False,
        "description": "Valid-time date (YYYY-MM-DD); default: today (UTC).",
        "schema": {"type": "string", "format": "date"},
    },
    {
        "name": "known_at",
        "in": "query",
        "required": False,
        "description": "Knowledge time: as recorded at this ISO 8601 moment (no offset: UTC; "
        "a bare date: the end of that day); default: now.",
        "schema": {"type": "string", "format": "date-time"},
    },
    {
        "name": "region",
        "in": "query",
        "required": False,
        "description": "The policy for a person from this ISO 3166-2 region of the country "
        "(e.g. IQ-NI): each element as it applies there, with the scope it came from (an "
        "area asked for, the region, a region it lies in, or `country`). Without it (and "
        "without `area`): the whole-country document, scoped rules under their place.",
        "schema": {"type": "string", "maxLength": 16},
    },
    {
        "name": "area",
        "in": "query",
        "required": False,
        "description": "An area the person is in (an id defined with define_area, in force "
        "or pending on `on`); repeatable, the first named is the most specific.",
        "schema": {
            "type": "array",
            "items": {"type": "string", "maxLength": 64},
            "maxItems": MAX_AREAS,
        },
        "style": "form",
        "explode": True,
    },
    {
        "name": "published_by",
        "in": "query",
        "required": False,
        "description": PUBLISHED_BY_DESCRIPTION,
        "schema": {"type": "string", "format": "date"},
    },
    {
        "name": "min_position",
        "in": "query",
        "required": False,
        "description": "The `Policy-Ledger-Position` a write answered with: the answer then "
        "includes that write for certain, from any server of the store (without it, a write "
        "made through another server is seen once its notification arrives, well under a "
        "millisecond on one host).",
        "schema": {"type": "integer", "minimum": 0, "maximum": 999999999999999999},
    },
]


@router.get(
    "/{code}/policy",
    response_model=PolicyOut | PlacePolicyOut,
    response_model_exclude_unset=True,
    responses=READ_ERRORS,
    openapi_extra={"parameters": POLICY_PARAMETERS, "security": [{"HTTPBearer": []}, {}]},
)
async def policy(code: Code, request: Request) -> Any:
    """The policy in force on `on`, as recorded at `known_at` (and, with `published_by`,
    counting only what was published by then); with `region` (and `area`), as it applies
    to a person from there.

    The hottest endpoint reads its query itself (documented above) rather than through
    dependencies: each dependency costs about as much as the answer.
    """
    authorize_read(request)
    ledger: Services = request.app.state.ledger
    query = request.query_params
    on, known_at, published = query.get("on"), query.get("known_at"), query.get("published_by")
    now = dt.datetime.now(dt.UTC)
    day = parse_date(on, name="query.on") if on is not None else now.date()
    moment = parse_moment(known_at, name="query.known_at") if known_at is not None else None
    place = None
    if "region" in query or "area" in query:
        place = _place(query.get("region"), query.getlist("area"))
    by = parse_date(published, name="query.published_by") if published is not None else None
    least = _min_position(query.get("min_position"))
    if place is None and by is None:  # the whole country, from the index
        body = ledger.reads.cached_policy(code, day, now, moment, least)
        if body is not None:
            return Response(body, media_type="application/json")
    answer = await run_in_threadpool(
        partial(
            ledger.reads.policy,
            published_by=by,
            primary=asks_primary(request),
            place=place,
            min_position=least,
        ),
        code,
        day,
        moment,
    )
    headers = source_headers(answer.origin)
    if answer.doc is not None:
        return JSONResponse(_policy_json(answer.doc), headers=headers)
    return Response(answer.body, media_type="application/json", headers=headers)


def _min_position(raw: str | None) -> int | None:
    """`min_position`: the position a write returned (`Policy-Ledger-Position`)."""
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        error = {"loc": ("query", "min_position"), "msg": "not a position", "type": "int_parsing"}
        raise RequestValidationError([error])
    return int(raw)


def _place(region: str | None, areas: list[str]) -> Place | None:
    """The place asked for; None for the whole country. Checked against the country's
    regions and defined areas where the answer is made (422 naming query.region/area)."""
    if region is None and not areas:
        return None
    if len(areas) > MAX_AREAS:
        raise InvalidScopeError(f"at most {MAX_AREAS} areas", field="query.area")
    named = tuple(dict.fromkeys(areas))
    return Place(region.strip().upper() if region is not None else None, named)


def _policy_json(doc: Any) -> Any:
    """What FastAPI would send for the route's response model. A field the answer leaves out
    (exceptions, a bound, actors: not stated) stays out, as in the index's bytes."""
    model = PlacePolicyOut if "place" in doc else PolicyOut
    return model.model_validate(doc).model_dump(mode="json", by_alias=True, exclude_unset=True)


@router.get("/{code}/versions", response_model=VersionsOut, responses=READ_ERRORS)
def versions(code: Code, queries: Queries, known_at: KnownAt, published_by: PublishedBy) -> Any:
    return queries.versions(code, _now(known_at), published_by)


@router.get("/{code}/versions/{version_id}", response_model=VersionOut, responses=READ_ERRORS)
def version(
    code: Code,
    version_id: Annotated[str, Path(max_length=64, description="Content-addressed id.")],
    queries: Queries,
) -> Any:
    return queries.version(code, version_id)


@router.get("/{code}/timeline", response_model=TimelineOut, responses=READ_ERRORS)
def timeline(code: Code, queries: Queries, known_at: KnownAt, published_by: PublishedBy) -> Any:
    return queries.timeline(code, _now(known_at), published_by)


@router.get("/{code}/history/{element}", response_model=HistoryOut, responses=READ_ERRORS)
def history(
    code: Code,
    element: Annotated[str, Path(max_length=200, description="e.g. group:pti")],
    queries: Queries,
    known_at: KnownAt,
    published_by: PublishedBy,
) -> Any:
    return queries.history(code, element, _now(known_at), published_by)


@router.get("/{code}/diff", response_model=DiffOut, responses=READ_ERRORS)
def diff(
    code: Code,
    queries: Queries,
    from_: Annotated[
        str, Query(alias="from", description="First date.", json_schema_extra={"format": "date"})
    ],
    to: Annotated[str, Query(description="Second date.", json_schema_extra={"format": "date"})],
    known_at: KnownAt,
    published_by: PublishedBy,
) -> Any:
    first, second = parse_date(from_, name="query.from"), parse_date(to, name="query.to")
    return queries.diff(code, first, second, _now(known_at), published_by)
