"""GET /health is a readiness check: 503 while the read model lags the log by more than
POLICY_LEDGER_READY_MAX_LAG events (catching up in the background), 200 otherwise."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from api_support import PAKISTAN, load_demo_via_ledger
from fastapi.testclient import TestClient

from api.bootstrap import Services


@pytest.fixture
def store_url(sqlite_url: str) -> str:
    return sqlite_url


def test_a_small_lag_is_caught_up_and_ready(
    make_client: Callable[..., TestClient], open_ledger: Callable[..., Services]
) -> None:
    client = make_client(ready_max_lag=10)
    demo = load_demo_via_ledger(open_ledger(), PAKISTAN)  # 4 events another process wrote
    body = client.get("/health").json()
    assert (body["status"], body["lag"]) == ("ok", 0)
    assert body["projection_position"] == body["log_head"] == demo.version


def test_a_large_lag_is_not_ready_until_caught_up_in_the_background(
    make_client: Callable[..., TestClient], open_ledger: Callable[..., Services]
) -> None:
    client = make_client(ready_max_lag=2)
    load_demo_via_ledger(open_ledger(), PAKISTAN)  # 4 events behind: more than 2

    refused = client.get("/health")
    assert refused.status_code == 503
    assert refused.headers["content-type"] == "application/problem+json"
    assert "4 events behind" in refused.json()["detail"]

    deadline = time.monotonic() + 20
    while (answer := client.get("/health")).status_code != 200:
        assert time.monotonic() < deadline, answer.text
        time.sleep(0.05)
    assert answer.json()["lag"] == 0


def test_zero_tolerance_is_ready_only_when_caught_up(
    make_client: Callable[..., TestClient], open_ledger: Callable[..., Services]
) -> None:
    client = make_client(ready_max_lag=0)
    assert client.get("/health").status_code == 200
    load_demo_via_ledger(open_ledger(), PAKISTAN)
    assert client.get("/health").status_code == 503
    client.get("/countries")  # a read catches up as always
    assert client.get("/health").json()["lag"] == 0
