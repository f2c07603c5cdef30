"""schemathesis over every operation of the OpenAPI document, on SQLite with the Pakistan demo
loaded and an editor token: no 5xx, and every response conforms to the document (schema,
status code, content type).

Each operation is its own test (so a failure names it), fuzzed with valid data and with
invalid data, plus a run aimed at Pakistan's real state (its code, its amendment ids, its
current version) so writes reach the domain rules. Runs are derandomised: a failure here
is reproducible, and marked only where a bug is known (see the reasons).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from api_support import PAKISTAN, PROBLEM_JSON, bearer, load_demo_via_ledger, new_token
from fastapi import FastAPI
from fastapi.testclient import TestClient
from fuzz_support import CHECKS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.python import asgi

from api.app import create_app
from api.bootstrap import Services, build_services
from api.schemas import Problem
from api.security import Role
from api.settings import Settings

FUZZ = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)

# The document does not depend on the store: a never-started app serves it.
DOCUMENT = create_app(Settings(database_url="sqlite:///never-opened.sqlite")).openapi()
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)
OPERATIONS = {op.label: op for op in (result.ok() for result in SCHEMA.get_all_operations())}


def _has_input(label: str) -> bool:
    method, path = label.split(" ", 1)
    spec = DOCUMENT["paths"][path][method.lower()]
    return bool(spec.get("parameters") or spec.get("requestBody"))


def _cases(mode: GenerationMode) -> list[str]:
    if mode is GenerationMode.NEGATIVE:
        return [label for label in sorted(OPERATIONS) if _has_input(label)]
    return sorted(OPERATIONS)


def _undecodable(body: Any) -> bool:
    """A JSON body whose bytes are not text (the one known 400, pinned below)."""
    if not isinstance(body, bytes):
        return False
    try:
        json.loads(body)
    except UnicodeDecodeError:
        return True
    except ValueError:
        return False
    return False


@dataclass
class Served:
    app: FastAPI
    ledger: Services
    token: str
    amendment_ids: list[str]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """The app on a fresh SQLite store with the demo; schemathesis runs its lifespan."""
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    ledger = build_services(Settings(database_url=url))
    demo = load_demo_via_ledger(ledger, PAKISTAN)
    settings_ = Settings(database_url=url, tokens_file=tmp_path / "tokens.json")
    token = new_token(ledger, "fuzzer", Role.EDITOR)
    app = create_app(settings_, ledger=ledger)
    try:
        yield Served(app, ledger, token, [demo.attestation, demo.letter, demo.decree])
    finally:
        asgi.shutdown_lifespans()
        ledger.close()


def _call(served: Served, case: Any) -> None:
    headers = bearer(served.token)
    response = case.call_and_validate(app=served.app, headers=headers, checks=CHECKS)
    if response.headers.get("content-type", [""])[0].startswith(PROBLEM_JSON):
        problem = Problem.model_validate(response.json())
        assert problem.status == response.status_code


@pytest.mark.parametrize("label", _cases(GenerationMode.POSITIVE))
def test_valid_input(served: Served, label: str) -> None:
    @FUZZ
    @given(case=OPERATIONS[label].as_strategy(generation_mode=GenerationMode.POSITIVE))
    def run(case: Any) -> None:
        _call(served, case)

    run()


@pytest.mark.parametrize("label", _cases(GenerationMode.NEGATIVE))
def test_invalid_input(served: Served, label: str) -> None:
    @FUZZ
    @given(case=OPERATIONS[label].as_strategy(generation_mode=GenerationMode.NEGATIVE))
    def run(case: Any) -> None:
        _call(served, case)

    run()


@pytest.mark.parametrize("label", [label for label in sorted(OPERATIONS) if "{code}" in label])
def test_valid_input_on_pakistan(served: Served, label: str) -> None:
    """Valid input aimed at the recorded state: Pakistan, its amendments, its version."""
    strategy = OPERATIONS[label].as_strategy(path_parameters={"code": "PK"})

    @FUZZ
    @given(case=strategy, amendment_id=st.sampled_from(served.amendment_ids))
    def run(case: Any, amendment_id: str) -> None:
        if "amendment_id" in case.path_parameters:
            case.path_parameters["amendment_id"] = amendment_id
        if isinstance(case.body, dict) and "/amendments" in label:
            case.body["expected_version"] = served.ledger.app.version_of("PK")
        _call(served, case)

    run()


# What the fuzzer found, pinned down deterministically ------------------------------------


def _documented(path: str, method: str) -> dict[str, Any]:
    return dict(DOCUMENT["paths"][path][method]["responses"])


@pytest.mark.parametrize(
    "path",
    [
        path
        for path, methods in DOCUMENT["paths"].items()
        if "requestBody" in methods.get("post", {})
    ],
)
def test_a_body_that_is_not_utf8_gets_a_documented_status(served: Served, path: str) -> None:
    with TestClient(served.app) as client:
        response = client.post(
            path.format(code="PK", amendment_id=served.amendment_ids[2]),
            content=b'{"announced_on": "\xff"}',
            headers={**bearer(served.token), "Content-Type": "application/json"},
        )
    assert 400 <= response.status_code < 500
    assert str(response.status_code) in _documented(path, "post")


def test_problem_responses_document_their_schema() -> None:
    """Every error is a Problem, or a problem with extension members (RFC 9457 §3.2) whose
    schema holds every member of Problem."""
    schemas = DOCUMENT["components"]["schemas"]
    problem = schemas["Problem"]
    undocumented = []
    for path, methods in DOCUMENT["paths"].items():
        for method, spec in methods.items():
            for status, response in spec["responses"].items():
                if status.startswith(("4", "5")):
                    content = response.get("content", {})
                    schema = content.get("application/problem+json", {}).get("schema", {})
                    found = schemas.get(schema.get("$ref", "").rsplit("/", 1)[-1], {})
                    extends = set(problem["properties"]) <= set(found.get("properties", {}))
                    if not extends or not set(problem["required"]) <= set(found["required"]):
                        undocumented.append(f"{method.upper()} {path} {status}")
    assert undocumented == []


def test_every_operation_documents_its_errors() -> None:
    for label in OPERATIONS:
        method, path = label.split(" ", 1)
        documented = set(_documented(path, method.lower()))
        if "{code}" in path:
            assert {"404", "422"} <= documented, label
        if method == "POST" and "/amendments" in path:
            assert {"401", "403", "409", "413", "415", "422"} <= documented, label
