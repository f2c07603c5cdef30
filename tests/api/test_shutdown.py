"""SIGTERM to a real `policy-ledger serve`: it stops accepting connections at once, lets a
request in flight finish, then exits (uvicorn's graceful shutdown, bounded by
POLICY_LEDGER_SHUTDOWN_TIMEOUT). The request in flight is an audit whose body the client is
still uploading when the signal arrives: a slow client, nothing slow put in the server."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_support import PAKISTAN
from servers import json_lines, serving
from typer.testing import CliRunner

from api.cli import cli


@pytest.fixture
def store_url(sqlite_url: str) -> str:
    return sqlite_url


def test_a_request_in_flight_finishes_after_sigterm(
    server_env: dict[str, str], run_cli: Callable[..., str], tmp_path: Path
) -> None:
    run_cli("load", str(PAKISTAN), "--author", "loader")
    token = run_cli("token", "create", "--role", "reader", "--subject", "slow").split()[-1]
    decisions = [
        {"id": f"d{i}", "country": "PK", "decided_on": f"2025-01-{1 + i % 28:02d}"}
        for i in range(200)
    ]
    body = json.dumps({"decisions": decisions}).encode()
    half = len(body) // 2
    sent_half, go_on = threading.Event(), threading.Event()

    def slow_body() -> Iterator[bytes]:
        yield body[:half]
        sent_half.set()
        go_on.wait(30)
        time.sleep(0.3)
        yield body[half:]

    with serving(server_env, tmp_path) as http, ThreadPoolExecutor(1) as pool:
        process: Any = http.process  # type: ignore[attr-defined]
        reply = pool.submit(
            http.post,
            "/audits",
            content=slow_body(),
            headers={
                "content-type": "application/json",
                "x-request-id": "in-flight",
                "authorization": f"Bearer {token}",
            },
        )
        try:
            assert sent_half.wait(30)
            time.sleep(0.3)  # the server has the request's head and half its body
            os.killpg(process.pid, signal.SIGTERM)
            _assert_draining(http, process)
        finally:
            go_on.set()
        answer = reply.result(timeout=30)
        assert answer.status_code == 200, answer.text
        assert answer.json()["summary"]["audited"] == 200
        # uvicorn re-raises the signal once it has shut down cleanly (systemd and docker
        # count an exit by SIGTERM as clean); the log says it finished.
        assert process.wait(timeout=20) in (0, -signal.SIGTERM)

    lines = json_lines(tmp_path / next(p.name for p in tmp_path.glob("server-*.log")))
    [done] = [line for line in lines if line.get("request_id") == "in-flight"]
    assert (done["path"], done["status"]) == ("/audits", 200)
    messages = [line["message"] for line in lines]
    assert messages.index("Shutting down") < lines.index(done)
    assert messages.index("Application shutdown complete.") > lines.index(done)
    assert any(m.startswith("Finished server process") for m in messages)


def _assert_draining(http: httpx.Client, process: Any) -> None:
    log: Path = http.log  # type: ignore[attr-defined]
    deadline = time.monotonic() + 20
    while not any(line["message"] == "Shutting down" for line in json_lines(log)):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    with pytest.raises(httpx.TransportError):  # no new connections
        httpx.get(str(http.base_url.join("/health")), timeout=2)
    assert process.poll() is None  # still there for the request in flight


def test_serve_configures_the_shutdown_timeout_and_the_logs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(options))
    env = {"POLICY_LEDGER_SHUTDOWN_TIMEOUT": "12", "POLICY_LEDGER_LOG_FORMAT": "text"}
    result = CliRunner().invoke(cli, ["serve", "--workers", "1"], env=env)
    assert result.exit_code == 0, result.output
    assert seen["timeout_graceful_shutdown"] == 12
    assert seen["access_log"] is False
    assert seen["log_config"]["formatters"]["default"]["()"].endswith("TextFormatter")
