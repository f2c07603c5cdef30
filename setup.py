"""Compiles the audit's hot path with mypyc when POLICY_LEDGER_COMPILE=1 (./dev does).

The modules listed under [tool.policy-ledger] `compiled` in pyproject.toml stay plain,
typed Python: without the variable, or without a C compiler, they run as they are.
Compiled, an audit of a million decisions takes about a third less time
(benchmarks/bench_audit.py). Everything else about the package is in pyproject.toml.
"""

import os
import tomllib
from pathlib import Path

from setuptools import Extension, setup


def ext_modules() -> list[Extension]:
    if os.environ.get("POLICY_LEDGER_COMPILE") != "1":
        return []
    from mypyc.build import mypycify

    config = tomllib.loads((Path(__file__).parent / "pyproject.toml").read_text("utf-8"))
    # Not the project's mypy settings: pip builds before it installs the dependencies, so
    # their types are unknown here, which strict checking refuses (CI runs mypy itself).
    options = ["--config-file=", "--ignore-missing-imports"]
    modules = config["tool"]["policy-ledger"]["compiled"]
    extensions = mypycify([*modules, *options], opt_level="3", separate=True)
    for extension in extensions:
        extension.optional = True  # no C compiler: a warning, and the plain Python runs
    return extensions


setup(ext_modules=ext_modules())
