"""Audits of decisions, and what-if answers with draft amendments (never stored)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.bootstrap import Ledger
from api.deps import LedgerDep, Reader, require_json
from api.routes.countries import PROBLEM, Code
from api.schemas import AuditIn, AuditOut, WhatIfIn, WhatIfOut
from domain.audit import Decision
from domain.countries import country_code
from domain.errors import LedgerError
from projections.audit import Auditor, States, StoredStates
from projections.whatif import WhatIfStates, what_if_policy

router = APIRouter(tags=["audits"], dependencies=[Depends(require_json)])
ERRORS: dict[int | str, dict[str, Any]] = dict.fromkeys((400, 401, 404, 413, 415, 422), PROBLEM)


@router.post("/audits", response_model=AuditOut, responses=ERRORS)
async def audit(body: AuditIn, ledger: LedgerDep, _: Reader) -> Any:
    """Judge each decision under the policy in force on its date; bad rows are reported
    one by one and do not stop the others. Drafts are applied in memory only."""
    return await run_in_threadpool(_audit, ledger, body)


def _audit(ledger: Ledger, body: AuditIn) -> dict[str, Any]:
    index = ledger.refresh_index()
    states: States = StoredStates(index)
    if body.drafts:
        drafts = [(country_code(d.country), d.draft()) for d in body.drafts]
        states = WhatIfStates(index, drafts, ledger.app.policy_or_new)
    review = body.review_date or dt.datetime.now(dt.UTC).date()
    auditor = Auditor(states, review)
    results, rejected = [], []
    for line, item in enumerate(body.decisions, start=1):
        try:
            results.append(auditor.audit(Decision.model_validate(item)))
        except ValidationError as error:
            rejected.append(_rejected(line, item, _pydantic_errors(error)))
        except LedgerError as error:
            rejected.append(_rejected(line, item, [_ledger_error(error)]))
    auditor.summary.rejected = len(rejected)
    return {
        "review_date": review,
        "summary": auditor.summary.to_json(),
        "results": results,
        "rejected": rejected,
    }


def _rejected(line: int, item: Any, errors: list[dict[str, str]]) -> dict[str, Any]:
    raw_id = item.get("id") if isinstance(item, dict) else None
    return {"line": line, "id": str(raw_id) if raw_id is not None else None, "errors": errors}


def _pydantic_errors(error: ValidationError) -> list[dict[str, str]]:
    return [
        {"field": ".".join(str(p) for p in e["loc"]) or "decision", "message": e["msg"]}
        for e in error.errors()
    ]


def _ledger_error(error: LedgerError) -> dict[str, str]:
    return {"field": error.field or "decision", "message": error.detail}


@router.post("/countries/{code}/policy/what-if", response_model=WhatIfOut, responses=ERRORS)
async def what_if(code: Code, body: WhatIfIn, ledger: LedgerDep, _: Reader) -> Any:
    """The answer of GET …/policy with the draft amendments applied; nothing is stored."""
    return await run_in_threadpool(_what_if, ledger, code, body)


def _what_if(ledger: Ledger, code: str, body: WhatIfIn) -> dict[str, Any]:
    country = country_code(code)
    states = WhatIfStates(
        ledger.refresh_index(),
        [(country, d.draft()) for d in body.drafts],
        ledger.app.policy_or_new,
    )
    now = dt.datetime.now(dt.UTC)
    return what_if_policy(states, country, body.on or now.date(), now)
