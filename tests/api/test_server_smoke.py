"""A real `policy-ledger serve` process over real HTTP (uvicorn), on SQLite and PostgreSQL:
a token made by `policy-ledger token create`, an amendment POSTed and read back, the CLI's
`load` from a third process seen at once, and several workers answering alike.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from api_support import PAKISTAN, SEVEN, amendment, bearer, group_ids

BIN = Path(sys.executable).parent
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def env(store_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "POLICY_LEDGER_DATABASE_URL": store_url,
        "POLICY_LEDGER_TOKENS_FILE": str(tmp_path / "tokens.json"),
    }


@pytest.fixture
def cli(env: dict[str, str], tmp_path: Path) -> Callable[..., str]:
    def run(*args: str) -> str:
        result = subprocess.run(
            [str(BIN / "policy-ledger"), *args],
            env=env,
            cwd=tmp_path,  # no stray .env is read
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    return run


@contextmanager
def serving(env: dict[str, str], cwd: Path, workers: int = 1) -> Iterator[httpx.Client]:
    port = free_port()
    log = (cwd / f"server-{port}.log").open("w")
    process = subprocess.Popen(
        [str(BIN / "policy-ledger"), "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        cwd=cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the workers stop with it
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            _wait_ready(client, process, cwd / f"server-{port}.log")
            yield client
    finally:
        _stop(process)
        log.close()


def _wait_ready(client: httpx.Client, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if client.get("/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"the server was not ready within {STARTUP_SECONDS}s:\n{log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)


def test_serve_record_and_read_back(
    env: dict[str, str], cli: Callable[..., str], tmp_path: Path
) -> None:
    output = cli("token", "create", "--role", "editor", "--subject", "smoke")
    token = output.strip().splitlines()[-1]
    assert token.startswith("plt_")
    assert token not in (tmp_path / "tokens.json").read_text()  # only its hash is stored

    with serving(env, tmp_path) as http:
        assert http.get("/health").json()["status"] == "ok"
        assert http.get("/countries").json() == []
        refused = http.post("/countries/PK/amendments", json=amendment())
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"

        reply = http.post("/countries/PK/amendments", json=amendment(), headers=bearer(token))
        assert reply.status_code == 201, reply.text
        recorded = reply.json()
        assert recorded["version"] == 2

        answer = http.get("/countries/PK/policy", params={"on": "2025-01-10"}).json()
        assert group_ids(answer) == {"sikhs"}
        [row] = http.get("/countries/PK/timeline").json()["amendments"]
        assert (row["id"], row["author"]) == (recorded["amendment_id"], "smoke")
        assert http.get("/openapi.json").json()["info"]["title"] == "Policy Ledger"
        assert http.get("/docs").status_code == 200

        # `policy-ledger load` from another process: the server sees it at once.
        cli("load", str(PAKISTAN), "--author", "loader")
        [country] = http.get("/countries").json()
        assert (country["version"], country["amendments"]) == (5, 4)
        answer = http.get("/countries/PK/policy", params={"on": "2025-01-10"}).json()
        assert group_ids(answer) == {*SEVEN, "sikhs"}
        known = {"on": "2025-01-10", "known_at": "2100-01-01T00:00:00Z"}
        answer = http.get("/countries/PK/policy", params=known).json()
        assert group_ids(answer) == {*SEVEN, "sikhs"}


def test_several_workers_answer_alike(
    env: dict[str, str], cli: Callable[..., str], tmp_path: Path
) -> None:
    token = cli("token", "create", "--role", "editor", "--subject", "smoke").strip().split()[-1]
    with serving(env, tmp_path, workers=2) as http:
        version: int | None = None
        for i in range(6):
            body = amendment(changes=[{"type": "note", "topic": f"n{i}", "text": "A note."}])
            if version is not None:
                body["expected_version"] = version
            reply = http.post("/countries/PK/amendments", json=body, headers=bearer(token))
            assert reply.status_code == 201, reply.text
            version = reply.json()["version"]
            # Read-your-writes, whichever worker answers (new connections spread the load).
            for _ in range(4):
                with httpx.Client(base_url=http.base_url, timeout=30) as fresh:
                    answer = fresh.get("/countries/PK/policy", params={"on": "2025-01-10"})
                    topics = {n["topic"] for n in answer.json()["notes"]}
                    assert topics == {f"n{k}" for k in range(i + 1)}
                    assert fresh.get("/countries").json()[0]["version"] == version
