"""Audits of decisions, and what-if answers with draft amendments (never stored)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from api.bootstrap import Services
from api.deps import AuditSlot, Reader, ServicesDep, asks_primary, require_json, source_headers
from api.observability import DECISIONS
from api.routes.countries import PROBLEM, Code
from api.schemas import AuditIn, AuditOut, WhatIfIn, WhatIfOut
from domain.countries import country_code
from projections.audit.drafts import WhatIfStates
from projections.audit.judging import Auditor, States, StoredStates
from projections.audit.reading import decisions_from_json
from projections.audit.reports import seal_doc
from projections.audit.stream import Collected, audit_rows
from projections.whatif import what_if_policy

router = APIRouter(tags=["audits"], dependencies=[Depends(require_json)])
ERRORS: dict[int | str, dict[str, Any]] = dict.fromkeys((400, 401, 404, 413, 415, 422), PROBLEM)
AUDIT_ERRORS = {**ERRORS, 429: PROBLEM}


@router.post("/audits", response_model=AuditOut, responses=AUDIT_ERRORS)
async def audit(
    body: AuditIn, request: Request, response: Response, ledger: ServicesDep, _: AuditSlot
) -> Any:
    """Judge each decision under the policy in force on its date; bad rows are reported
    one by one and do not stop the others. Drafts are applied in memory only."""
    # Drafts apply to the primary's policy: they are read there.
    primary = bool(body.drafts) or asks_primary(request)
    return await run_in_threadpool(_audit, ledger, body, primary, response)


def _audit(ledger: Services, body: AuditIn, primary: bool, response: Response) -> dict[str, Any]:
    index, origin = ledger.reads.answering_index(primary=primary)
    response.headers.update(source_headers(origin))
    states: States = StoredStates(index)
    if body.drafts:
        drafts = [(d.country, d.draft()) for d in body.drafts]
        states = WhatIfStates(index, drafts, ledger.app.policy_or_new)
    review = body.review_date or dt.datetime.now(dt.UTC).date()
    # Signed only once the log verifies to the digest of the read model the audit reads.
    answer = Collected(seal_doc(ledger.verified_seal(index.position, index.digest)))
    auditor = Auditor(states, review, basis=body.basis.value)
    # In the body's order (batch=1): the summary then counts each value in the order it
    # first appears, as this answer always has.
    audit_rows(auditor, decisions_from_json(body.decisions), answer, batch=1)
    DECISIONS.labels("audited").inc(len(answer.results))
    DECISIONS.labels("rejected").inc(len(answer.rejected))
    return {
        "review_date": review,
        "summary": answer.summary,
        "results": answer.results,
        "rejected": answer.rejected,
        "ledger": answer.ledger,
    }


@router.post(
    "/countries/{code}/policy/what-if",
    response_model=WhatIfOut,
    response_model_exclude_unset=True,  # what is not stated stays out, as in GET …/policy
    responses=ERRORS,
)
async def what_if(code: Code, body: WhatIfIn, ledger: ServicesDep, _: Reader) -> Any:
    """The answer of GET …/policy with the draft amendments applied; nothing is stored."""
    return await run_in_threadpool(_what_if, ledger, code, body)


def _what_if(ledger: Services, code: str, body: WhatIfIn) -> dict[str, Any]:
    country = country_code(code)
    states = WhatIfStates(
        ledger.reads.index(),
        [(country, d.draft()) for d in body.drafts],
        ledger.app.policy_or_new,
    )
    now = dt.datetime.now(dt.UTC)
    return what_if_policy(states, country, body.on or now.date(), now)
