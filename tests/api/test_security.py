"""Security of the write endpoints, on SQLite and PostgreSQL.

- Every write endpoint refuses a missing, malformed or wrong token with 401 and a reader's
  or auditor's token with 403, as problem+json, storing nothing.
- A token never appears in an error body, nor in the logs: the app's and uvicorn's in a
  real `policy-ledger serve`, whichever field of the request carried it (path, query
  string, headers, request id), and every logger's in process (an internal error included).
- SQL-like and path-like text in path parameters, query parameters and bodies is inert:
  a 4xx problem or a correct answer (text stored reads back byte for byte), and the store
  is intact afterwards (its tables answer, the read model equals a rebuild).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from api_support import (
    PROBLEM_JSON,
    Demo,
    amendment,
    assert_problem,
    bearer,
    load_demo_via_ledger,
    new_token,
    snapshot,
)
from fastapi.testclient import TestClient
from integration.store_sql import count_events
from integration.worked_history import read_model, rebuild
from test_server_smoke import serving

from api.bootstrap import Services
from api.security import Role

WRITES = ["amendments", "in-force", "retraction"]


def _write(demo: Demo, kind: str) -> tuple[str, dict[str, Any]]:
    return {
        "amendments": ("/countries/PK/amendments", amendment(expected_version=demo.version)),
        "in-force": (
            f"/countries/PK/amendments/{demo.decree}/in-force",
            {"in_force_from": "2025-01-01", "expected_version": demo.version},
        ),
        "retraction": (
            f"/countries/PK/amendments/{demo.decree}/retraction",
            {"reason": "entered in error", "expected_version": demo.version},
        ),
    }[kind]


def _refusals(editor: str) -> list[tuple[str, bytes | None, int]]:
    """(case, Authorization header, status): every way a write must be refused."""
    return [
        ("no header", None, 401),
        ("empty header", b"", 401),
        ("scheme only", b"Bearer", 401),
        ("blank token", b"Bearer    ", 401),
        ("basic credentials", b"Basic YWxpY2U6c2VjcmV0", 401),
        ("editor token under another scheme", f"Token {editor}".encode(), 401),
        ("editor token without a scheme", editor.encode(), 401),
        ("editor token twice", f"Bearer {editor} {editor}".encode(), 401),
        ("editor token one character short", f"Bearer {editor[:-1]}".encode(), 401),
        ("editor token one character more", f"Bearer {editor}x".encode(), 401),
        ("the stored hash of the editor token", f"Bearer {_digest(editor)}".encode(), 401),
        ("a well-formed unknown token", b"Bearer plt_" + b"A" * 43, 401),
        ("a huge token", b"Bearer " + b"x" * 20_000, 401),
        ("bytes that are not ASCII", b"Bearer \xff\xfe\x80", 401),
        ("SQL as a token", b"Bearer ' OR '1'='1", 401),
    ]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def test_every_write_endpoint_refuses_missing_malformed_wrong_and_read_only_tokens(
    client: TestClient,
    pakistan: Demo,
    editor_token: str,
    reader_token: str,
    auditor_token: str,
    figures: Callable[..., Any],
) -> None:
    cases = [
        *_refusals(editor_token),
        ("reader token", f"Bearer {reader_token}".encode(), 403),
        ("auditor token", f"Bearer {auditor_token}".encode(), 403),
    ]
    secrets = [editor_token, reader_token, auditor_token, _digest(editor_token)]
    before = snapshot(client)
    tried = 0
    for kind in WRITES:
        path, body = _write(pakistan, kind)
        for case, authorization, status in cases:
            headers: dict[str, Any] = {"Content-Type": "application/json"}
            if authorization is not None:
                headers["Authorization"] = authorization
            response = client.post(path, json=body, headers=headers)
            tried += 1
            problem = assert_problem(response, status)
            where = f"{kind}, {case}"
            if status == 401:
                assert response.headers["www-authenticate"] == "Bearer", where
            else:
                assert problem["title"] == "Forbidden", where
            assert not any(s in response.text for s in secrets), f"{where}: a token in the body"
    assert snapshot(client) == before, "a refused write stored something"
    # The editor's own token, sent properly, still writes: the refusals were about the token.
    path, body = _write(pakistan, "amendments")
    assert client.post(path, json=body, headers=bearer(editor_token)).status_code == 201
    figures(refused_write_requests=tried)


# Tokens never logged ----------------------------------------------------------------------


def test_tokens_never_appear_in_the_logs_of_a_served_api(
    store_url: str, tmp_path: Path, open_ledger: Callable[..., Services]
) -> None:
    ledger = open_ledger()
    editor = new_token(ledger, "alice", Role.EDITOR)
    reader = new_token(ledger, "rita", Role.READER)
    demo = load_demo_via_ledger(ledger)
    env = {**os.environ, "POLICY_LEDGER_DATABASE_URL": store_url}
    wrong = "plt_" + "W" * 43
    with serving(env, tmp_path) as http:
        log_file = next(tmp_path.glob("server-*.log"))
        path, body = _write(demo, "amendments")
        assert http.post(path, json=body, headers=bearer(editor)).status_code == 201
        for token, status in [(reader, 403), (wrong, 401), (editor[:-1], 401)]:
            response = http.post(path, json=body, headers=bearer(token))
            assert response.status_code == status
            assert response.headers["content-type"] == PROBLEM_JSON
            assert token not in response.text
        # A body the API refuses, sent with a valid token.
        answer = http.post(path, json={**body, "title": 5}, headers=bearer(editor))
        assert answer.status_code in (409, 422)
        assert editor not in answer.text
        http.get("/countries/PK/policy", params={"on": "2025-01-01"}, headers=bearer(reader))
        http.get("/health")
    log = log_file.read_text()
    assert "POST /countries/PK/amendments" in log  # the log was captured
    assert " 401" in log
    assert " 403" in log
    for token in (editor, reader, wrong, editor[:-1], _digest(editor), _digest(reader)):
        assert token not in log, "a token (or its hash) was logged"


TOKEN_PLACES = ("path", "page", "unmatched", "query", "header", "cookie", "request_id", "traced")


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_a_token_in_any_field_of_a_request_never_reaches_the_logs(
    store_url: str, tmp_path: Path, open_ledger: Callable[..., Services], log_format: str
) -> None:
    """Tokens (valid ones: the worst case) in the path, the query string, headers, the
    request id; everything the server process writes, at debug level, is scanned."""
    ledger = open_ledger()
    placed = {place: new_token(ledger, place, Role.EDITOR) for place in TOKEN_PLACES}
    editor = new_token(ledger, "alice", Role.EDITOR)
    env = {
        **os.environ,
        "POLICY_LEDGER_DATABASE_URL": store_url,
        "POLICY_LEDGER_LOG_LEVEL": "debug",
        "POLICY_LEDGER_LOG_FORMAT": log_format,
    }
    with serving(env, tmp_path) as http:
        log_file = next(tmp_path.glob("server-*.log"))
        answers = [
            http.get(f"/countries/{placed['path']}/policy"),
            http.get(f"/countries/{placed['page']}"),
            http.get(f"/{placed['unmatched']}/x"),
            http.get("/countries/PK/policy", params={"on": placed["query"]}),
            http.get(
                "/countries",
                headers={"X-Api-Key": placed["header"], "Cookie": f"session={placed['cookie']}"},
            ),
            http.get("/health", headers={"X-Request-ID": placed["request_id"]}),
            http.get("/health", headers={"X-Request-ID": f"trace{placed['traced']}"}),
            http.post("/countries/PK/amendments", json={}, headers=bearer(editor)),
            http.post("/countries/PK/amendments", json={}, headers=bearer(editor[:-1])),
        ]
        for answer in answers:
            assert answer.status_code < 500, answer.text
            assert not any(t in answer.headers.get("x-request-id", "") for t in placed.values())
    log = log_file.read_text()
    assert log.count("/health") >= 2  # the requests were logged, at debug level
    assert "plt_[masked]" in log  # the paths among them, masked
    for token in (*placed.values(), editor, editor[:-1]):
        assert token not in log, "a token was logged"
        assert _digest(token) not in log, "a token's hash was logged"


def test_tokens_never_appear_in_any_log_record_even_for_an_internal_error(
    client: TestClient,
    pakistan: Demo,
    editor_token: str,
    reader_token: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ledger: Services = client.app.state.ledger  # type: ignore[attr-defined]

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the store went away")

    caplog.set_level(logging.DEBUG)
    path, body = _write(pakistan, "amendments")
    client.post(path, json=body, headers=bearer(reader_token))
    client.post(path, json=body, headers=bearer("plt_wrong"))
    monkeypatch.setattr(ledger.app, "record_amendment", failing)
    # The same app (its lifespan already ran), answering a 500 instead of raising it here.
    failed = TestClient(client.app, raise_server_exceptions=False).post(
        path, json=body, headers=bearer(editor_token)
    )
    assert failed.status_code == 500
    assert failed.headers["content-type"] == PROBLEM_JSON
    assert "store went away" not in failed.text  # logged, not told
    assert "the store went away" in caplog.text  # the error itself is logged
    for token in (editor_token, reader_token, "plt_wrong"):
        assert token not in caplog.text
        assert token not in failed.text


# SQL-like and path-like input ----------------------------------------------------------

INERT = [
    "'; DROP TABLE stored_events; --",
    "PK'; DROP TABLE policy_segments; --",
    "' OR '1'='1",
    '"; DELETE FROM tracking; --',
    "../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "%2e%2e%2f",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "..%252f..%252f",
    "/etc/passwd",
    "PK/../NL",
    "\x00",
]


def _store_intact(ledger: Services, events: int) -> None:
    assert count_events(ledger) == events
    assert read_model(ledger) == rebuild(ledger)


@pytest.mark.parametrize("text", INERT)
def test_sql_and_path_like_input_is_inert(
    client: TestClient,
    pakistan: Demo,
    editor_token: str,
    open_ledger: Callable[..., Services],
    text: str,
) -> None:
    ledger = open_ledger()
    events = count_events(ledger)
    segment = quote(text, safe="")
    reads = [
        f"/countries/{segment}/policy",
        f"/countries/{segment}/timeline",
        f"/countries/PK/versions/{segment}",
        f"/countries/PK/history/{segment}",
        f"/countries/{segment}/diff?from=2025-01-01&to=2025-02-01",
    ]
    for url in reads:
        # Not followed: TestClient decodes a path twice, so `%252f` may come back as a
        # redirect to a page (inert, but not the JSON this loop checks).
        response = client.get(url, follow_redirects=False)
        assert response.status_code < 500, url
        if 300 <= response.status_code < 400:
            continue
        if response.status_code >= 400:
            assert_problem(response, response.status_code)
        elif "/history/" in url:  # an element that cannot exist has no history
            assert response.json()["intervals"] == []
    for name in ("on", "known_at"):
        assert_problem(client.get("/countries/PK/policy", params={name: text}), 422)
    assert_problem(client.get("/countries/PK/diff", params={"from": text, "to": "2025-01-01"}), 422)
    headers = bearer(editor_token)
    for url in (
        f"/countries/{segment}/amendments",
        f"/countries/PK/amendments/{segment}/in-force",
        f"/countries/PK/amendments/{segment}/retraction",
    ):
        body = {
            **amendment(expected_version=pakistan.version),
            "in_force_from": "2025-01-01",
            "reason": "x",
        }
        if "/in-force" in url:
            body = {"in_force_from": "2025-01-01", "expected_version": pakistan.version}
        elif "/retraction" in url:
            body = {"reason": "x", "expected_version": pakistan.version}
        response = client.post(url, json=body, headers=headers)
        assert 400 <= response.status_code < 500, url
        assert_problem(response, response.status_code)
    _store_intact(ledger, events)

    # In a body, the same text is data: stored and read back byte for byte.
    sent = amendment(
        expected_version=pakistan.version,
        title=f"t {text}",
        rationale=text,
        sources=[{"kind": "other", "reference": f"r {text}", "date": "2025-01-10"}],
        changes=[{"type": "note", "topic": "inert", "text": f"n {text}"}],
    )
    recorded = client.post("/countries/PK/amendments", json=sent, headers=headers)
    assert recorded.status_code == 201, recorded.text
    amendment_id = recorded.json()["amendment_id"]
    retraction = {"reason": text, "expected_version": recorded.json()["version"]}
    retracted = client.post(
        f"/countries/PK/amendments/{amendment_id}/retraction", json=retraction, headers=headers
    )
    assert retracted.status_code == 201, retracted.text
    [entry] = [
        a
        for a in client.get("/countries/PK/timeline").json()["amendments"]
        if a["id"] == amendment_id
    ]
    assert (entry["title"], entry["rationale"], entry["retraction_reason"]) == (
        f"t {text}",
        text,
        text,
    )
    assert entry["sources"][0]["reference"] == f"r {text}"
    assert entry["changes"][0]["text"] == f"n {text}"
    audit = client.post(
        "/audits",
        json={"decisions": [{"id": text, "country": "PK", "decided_on": "2025-01-10"}]},
        headers=headers,
    )
    assert audit.status_code == 200
    assert audit.json()["results"][0]["id"] == text
    _store_intact(ledger, events + 2)


def test_a_path_like_code_is_not_a_file_read(client: TestClient, pakistan: Demo) -> None:
    """Raw (unencoded) traversal in the URL reaches no file and no other route."""
    for raw in ("/countries/../../etc/passwd", "/countries/%2e%2e/%2e%2e/etc/passwd"):
        response = client.get(raw)
        assert response.status_code in (404, 405, 422), raw
        assert "root:" not in response.text
    request = client.build_request("GET", "/countries/PK/policy")
    request.url = request.url.copy_with(raw_path=b"/countries/..%2F..%2Fetc%2Fpasswd/policy")
    response = client.send(request)
    assert response.status_code == 404
    assert "root:" not in response.text
