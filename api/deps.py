"""Request-scoped dependencies: the wired ledger, fresh queries, and who is asking."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.bootstrap import Services
from api.security import Principal, TokenStore
from api.settings import Settings
from projections.queries import PolicyQueries
from projections.reads import Origin

bearer = HTTPBearer(auto_error=False, description="A token from `policy-ledger token create`.")


async def get_services(request: Request) -> Services:
    ledger: Services = request.app.state.ledger
    return ledger


ServicesDep = Annotated[Services, Depends(get_services)]


def identify(request: Request) -> Principal | None:
    """Who presents the request's bearer token; None without one; 401 for a bad one."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("send the token as 'Authorization: Bearer <token>'")
    tokens: TokenStore = request.app.state.tokens
    found = tokens.authenticate(token.strip())
    if found is None:
        raise _unauthorized("the bearer token is not valid")
    return found


def authorize_read(request: Request) -> Principal | None:
    who = identify(request)
    settings: Settings = request.app.state.settings
    if settings.read_requires_token and who is None:
        raise _unauthorized("reads need a bearer token on this server")
    return who


async def principal(
    request: Request,
    _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal | None:
    return identify(request)


PrincipalDep = Annotated[Principal | None, Depends(principal)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


async def reader(
    request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal | None:
    return authorize_read(request)


async def editor(who: PrincipalDep) -> Principal:
    if who is None:
        raise _unauthorized("writes need a bearer token with the editor role")
    if not who.may("write"):
        raise HTTPException(403, f"the {who.role.value} role may not write")
    return who


async def auditor(who: PrincipalDep) -> Principal:
    if who is None:
        raise _unauthorized("this needs a bearer token with the auditor or editor role")
    if not who.may("audit"):
        raise HTTPException(403, f"the {who.role.value} role may not audit the ledger")
    return who


Editor = Annotated[Principal, Depends(editor)]
Auditor = Annotated[Principal, Depends(auditor)]
Reader = Annotated[Principal | None, Depends(reader)]


CONSISTENCY = "policy-ledger-consistency"  # request header: `primary` for read-your-writes
SOURCE = "Policy-Ledger-Source"  # response headers, where a read replica is configured
LAG = "Policy-Ledger-Lag"


def asks_primary(request: Request) -> bool:
    """Whether the request asks for the primary (`Policy-Ledger-Consistency: primary`)."""
    return request.headers.get(CONSISTENCY, "").strip().lower() == "primary"


def source_headers(origin: Origin) -> dict[str, str]:
    """Where an answer came from, and for a replica how far it lags the primary; nothing
    where no replica is configured."""
    if not origin.replicated:
        return {}
    if origin.lag is None:
        return {SOURCE: "primary"}
    return {SOURCE: "replica", LAG: origin.lag.header()}


def fresh_queries(
    request: Request,
    response: Response,
    ledger: ServicesDep,
    _: Annotated[Principal | None, Depends(reader)],
) -> PolicyQueries:
    """Queries over a read model that has caught up with the log (read-your-writes), or,
    where a replica is configured, over the replica's, with its lag in the headers."""
    queries, origin = ledger.reads.answering_queries(primary=asks_primary(request))
    response.headers.update(source_headers(origin))
    return queries


Queries = Annotated[PolicyQueries, Depends(fresh_queries)]


def require_json(request: Request) -> None:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise HTTPException(415, "send the body as application/json")
