"""Request ids, JSON log lines without secrets, and Prometheus metrics (on SQLite: none of
this depends on the store; the several-worker case is in test_server_smoke)."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from api_support import Demo, amendment, bearer
from fastapi.testclient import TestClient

from api.observability import JsonFormatter, mask
from projections.queries import PolicyQueries


@pytest.fixture
def store_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """What the root logger writes through the JSON formatter, parsed line by line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def sample(client: TestClient, name: str, **labels: str) -> float:
    """One sample of /metrics (0 when the series does not exist yet)."""
    text = client.get("/metrics").text
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        series, _, value = line.rpartition(" ")
        metric, _, rest = series.partition("{")
        found = dict(re.findall(r'(\w+)="([^"]*)"', rest))
        if metric == name and found == labels:
            return float(value)
    return 0.0


# Request ids ----------------------------------------------------------------------------


def test_a_sane_request_id_is_echoed(client: TestClient) -> None:
    response = client.get("/countries", headers={"X-Request-ID": "req-42.a:b/c"})
    assert response.headers["x-request-id"] == "req-42.a:b/c"


@pytest.mark.parametrize("given", [None, "", "two words", "x" * 129, "naïve", "a\tb"])
def test_otherwise_a_request_id_is_made(client: TestClient, given: str | None) -> None:
    headers = {} if given is None else {"X-Request-ID": given.encode()}
    first = client.get("/countries", headers=headers).headers["x-request-id"]
    second = client.get("/countries", headers=headers).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{16}", first)
    assert first != second


def test_errors_carry_the_request_id_too(client: TestClient) -> None:
    response = client.get("/countries/XX/policy", headers={"X-Request-ID": "lost-one"})
    assert response.status_code == 404
    assert response.headers["x-request-id"] == "lost-one"


# Logs -----------------------------------------------------------------------------------


def test_log_lines_are_json_with_the_request_and_never_a_token(
    client: TestClient,
    editor_token: str,
    reader_token: str,
    log_lines: Callable[[], list[dict[str, Any]]],
) -> None:
    written = client.post(
        "/countries/PK/amendments",
        json=amendment(),
        headers={**bearer(editor_token), "X-Request-ID": "write-1"},
    )
    assert written.status_code == 201, written.text
    client.get("/countries/PK/policy", params={"on": "2025-02-01"}, headers=bearer(reader_token))
    refused = client.post(
        "/countries/PK/amendments", json=amendment(), headers=bearer("plt_not-a-real-token")
    )
    assert refused.status_code == 401
    # A third party logging a header it should not have: masked all the same.
    logging.getLogger("somebody.else").warning("got Authorization: Bearer %s", editor_token)

    lines = log_lines()
    text = json.dumps(lines)
    for secret in (editor_token, reader_token, "plt_not-a-real-token"):
        assert secret not in text
    assert "Bearer plt" not in text
    access = [line for line in lines if line["logger"] == "policy_ledger.access"]
    assert [(a["method"], a["path"], a["status"]) for a in access] == [
        ("POST", "/countries/PK/amendments", 201),
        ("GET", "/countries/PK/policy", 200),  # the path only, never the query string
        ("POST", "/countries/PK/amendments", 401),
    ]
    assert access[0]["request_id"] == "write-1"
    for line in access:
        assert set(line) == {
            "time",
            "level",
            "logger",
            "message",
            "request_id",
            "method",
            "path",
            "status",
            "duration_ms",
        }
        assert line["duration_ms"] >= 0
        assert line["time"].endswith("+00:00")
    [leak] = [line for line in lines if line["logger"] == "somebody.else"]
    assert "request_id" not in leak  # written outside any request
    assert leak["message"] == "got Authorization: [masked]"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Bearer plt_abc.def", "Bearer [masked]"),
        ("token plt_abc-123 used", "token plt_[masked] used"),
        ('{"authorization": "Basic dXNlcjpwdw=="}', '{"authorization": "[masked]"}'),
        (
            "postgresql://app:s3cr%40t@db:5432/ledger",
            "postgresql://app:[masked]@db:5432/ledger",
        ),
    ],
)
def test_secrets_are_masked_in_any_message(text: str, masked: str) -> None:
    assert mask(text) == masked


