"""Real `policy-ledger` processes for the HTTP suites: a server on a free port, waited for
until /health answers, stopped with SIGTERM (SIGKILL after 20 s) with its workers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

BIN = Path(sys.executable).parent
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(
    env: dict[str, str], cwd: Path, workers: int = 1, args: Sequence[str] = ()
) -> Iterator[httpx.Client]:
    """A `policy-ledger serve` process; its output goes to cwd/server-PORT.log."""
    port = free_port()
    log = (cwd / f"server-{port}.log").open("w")
    process = subprocess.Popen(
        [
            str(BIN / "policy-ledger"),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            *args,
        ],
        env=env,
        cwd=cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the workers stop with it
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            wait_ready(client, process, cwd / f"server-{port}.log")
            client.process = process  # type: ignore[attr-defined]
            client.log = cwd / f"server-{port}.log"  # type: ignore[attr-defined]
            yield client
    finally:
        stop(process)
        log.close()


def wait_ready(client: httpx.Client, process: subprocess.Popen[bytes], log: Path) -> None:
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


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)


def json_lines(log: Path) -> list[dict[str, Any]]:
    """The JSON objects of a log file, one a line (anything else fails the test)."""
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
