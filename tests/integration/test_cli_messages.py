"""The CLI's messages in a user's first hour: a store that is not there, errors on whole
lines, each path once, counts that agree with their nouns. Run in-process, as test_cli does."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from api.cli import cli
from integration.test_cli import DEMO, Shell

READS = [
    ("countries",),
    ("policy", "PK"),
    ("timeline", "PK"),
    ("history", "PK", "group:pti"),
    ("diff", "PK", "--from", "2024-11-25", "--to", "2024-11-26"),
    ("verify",),
    ("rebuild",),
    ("export", "out"),
    ("backup", "out.tar.gz"),
    ("audit", "decisions.csv"),
]
LONG = "a-directory-name-long-enough-that-any-message-naming-it-passes-eighty-columns"


def one_line(text: str) -> str:
    """The text with rich's wrapping undone would be the same text: no line breaks at all."""
    assert "\n" not in text.strip(), text
    return text.strip()


@pytest.mark.parametrize("args", READS, ids=lambda args: args[0])
def test_a_read_against_a_missing_sqlite_store_refuses_and_creates_nothing(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    folder = tmp_path / LONG
    store = folder / "var" / "ledger.sqlite"
    (tmp_path / "decisions.csv").write_text("id,country,decided_on,groups\n")

    result = CliRunner().invoke(
        cli, list(args), env={"POLICY_LEDGER_DATABASE_URL": f"sqlite:///{store}"}
    )

    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    message = one_line(result.stderr)
    assert str(store) in message
    assert "policy-ledger init" in message
    assert not folder.exists()


def test_init_and_load_create_the_store_where_reads_would_not(tmp_path: Path) -> None:
    shell = Shell(f"sqlite:///{tmp_path / 'a' / 'ledger.sqlite'}", tmp_path)
    shell.ok("init")
    assert (tmp_path / "a" / "ledger.sqlite").exists()
    shell = Shell(f"sqlite:///{tmp_path / 'b' / 'ledger.sqlite'}", tmp_path)
    shell.ok("load", str(DEMO), "--author", "tester")
    assert shell.json("countries")[0]["amendments"] == 3


def test_an_audit_file_that_cannot_be_read_is_named_once_on_one_line(
    loaded: Shell, tmp_path: Path
) -> None:
    bad = tmp_path / "bad-header.csv"
    bad.write_text("foo,bar\n1,2\n")
    missing = tmp_path / LONG / "decisions.csv"

    refused = loaded.run("audit", str(bad))
    unread = loaded.run("audit", str(missing))

    assert refused.exit_code == unread.exit_code == 2
    message = one_line(refused.stderr)
    assert message.count("bad-header.csv") == 1
    assert message.startswith(f"{bad}: header row: unknown columns 'foo', 'bar'")
    message = one_line(unread.stderr)
    assert message.count("decisions.csv") == 1
    assert message == f"{missing}: cannot read the file: No such file or directory"


def test_an_error_longer_than_the_terminal_is_not_wrapped(loaded: Shell, tmp_path: Path) -> None:
    result = loaded.run("export", str(tmp_path / LONG))  # a new directory: exported
    assert result.exit_code == 0, result.output
    again = loaded.run("export", str(tmp_path / LONG))  # not empty now: refused

    assert again.exit_code == 2
    message = one_line(again.stderr)
    events = tmp_path / LONG / "events.jsonl"
    assert message == f"error: {events} exists: export into an empty directory"


def test_counts_agree_with_their_nouns(shell: Shell, tmp_path: Path) -> None:
    demo = yaml.safe_load(DEMO.read_text())
    one = tmp_path / "one.yaml"
    one.write_text(yaml.safe_dump({"amendments": demo["amendments"][:1]}))
    bad = tmp_path / "bad.yaml"
    bad.write_text(DEMO.read_text().replace("region: PK-BA", "region: IN-MH", 1))

    shell.ok("init")
    recorded = shell.ok("load", str(one), "--author", "tester")
    refused = shell.run("load", str(bad), "--author", "tester")

    assert f"Recorded 1 amendment from {one}." in recorded.stdout
    assert refused.exit_code == 2
    assert f"{bad}: nothing loaded (1 problem)\n  - amendment 2" in refused.stderr
    assert refused.stderr.count(str(bad)) == 1
    assert "Rebuilt the read model from 2 events." in shell.ok("rebuild").stdout


def test_a_report_that_cannot_be_written_names_the_output_not_the_input(
    loaded: Shell, tmp_path: Path
) -> None:
    decisions = tmp_path / "decisions.csv"
    decisions.write_text("id,country,decided_on\nd1,PK,2024-12-01\n")
    pdf = tmp_path / "report.pdf"
    nowhere = tmp_path / LONG / "report.csv"

    wrong_format = loaded.run("audit", str(decisions), "-o", str(pdf))
    no_folder = loaded.run("audit", str(decisions), "-o", str(nowhere))

    assert wrong_format.exit_code == no_folder.exit_code == 2
    message = one_line(wrong_format.stderr)
    assert message.startswith(f"{pdf}: cannot write a report as '.pdf'")
    assert "decisions.csv" not in message
    message = one_line(no_folder.stderr)
    assert message == f"{nowhere}: No such file or directory"
    assert not pdf.exists()


def test_an_audit_of_one_decision_says_decision(loaded: Shell, tmp_path: Path) -> None:
    decisions = tmp_path / "decisions.csv"
    decisions.write_text("id,country,decided_on\nd1,PK,2024-12-01\n")
    result = loaded.ok("audit", str(decisions))
    assert "Audit of 1 decision (basis: published)\n" in result.stdout


@pytest.mark.postgres
@pytest.mark.parametrize("args", [("init",), ("load", str(DEMO)), ("verify",)], ids=lambda a: a[0])
def test_a_missing_postgresql_schema_is_named_without_a_traceback(
    postgres_url: str, tmp_path: Path, args: tuple[str, ...]
) -> None:
    url = postgres_url.replace("?schema=", "?schema=missing_")
    result = Shell(url, tmp_path).run(*args)

    assert result.exit_code == 2
    schema = url.split("?schema=")[1]
    message = one_line(result.stderr)
    assert message.startswith(f'configuration: PostgreSQL schema "{schema}" does not exist')
    assert f'CREATE SCHEMA "{schema}"' in message
    assert "Traceback" not in result.output
