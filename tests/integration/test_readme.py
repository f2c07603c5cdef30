"""The README's worked example is the CLI's real output.

Every ```console block of README.md holds `$ policy-ledger …` lines, each followed by what
the command prints. This test runs each command in order through the real CLI on a fresh
SQLite store loaded with the demo data, and compares the printed output with the block
(trailing whitespace aside). A block after the marker
`<!-- readme-test: record examples/example-amendment.json -->` runs once that amendment, the
one `./dev demo` tells you to post, is recorded.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from typer.testing import CliRunner

from api.cli import cli
from integration.test_cli import DEMO

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
EXAMPLE = ROOT / "examples" / "example-amendment.json"
MARKER = "<!-- readme-test: record examples/example-amendment.json -->"
BLOCK = re.compile(r"(?P<marker><!--[^\n]*-->\n)?```console\n(?P<body>.*?)```", re.DOTALL)


def examples(text: str) -> list[tuple[bool, str, str]]:
    """(after the marker, command, expected output) for every command of every block."""
    found = []
    for block in BLOCK.finditer(text):
        marked = (block["marker"] or "").strip() == MARKER
        for command in re.split(r"^(?=\$ )", block["body"], flags=re.MULTILINE):
            if command.strip():
                line, _, output = command.partition("\n")
                found.append((marked, line, output))
    return found


def normalised(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.rstrip().splitlines())


def test_the_readme_has_console_examples_of_the_cli() -> None:
    found = examples(README.read_text(encoding="utf-8"))
    assert found, "README.md has no ```console block with $ policy-ledger lines"
    assert all(line.startswith("$ policy-ledger ") for _, line, _ in found)
    commands = {shlex.split(line)[2] for _, line, _ in found}
    assert {"policy", "diff"} <= commands


def test_every_readme_example_prints_what_the_readme_shows(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"POLICY_LEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.sqlite'}"}

    def run(*args: str) -> str:
        result = runner.invoke(cli, list(args), env=env)
        assert result.exit_code == 0, (args, result.output, result.exception)
        return result.stdout

    run("init")
    run("load", str(DEMO), "--author", "demo")
    recorded = False
    for marked, line, expected in examples(README.read_text(encoding="utf-8")):
        if marked and not recorded:
            run("load", str(example_as_file(tmp_path)), "--author", "demo")
            recorded = True
        assert normalised(run(*shlex.split(line)[2:])) == normalised(expected), line


def example_as_file(tmp_path: Path) -> Path:
    """examples/example-amendment.json (a POST body) as an amendment file for `load`."""
    body = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    body.pop("expected_version")  # the demo's version after loading, as the POST states it
    path = tmp_path / "example.json"
    path.write_text(json.dumps({"amendments": [{**body, "country": "PK"}]}), encoding="utf-8")
    return path


def test_the_readme_says_when_the_example_amendment_is_in_force() -> None:
    in_force = json.loads(EXAMPLE.read_text(encoding="utf-8"))["in_force_from"]
    assert f"from **{in_force}**" in README.read_text(encoding="utf-8")
