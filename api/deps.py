"""Request-scoped dependencies: the wired ledger, fresh queries, and who is asking."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.bootstrap import Services
from api.limits import ConcurrencyLimit
from api.security import Principal, TokenRefusedError, Tokens
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
    tokens: Tokens = request.app.state.tokens
    try:
        return tokens.authenticate(token.strip())
    except TokenRefusedError as refused:
        raise _unauthorized(str(refused)) from None


def authorize_read(request: Request) -> Principal | None:
    who = identify(request)
    settings: Settings = request.app.state.settings
    if settings.read_requires_token and who is None:
        raise _unauthorized("reads need a bearer token on this server")
    return who


def authorize_audit(request: Request) -> Principal | None:
    """The read rule, and with `audits_require_token` (the default) a token of any role."""
    who = authorize_read(request)
    settings: Settings = request.app.state.settings
    if settings.audits_require_token and who is None:
        raise _unauthorized("audits need a bearer token on this server (any role)")
    return who


def audit_client(request: Request, who: Principal | None) -> str:
    """Whom the audit limit counts a request against: its token's subject, else the
    address it came from (behind a proxy: the proxy's, unless it forwards it)."""
    if who is not None:
        return f"subject:{who.subject}"
    return f"address:{request.client.host if request.client else 'unknown'}"


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


async def audit_slot(
    request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> AsyncIterator[Principal | None]:
    """The audit access check, then one of the client's audit slots, held while the
    request runs (429 when the client has `audits_per_client` running)."""
    who = authorize_audit(request)
    limit: ConcurrencyLimit = request.app.state.audit_limit
    with limit.hold(audit_client(request, who)):
        yield who


Editor = Annotated[Principal, Depends(editor)]
Auditor = Annotated[Principal, Depends(auditor)]
Reader = Annotated[Principal | None, Depends(reader)]
AuditSlot = Annotated[Principal | None, Depends(audit_slot)]


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