# Metrics --------------------------------------------------------------------------------

REQUESTS = "policy_ledger_http_request_duration_seconds_count"


def test_requests_are_counted_by_route_template(client: TestClient, pakistan: Demo) -> None:
    route = "/countries/{code}/policy"
    before = sample(client, REQUESTS, method="GET", route=route, status="200")
    for day in ("2025-01-01", "2025-02-01", "2025-03-01"):
        assert client.get("/countries/PK/policy", params={"on": day}).status_code == 200
    client.get("/countries/AF/policy")  # no policy recorded: 404, same template
    client.get("/no/such/path")

    after = sample(client, REQUESTS, method="GET", route=route, status="200")
    assert after - before == 3
    assert sample(client, REQUESTS, method="GET", route=route, status="404") >= 1
    assert sample(client, REQUESTS, method="GET", route="unmatched", status="404") >= 1
    text = client.get("/metrics").text
    assert "/countries/PK/policy" not in text  # never the raw path
    assert "no/such/path" not in text


def test_amendments_and_audited_decisions_are_counted(
    client: TestClient, editor_token: str
) -> None:
    # An audit needs a token (any role) by default.
    recorded = "policy_ledger_amendments_recorded_total"
    audited = "policy_ledger_decisions_audited_total"
    before = sample(client, recorded, kind="amendment")
    reply = client.post("/countries/PK/amendments", json=amendment(), headers=bearer(editor_token))
    assert reply.status_code == 201
    assert sample(client, recorded, kind="amendment") - before == 1

    before_ok = sample(client, audited, outcome="audited")
    before_bad = sample(client, audited, outcome="rejected")
    decisions = [
        {"id": "a", "country": "PK", "decided_on": "2025-02-01"},
        {"id": "b", "country": "PK", "decided_on": "2025-03-01"},
        {"id": "c", "country": "PK", "decided_on": "not a date"},
    ]
    audit = client.post("/audits", json={"decisions": decisions}, headers=bearer(editor_token))
    assert audit.status_code == 200
    assert sample(client, audited, outcome="audited") - before_ok == 2
    assert sample(client, audited, outcome="rejected") - before_bad == 1


def test_projection_lag_is_measured_when_scraped(client: TestClient, pakistan: Demo) -> None:
    # The demo was recorded by another ledger: nothing has projected it yet.
    events = pakistan.version  # one country: its version is its number of events
    assert sample(client, "policy_ledger_projection_lag_events") == events
    assert sample(client, "policy_ledger_log_head") == events
    assert sample(client, "policy_ledger_store_up") == 1
    client.get("/countries")  # a read catches up
    assert sample(client, "policy_ledger_projection_lag_events") == 0
    assert sample(client, "policy_ledger_projection_position") == events


def test_server_errors_are_counted_and_carry_the_request_id(
    make_client: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client()

    def broken(*_: Any) -> None:
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(PolicyQueries, "countries", broken)
    quiet = TestClient(client.app, raise_server_exceptions=False)
    before = sample(client, REQUESTS, method="GET", route="/countries", status="500")
    response = quiet.get("/countries", headers={"X-Request-ID": "fire"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "fire"
    assert sample(client, REQUESTS, method="GET", route="/countries", status="500") - before == 1


def test_metrics_need_a_token_when_reads_do(
    make_client: Callable[..., TestClient], reader_token: str
) -> None:
    guarded = make_client(read_requires_token=True)
    assert guarded.get("/metrics").status_code == 401
    answer = guarded.get("/metrics", headers=bearer(reader_token))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
