"""Stores for the behavioural suites: a real SQLite file and a real PostgreSQL schema.

PostgreSQL is found at POLICY_LEDGER_TEST_POSTGRES (default postgresql://postgres@127.0.0.1:5432/test).
Each test gets a schema of its own, dropped afterwards. Where no server answers the
PostgreSQL cases skip with the reason, unless POLICY_LEDGER_REQUIRE_POSTGRES=1 (CI), where
they fail.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from api.bootstrap import Services, build_services
from api.settings import Settings

POSTGRES = os.environ.get(
    "POLICY_LEDGER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("POLICY_LEDGER_REQUIRE_POSTGRES") == "1"
ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("events", "domain", "projections", "api")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compiled modules (setup.py) shadow their sources: testing an old build of edited code
    would test the wrong thing, so a stale build stops the run."""
    stale = [str(so.relative_to(ROOT)) for so in compiled_files() if is_stale(so)]
    if stale:
        pytest.exit(
            f"compiled modules older than their sources: {', '.join(stale)}; rebuild them "
            "(./dev test does) or delete them to test the plain Python",
            returncode=2,
        )


def compiled_files() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).glob("*.so"))


def is_stale(compiled: Path) -> bool:
    source = compiled.with_name(compiled.name.split(".")[0].removesuffix("__mypyc") + ".py")
    return not source.exists() or source.stat().st_mtime > compiled.stat().st_mtime


class Clock:
    """A clock the test sets: it reads the moment last set."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def set(self, moment: dt.datetime) -> None:
        self.now = moment

    def __call__(self) -> dt.datetime:
        return self.now


def _postgres_reachable() -> str | None:
    try:
        with psycopg.connect(POSTGRES, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return f"PostgreSQL not reachable at {POSTGRES}: {error}".strip()


@pytest.fixture(scope="session")
def postgres_available() -> None:
    reason = _postgres_reachable()
    if reason is None:
        return
    if REQUIRE_POSTGRES:
        pytest.fail(f"{reason} (required: POLICY_LEDGER_REQUIRE_POSTGRES=1)")
    pytest.skip(reason)


@contextmanager
def _postgres_schema() -> Iterator[str]:
    schema = f"pl_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{POSTGRES}?schema={schema}"
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    request.getfixturevalue("postgres_available")
    with _postgres_schema() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.sqlite'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest) -> str:
    """The same test, once on each store."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def other_store_url(store_url: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty store of the same kind as the test's store (e.g. an import's target)."""
    if store_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'other' / 'ledger.sqlite'}"
        return
    with _postgres_schema() as url:
        yield url


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2025, 1, 1, 9, 0, tzinfo=dt.UTC))


@pytest.fixture
def open_ledger(store_url: str) -> Iterator[Callable[..., Services]]:
    """Opens ledgers on the test's store (several may share it, as processes would)."""
    opened: list[Services] = []

    def open_(clock: Callable[[], dt.datetime] | None = None) -> Services:
        settings = Settings(database_url=store_url)
        ledger = build_services(settings, clock=clock) if clock else build_services(settings)
        opened.append(ledger)
        return ledger

    yield open_
    for ledger in opened:
        ledger.close()


@pytest.fixture
def ledger(open_ledger: Callable[..., Services], clock: Clock) -> Services:
    return open_ledger(clock)


# Figures of the fault and load tests ------------------------------------------------------

FIGURES = "figures"


@pytest.fixture
def figures(
    record_property: Callable[[str, object], None],
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[..., dict[str, Any]]:
    """Records a test's figures (e.g. writes attempted, committed, 409s): printed in the
    terminal summary as JSON lines (under xdist too) and appended to fault-figures.jsonl
    in the session's temporary directory."""

    def record(**values: Any) -> dict[str, Any]:
        base = tmp_path_factory.getbasetemp()
        if os.environ.get("PYTEST_XDIST_WORKER"):
            base = base.parent  # the session's directory, shared by the workers
        path = base / "fault-figures.jsonl"
        line = {"test": request.node.nodeid, **values, "file": str(path)}
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")
        record_property(FIGURES, line)
        return line

    return record


def pytest_terminal_summary(terminalreporter: Any) -> None:
    lines = [
        value
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for key, value in getattr(report, "user_properties", ())
        if key == FIGURES
    ]
    if lines:
        terminalreporter.section("fault and load figures")
        for line in sorted(lines, key=lambda v: v["test"]):
            terminalreporter.write_line(json.dumps(line, ensure_ascii=False))
