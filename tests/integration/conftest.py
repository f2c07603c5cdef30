"""Fixtures shared by the CLI suites: a shell on the test's store, and one with the demo."""

from __future__ import annotations

from pathlib import Path

import pytest

from integration.test_cli import DEMO, Shell


@pytest.fixture
def shell(store_url: str, tmp_path: Path) -> Shell:
    return Shell(store_url, tmp_path)


@pytest.fixture
def loaded(shell: Shell) -> Shell:
    shell.ok("init")
    shell.ok("load", str(DEMO), "--author", "tester")
    return shell
