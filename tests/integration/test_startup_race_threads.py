"""Processes that open one PostgreSQL store at the same moment (the workers of one server
starting together) all start: creating the tables takes turns.

Without that, the library's CREATE OR REPLACE FUNCTION failed in one of them with
"tuple concurrently updated", on a fresh schema and on one with every table in place."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from api.bootstrap import Services, build_services
from api.settings import Settings

pytestmark = pytest.mark.postgres
OPENERS = 6


def open_together(url: str) -> list[Any]:
    """Opens OPENERS ledgers at once; what each open gave (a `Services` or the error)."""
    start = threading.Barrier(OPENERS)
    results: list[Any] = [None] * OPENERS

    def open_(i: int) -> None:
        start.wait()
        try:
            results[i] = build_services(Settings(database_url=url, pool_size=1))
        except Exception as error:
            results[i] = error

    threads = [threading.Thread(target=open_, args=(i,)) for i in range(OPENERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for result in results:
        if isinstance(result, Services):
            result.close()
    return results


@pytest.mark.parametrize("rounds", [3])
def test_ledgers_opened_at_once_all_open(postgres_url: str, rounds: int) -> None:
    for _ in range(rounds):  # the first round on a fresh schema, the others on its tables
        failed = [r for r in open_together(postgres_url) if not isinstance(r, Services)]
        assert failed == []
