"""Fixtures for the HTTP API suites: a real app on a real store (SQLite file or PostgreSQL
schema, see tests/conftest.py), bearer tokens written the way `policy-ledger token create`
writes them, and the Pakistan demo loaded through the API or through a second `Services` wiring
on the same store (as the CLI's `load` would, from another process).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from api_support import (
    AUDITOR,
    EDITOR,
    OTHER_EDITOR,
    PAKISTAN,
    READER,
    Demo,
    load_demo_via_api,
    load_demo_via_ledger,
    new_token,
)
from fastapi.testclient import TestClient
from servers import BIN

from api.app import create_app
from api.bootstrap import Services
from api.security import Role
from api.settings import Settings


@pytest.fixture
def tokens_file(tmp_path: Path) -> Path:
    """Where a tokens file of an earlier version would be (none unless a test writes one)."""
    return tmp_path / "tokens.json"


@pytest.fixture
def tokens_ledger(open_ledger: Callable[..., Services]) -> Services:
    """A wiring of the test's store to create tokens with, as `policy-ledger token create`
    would from a process of its own."""
    return open_ledger()


@pytest.fixture
def editor_token(tokens_ledger: Services) -> str:
    return new_token(tokens_ledger, EDITOR, Role.EDITOR)


@pytest.fixture
def other_editor_token(tokens_ledger: Services) -> str:
    return new_token(tokens_ledger, OTHER_EDITOR, Role.EDITOR)


@pytest.fixture
def reader_token(tokens_ledger: Services) -> str:
    return new_token(tokens_ledger, READER, Role.READER)


@pytest.fixture
def auditor_token(tokens_ledger: Services) -> str:
    return new_token(tokens_ledger, AUDITOR, Role.AUDITOR)


@pytest.fixture
def make_client(store_url: str, tokens_file: Path) -> Iterator[Callable[..., TestClient]]:
    """Starts an app (lifespan included) on the test's store; several may share the store,
    as several server processes would. Extra keyword arguments are settings."""
    with ExitStack() as stack:

        def make(**settings: Any) -> TestClient:
            app = create_app(Settings(database_url=store_url, tokens_file=tokens_file, **settings))
            return stack.enter_context(TestClient(app))

        yield make


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


@pytest.fixture(params=["ledger", "api"])
def demo(
    request: pytest.FixtureRequest,
    client: TestClient,
    editor_token: str,
    open_ledger: Callable[..., Services],
) -> Demo:
    """The Pakistan demo, recorded after the app started: through a `Services` wiring of its own
    on the same store (another process, like `policy-ledger load`), or through the API."""
    if request.param == "ledger":
        return load_demo_via_ledger(open_ledger(), PAKISTAN)
    return load_demo_via_api(client, editor_token, PAKISTAN)


@pytest.fixture
def pakistan(client: TestClient, open_ledger: Callable[..., Services]) -> Demo:
    """The Pakistan demo recorded by another `Services` wiring on the store (one way only: for the
    tests of error paths, where how it was recorded does not matter)."""
    return load_demo_via_ledger(open_ledger(), PAKISTAN)


@pytest.fixture
def server_env(store_url: str, tmp_path: Path) -> dict[str, str]:
    """The environment of a real server or CLI process on the test's store."""
    return {
        **os.environ,
        "POLICY_LEDGER_DATABASE_URL": store_url,
        "POLICY_LEDGER_TOKENS_FILE": str(tmp_path / "tokens.json"),
    }


@pytest.fixture
def run_cli(server_env: dict[str, str], tmp_path: Path) -> Callable[..., str]:
    """Runs `policy-ledger ARGS` in a process of its own; its stdout (exit status 0)."""

    def run(*args: str) -> str:
        result = subprocess.run(
            [str(BIN / "policy-ledger"), *args],
            env=server_env,
            cwd=tmp_path,  # no stray .env is read
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    return run
