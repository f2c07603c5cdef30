"""schemathesis, stateful: sequences of calls that feed each answer into the next request,
on SQLite with the Pakistan demo and an editor token.

The OpenAPI document has no links of its own; this test adds them to its copy (record an
amendment -> its in-force date, its retraction, the next amendment with the version the
reply gave, the country's timeline and policy; the country list -> a country's reads and
writes), so schemathesis' state machine writes on top of its own writes and reads them
back. Every step: no 5xx, and the response conforms to the document. Afterwards the read
model equals a rebuild of the log the run wrote.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from api_support import PAKISTAN, bearer, load_demo_via_ledger, new_token
from fastapi import FastAPI
from fuzz_support import CHECKS
from hypothesis import HealthCheck, settings
from integration.worked_history import read_model, rebuild
from schemathesis import GenerationMode
from schemathesis.python import asgi

from api.app import create_app
from api.bootstrap import Services, build_services
from api.security import Role
from api.settings import Settings

STATEFUL = settings(
    max_examples=5,
    stateful_step_count=6,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
DOCUMENT = create_app(Settings(database_url="sqlite:///never-opened.sqlite")).openapi()
RECORD = ("/countries/{code}/amendments", "post")
IN_FORCE = ("/countries/{code}/amendments/{amendment_id}/in-force", "post")
RETRACT = ("/countries/{code}/amendments/{amendment_id}/retraction", "post")
TIMELINE = ("/countries/{code}/timeline", "get")
POLICY = ("/countries/{code}/policy", "get")
COUNTRIES = ("/countries", "get")


def _id(operation: tuple[str, str]) -> str:
    path, method = operation
    return str(DOCUMENT["paths"][path][method]["operationId"])


def _link(target: tuple[str, str], body: dict[str, Any] | None = None, **params: str) -> dict:
    link: dict[str, Any] = {"operationId": _id(target), "parameters": params}
    if body is not None:
        link["requestBody"] = body
    return link


# Merged into the generated body of a linked write (the rest stays generated): a pending
# amendment the domain accepts, so the chain can go on to its in-force date and retraction.
PENDING_NOTE = {
    "announced_on": "2025-01-10",
    "in_force_from": None,
    "sources": [{"kind": "other", "reference": "Stateful run", "date": "2025-01-10"}],
    "changes": [{"type": "note", "topic": "stateful", "text": "Written by schemathesis."}],
}


def linked_document() -> dict[str, Any]:
    document = copy.deepcopy(DOCUMENT)
    code = "$request.path.code"
    next_version = {"expected_version": "$response.body#/version"}
    written = {
        "RecordNext": _link(RECORD, {**PENDING_NOTE, **next_version}, code=code),
        "Retract": _link(
            RETRACT,
            {"source": None, **next_version},
            code=code,
            amendment_id="$response.body#/amendment_id",
        ),
        "ReadTimeline": _link(TIMELINE, code=code),
        "ReadPolicy": _link(POLICY, code=code),
    }
    links = {
        RECORD: {
            **written,
            "RecordInForce": _link(
                IN_FORCE,
                {"in_force_from": "2025-02-01", **next_version},
                code=code,
                amendment_id="$response.body#/amendment_id",
            ),
        },
        IN_FORCE: written,
        RETRACT: {k: v for k, v in written.items() if k != "Retract"},
        COUNTRIES: {
            "RecordFirst": _link(
                RECORD,
                {**PENDING_NOTE, "expected_version": "$response.body#/0/version"},
                code="$response.body#/0/country",
            ),
            "ReadTimeline": _link(TIMELINE, code="$response.body#/0/country"),
        },
    }
    for (path, method), named in links.items():
        status = "200" if method == "get" else "201"
        document["paths"][path][method]["responses"][status]["links"] = named
    return document


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[FastAPI, Services, str]]:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    ledger = build_services(Settings(database_url=url))
    load_demo_via_ledger(ledger, PAKISTAN)
    settings_ = Settings(database_url=url, tokens_file=tmp_path / "tokens.json")
    token = new_token(ledger, "fuzzer", Role.EDITOR)
    app = create_app(settings_, ledger=ledger)
    try:
        yield app, ledger, token
    finally:
        asgi.shutdown_lifespans()
        ledger.close()


def test_stateful_sequences_build_on_their_own_writes_without_a_server_error(
    served: tuple[FastAPI, Services, str], figures: Callable[..., Any]
) -> None:
    app, ledger, token = served
    schema = schemathesis.openapi.from_dict(linked_document())
    # Valid input only (the negative runs are test_schemathesis.py's), under our own token.
    schema.config.generation.update(modes=[GenerationMode.POSITIVE], with_security_parameters=False)
    statuses: dict[str, int] = {}

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def call(self, case: Any, **kwargs: Any) -> Any:
            response = case.call(app=app, headers=bearer(token), **kwargs)
            key = f"{case.method} {case.path} {response.status_code}"
            statuses[key] = statuses.get(key, 0) + 1
            return response

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    head = ledger.catch_up.head()
    Workflow.run(settings=STATEFUL)
    # The run wrote on top of its own writes: some linked writes were accepted.
    accepted = sum(n for key, n in statuses.items() if key.startswith("POST") and "201" in key)
    figures(stateful_calls=sum(statuses.values()), accepted_writes=accepted, statuses=statuses)
    assert accepted > 0, statuses
    assert ledger.catch_up.head() > head
    ledger.catch_up.run()
    assert rebuild(ledger) == read_model(ledger)
