"""Every error leaves the API as RFC 9457 problem+json, mapped here and only here."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from api.timeparse import MomentError
from domain.errors import (
    DomainRuleError,
    LedgerError,
    LedgerNotEmptyError,
    NotFoundError,
    UnknownCountryCodeError,
    VersionConflictError,
)
from domain.integrity import BrokenChainError, SealMismatchError

MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("policy_ledger.api")

STATUS_OF: list[tuple[type[LedgerError], int]] = [
    (UnknownCountryCodeError, 404),
    (NotFoundError, 404),
    (VersionConflictError, 409),
    (LedgerNotEmptyError, 409),
    (BrokenChainError, 503),
    (SealMismatchError, 503),
    (DomainRuleError, 422),
]

HTTP_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal error",
    503: "Not ready",
}


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
    members: Mapping[str, object] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"/problems/{slug(title)}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    body.update(members or {})
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def ledger_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, LedgerError)
    status = next(code for kind, code in STATUS_OF if isinstance(error, kind))
    errors = [{"field": _located(error.field), "message": error.detail}] if error.field else None
    return problem(status, error.title, error.detail, errors=errors, members=error.members())


PATH_FIELDS = {"country": "path.code", "amendment_id": "path.amendment_id"}


def _located(field: str) -> str:
    """Where a domain error's field is in the request (as pydantic names request fields)."""
    if field.startswith("query."):  # already located (a query parameter)
        return field
    return PATH_FIELDS.get(field, f"body.{field}")


def moment_error(_: Request, error: Exception) -> JSONResponse:
    field, _sep, message = str(error).partition(": ")
    return problem(422, "Invalid input", str(error), errors=[{"field": field, "message": message}])


def validation_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [
        {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in error.errors()
    ]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return problem(422, "Invalid input", detail, errors=errors)


def http_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    title = HTTP_TITLES.get(error.status_code, "HTTP error")
    return problem(error.status_code, title, str(error.detail), headers=error.headers)


def unexpected_error(request: Request, error: Exception) -> JSONResponse:
    # Given explicitly: a sync handler runs in a worker thread, where sys.exc_info() is empty.
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(500, "Internal error", "the server failed; the error is logged")


def install(app: FastAPI) -> None:
    app.add_exception_handler(LedgerError, ledger_error)
    app.add_exception_handler(MomentError, moment_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)


def problem_media_types(openapi: dict[str, Any]) -> dict[str, Any]:
    """Files every error response's schema under application/problem+json, as sent."""
    for path in openapi.get("paths", {}).values():
        for operation in path.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status[0] in "45" and "application/json" in content:
                    content[MEDIA_TYPE] = content.pop("application/json")
    return openapi
