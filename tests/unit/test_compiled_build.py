"""The build ./dev installs: the audit's hot path compiled with mypyc (setup.py)."""

from __future__ import annotations

import importlib
import os
import shutil
import sysconfig
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOT_PATH = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["policy-ledger"][
    "compiled"
]


COMPILER = (sysconfig.get_config_var("CC") or "cc").split()[0]


@pytest.mark.skipif(
    os.environ.get("POLICY_LEDGER_COMPILE") != "1",
    reason="plain Python build (POLICY_LEDGER_COMPILE is not 1)",
)
@pytest.mark.skipif(
    shutil.which(COMPILER) is None,
    reason=f"no C compiler ({COMPILER}): the build falls back to plain Python",
)
@pytest.mark.parametrize("source", HOT_PATH)
def test_the_hot_path_runs_compiled_where_the_build_compiles_it(source: str) -> None:
    module = importlib.import_module(source.removesuffix(".py").replace("/", "."))
    assert module.__file__ is not None
    assert module.__file__.endswith(".so"), f"{source} runs as plain Python"


def test_every_module_listed_for_compiling_exists() -> None:
    assert HOT_PATH
    for source in HOT_PATH:
        assert (ROOT / source).is_file(), source
