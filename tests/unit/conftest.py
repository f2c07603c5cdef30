"""Fixtures for the domain unit tests: PolicyLedgers on real SQLite files, with a set clock."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from pathlib import Path

import pytest

from domain.application import PolicyLedger


class Clock:
    """A clock the test sets: it reads the moment last set."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def set(self, moment: dt.datetime) -> None:
        self.now = moment

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2025, 1, 1, 9, 0, tzinfo=dt.UTC))


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[[Clock], PolicyLedger]:
    """Opens a ledger on a new SQLite file in tmp_path each time it is called."""
    numbers = itertools.count(1)

    def make(clock: Clock) -> PolicyLedger:
        path = tmp_path / f"ledger-{next(numbers)}.sqlite"
        env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
        return PolicyLedger(env=env, clock=clock)

    return make


@pytest.fixture
def app(make_app: Callable[[Clock], PolicyLedger], clock: Clock) -> PolicyLedger:
    return make_app(clock)
