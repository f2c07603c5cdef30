"""`./dev demo` loads data/ once and says where the server listens: the address it prints
follows --host/--port.

The script runs in a copy of itself beside a stand-in .venv whose python and policy-ledger
only echo, so nothing is installed or served."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

DEV = Path(__file__).resolve().parents[2] / "dev"
FAKE_CLI = """#!/usr/bin/env bash
case "$1" in
  load) shift; echo "LOAD $*" ;;
  token) echo 'token-for-test' ;;
  serve) shift; echo "SERVE $*"; echo "AUDITS_REQUIRE_TOKEN=$POLICY_LEDGER_AUDITS_REQUIRE_TOKEN" ;;
esac
"""


def demo(tmp_path: Path, *args: str) -> str:
    shutil.copy(DEV, tmp_path / "dev")
    bin_ = tmp_path / ".venv" / "bin"
    bin_.mkdir(parents=True)
    for name, body in (("python", "#!/usr/bin/env bash\nexit 0\n"), ("policy-ledger", FAKE_CLI)):
        (bin_ / name).write_text(body)
        (bin_ / name).chmod(0o755)
    env = {**os.environ, "POLICY_LEDGER_COMPILE": "1", "USER": "tester"}
    done = subprocess.run(
        ["bash", str(tmp_path / "dev"), "demo", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize(
    ("args", "url"),
    [
        ((), "http://127.0.0.1:8000"),
        (("--port", "9001"), "http://127.0.0.1:9001"),
        (("--host=192.0.2.7", "--port=8080"), "http://192.0.2.7:8080"),
        (("--host", "0.0.0.0", "--port", "9002"), "http://127.0.0.1:9002"),
        (("--host", "::1"), "http://[::1]:8000"),
    ],
)
def test_demo_prints_the_address_it_serves_on(
    tmp_path: Path, args: tuple[str, ...], url: str
) -> None:
    out = demo(tmp_path, *args)
    assert f"demo data of data/ at {url} (API docs at {url}/docs)" in out
    assert f"-d @examples/example-amendment.json {url}/countries/PK/amendments" in out
    assert "export POLICY_LEDGER_TOKEN=token-for-test" in out
    assert f"SERVE {' '.join(args)}".strip() in out  # the options reach the server unchanged
    if url != "http://127.0.0.1:8000":
        assert "127.0.0.1:8000" not in out


def test_demo_loads_every_file_of_data_skipping_countries_loaded_already(tmp_path: Path) -> None:
    """The load step is the CLI's folder load with --skip-loaded: run again, it records
    nothing twice (tests/integration/test_data_files.py runs that load twice for real)."""
    out = demo(tmp_path)
    assert "LOAD data --skip-loaded --author demo" in out.splitlines()


def test_the_demo_lets_anyone_try_an_audit(tmp_path: Path) -> None:
    """Audits need a token by default (POLICY_LEDGER_AUDITS_REQUIRE_TOKEN); the demo's server
    runs with that off, as the README's demo promises an upload page anyone can try."""
    assert "AUDITS_REQUIRE_TOKEN=false" in demo(tmp_path).splitlines()
