"""Write endpoints: record an amendment, its in-force date, or its retraction."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response

from api.deps import Editor, ServicesDep, require_json
from api.observability import AMENDMENTS
from api.routes.countries import PROBLEM, Code
from api.schemas import AmendmentIn, InForceIn, Recorded, RetractionIn
from domain.application import Recorded as DomainRecorded

router = APIRouter(prefix="/countries", tags=["amendments"], dependencies=[Depends(require_json)])

WRITE_ERRORS: dict[int | str, dict[str, Any]] = dict.fromkeys(
    (400, 401, 403, 404, 409, 413, 415, 422), PROBLEM
)
POSITION = "Policy-Ledger-Position"
AmendmentId = Annotated[str, Path(max_length=64, description="The amendment's id.")]


def _answer(
    ledger: ServicesDep, recorded: DomainRecorded, kind: str, response: Response
) -> Recorded:
    AMENDMENTS.labels(kind).inc()
    # Read-your-writes: the read model includes this write before the reply is sent.
    ledger.catch_up.run(until=recorded.notification_id)
    if recorded.notification_id is not None:
        # For a read elsewhere that must include this write (GET …/policy?min_position=).
        response.headers[POSITION] = str(recorded.notification_id)
    return Recorded.model_validate(
        {
            "country": recorded.country,
            "amendment_id": recorded.amendment_id,
            "version": recorded.version,
            "events": [vars(e) for e in recorded.events],
        }
    )


@router.post("/{code}/amendments", status_code=201, response_model=Recorded, responses=WRITE_ERRORS)
def record_amendment(
    code: Code, body: AmendmentIn, ledger: ServicesDep, who: Editor, response: Response
) -> Any:
    recorded = ledger.app.record_amendment(
        code, body.draft(), author=who.subject, expected_version=body.expected_version
    )
    return _answer(ledger, recorded, "amendment", response)


@router.post(
    "/{code}/amendments/{amendment_id}/in-force",
    status_code=201,
    response_model=Recorded,
    responses=WRITE_ERRORS,
)
def record_in_force_date(
    code: Code,
    amendment_id: AmendmentId,
    body: InForceIn,
    ledger: ServicesDep,
    who: Editor,
    response: Response,
) -> Any:
    recorded = ledger.app.record_in_force_date(
        code,
        amendment_id,
        body.in_force_from,
        author=who.subject,
        expected_version=body.expected_version,
        announced_on=body.announced_on,
    )
    return _answer(ledger, recorded, "in_force", response)


@router.post(
    "/{code}/amendments/{amendment_id}/retraction",
    status_code=201,
    response_model=Recorded,
    responses=WRITE_ERRORS,
)
def retract_amendment(
    code: Code,
    amendment_id: AmendmentId,
    body: RetractionIn,
    ledger: ServicesDep,
    who: Editor,
    response: Response,
) -> Any:
    recorded = ledger.app.retract_amendment(
        code,
        amendment_id,
        reason=body.reason,
        source=body.source,
        announced_on=body.announced_on,
        author=who.subject,
        expected_version=body.expected_version,
    )
    return _answer(ledger, recorded, "retraction", response)
