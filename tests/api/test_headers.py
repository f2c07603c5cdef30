"""Security headers and CORS, through the app on SQLite and PostgreSQL.

- Every route of the app (iterated from `app.routes`: JSON answers, pages, /docs, the
  OpenAPI document, /metrics, and a file of each static mount), with each of its methods,
  answers with the Content-Security-Policy, nosniff, X-Frame-Options and Referrer-Policy,
  and so do a 404, a 405, a refused write (401/415/422) and a 500.
- The policy itself is strict: no inline script, no other origin, no framing.
- CORS is off by default (a preflight gets no CORS allowance); with `cors_origins` set, a
  preflight from an allowed origin succeeds and its answers are readable (errors too),
  while another origin gets no allowance. The setting takes only origins.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from api_support import PROBLEM_JSON, Demo, bearer
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import ValidationError
from starlette.routing import Mount, Route

from api.headers import content_security_policy
from api.settings import Settings
from projections.queries import PolicyQueries

HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}
ALLOWED = "https://ledger-client.example"
OTHER = "https://elsewhere.example"


def assert_secured(response: Any, what: str) -> None:
    assert response.headers.get("content-security-policy") == content_security_policy(), what
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (what, name)


def every_route(routes: list[Any], prefix: str = "") -> list[tuple[str, Any]]:
    """(path, route) of each route of the app: FastAPI keeps an included router as one entry
    of `app.routes`, whose own routes are listed here in its place."""
    out: list[tuple[str, Any]] = []
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            out += every_route(included.routes, prefix + route.include_context.prefix)
        else:
            out.append((prefix + route.path, route))
    return out


def concrete(path: str, demo: Demo) -> str:
    """A route's path with its parameters filled in with things that exist."""
    values = {
        "code": "PK",
        "amendment_id": demo.letter,
        "element": "group:pti",
        "version_id": "0" * 64,
    }
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values[m.group(1)], path)


def test_every_route_answers_with_the_security_headers(
    client: TestClient, pakistan: Demo, reader_token: str
) -> None:
    app: Any = client.app
    seen = 0
    for template, route in every_route(app.routes):
        if isinstance(route, Mount):  # static files: one file of each
            folder = Path(route.app.directory)
            name = sorted(p.name for p in folder.iterdir() if p.is_file())[0]
            response = client.get(f"{template}/{name}")
            assert response.status_code == 200, template
            assert_secured(response, template)
            seen += 1
            continue
        assert isinstance(route, APIRoute | Route), route
        for method in sorted((route.methods or set()) - {"HEAD"}):
            path = concrete(template, pakistan)
            # A POST without a body is refused (401, 415 or 422): a refusal carries them too.
            response = client.request(method, path, headers=bearer(reader_token))
            assert response.status_code < 500, (method, path, response.text[-500:])
            assert_secured(response, f"{method} {path}")
            seen += 1
    assert seen >= 25  # every route of the app, a static file of each mount


def test_errors_answer_with_the_security_headers(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert_secured(client.get("/no/such/page"), "404")
    assert_secured(client.delete("/countries"), "405")
    assert_secured(client.get("/countries/PK/policy?on=yesterday"), "422")
    assert_secured(client.get("/countries/XX/chart"), "404 page")

    def broken(*_: Any) -> None:
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(PolicyQueries, "countries", broken)
    failed = TestClient(client.app, raise_server_exceptions=False).get("/countries")
    assert failed.status_code == 500
    assert failed.headers["content-type"] == PROBLEM_JSON
    assert_secured(failed, "500")


def test_the_policy_allows_only_this_origin_and_no_inline_script() -> None:
    policy = dict(d.split(" ", 1) for d in content_security_policy().split("; "))
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["form-action"] == "'self'"
    styles = policy["style-src"].split()
    assert styles[0] == "'self'"
    assert all(re.fullmatch(r"'sha256-[A-Za-z0-9+/]{43}='", s) for s in styles[1:])
    for sources in policy.values():
        assert "unsafe" not in sources
        assert "*" not in sources
        assert "http" not in sources


def preflight(client: TestClient, origin: str) -> Any:
    return client.options(
        "/countries/PK/amendments",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


def test_cors_is_off_by_default(client: TestClient) -> None:
    for origin in (ALLOWED, OTHER):
        answer = preflight(client, origin)
        assert answer.status_code == 405
        assert "access-control-allow-origin" not in answer.headers
        assert_secured(answer, "preflight")
        read = client.get("/countries", headers={"Origin": origin})
        assert read.status_code == 200
        assert "access-control-allow-origin" not in read.headers


def test_cors_allows_the_origins_set(
    make_client: Callable[..., TestClient], pakistan: Demo, editor_token: str
) -> None:
    client = make_client(cors_origins=[ALLOWED.upper()])  # origins are compared in lower case
    answer = preflight(client, ALLOWED)
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in answer.headers["access-control-allow-methods"]
    allowed = answer.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed
    assert "content-type" in allowed
    assert "access-control-allow-credentials" not in answer.headers
    assert_secured(answer, "preflight")

    read = client.get("/countries/PK/policy", headers={"Origin": ALLOWED})
    assert read.status_code == 200
    assert read.headers["access-control-allow-origin"] == ALLOWED
    assert "x-request-id" in read.headers["access-control-expose-headers"].lower()
    refused = client.post(
        "/countries/PK/amendments", json={}, headers={"Origin": ALLOWED, **bearer(editor_token)}
    )
    assert refused.status_code == 422
    assert refused.headers["access-control-allow-origin"] == ALLOWED  # errors are readable

    other = preflight(client, OTHER)
    assert other.status_code == 400
    assert "access-control-allow-origin" not in other.headers
    read = client.get("/countries", headers={"Origin": OTHER})
    assert read.status_code == 200
    assert "access-control-allow-origin" not in read.headers


@pytest.mark.parametrize(
    "origins",
    [["*"], ["https://a.example/"], ["https://a.example/path"], ["a.example"], ["ftp://a.example"]],
)
def test_cors_origins_take_origins_only(
    origins: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLICY_LEDGER_CORS_ORIGINS", str(origins).replace("'", '"'))
    with pytest.raises(ValidationError, match="cors_origins"):
        Settings()


def test_cors_origins_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "POLICY_LEDGER_CORS_ORIGINS", '["https://A.example", "http://b.example:8080"]'
    )
    assert Settings().cors_origins == ["https://a.example", "http://b.example:8080"]
    monkeypatch.delenv("POLICY_LEDGER_CORS_ORIGINS")
    assert Settings().cors_origins == []
