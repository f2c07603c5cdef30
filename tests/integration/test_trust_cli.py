"""The trust commands on each store: `init` makes a signing key; `verify` recomputes every
chain from the stored rows (exit 0 with the signed digest, exit 1 naming the first broken
link); `export` and `import` move a verified ledger between stores."""

from __future__ import annotations

import csv
import json
import stat
from pathlib import Path

import pytest

from api.bootstrap import build_services
from api.settings import Settings
from domain.signing import signature_holds
from integration.raw_store import RawStore
from integration.test_cli import DEMO, LATER, Shell


def raw_store(shell: Shell) -> RawStore:
    ledger = build_services(Settings(database_url=shell.env["POLICY_LEDGER_DATABASE_URL"]))
    try:
        return RawStore(ledger)
    finally:
        ledger.close()


def key_file(shell: Shell) -> Path:
    url = shell.env["POLICY_LEDGER_DATABASE_URL"]
    if url.startswith("sqlite"):
        return Path(url.removeprefix("sqlite:///") + ".signing-key.pem")
    return Path(shell.env["POLICY_LEDGER_SIGNING_KEY_FILE"])


def test_init_creates_a_signing_key_readable_by_its_owner_and_says_where(shell: Shell) -> None:
    result = shell.ok("init")

    path = key_file(shell)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert f"Signing key created: {path} (mode 0600" in result.stdout
    again = shell.ok("init")
    assert "Signing key created" not in again.stdout
    assert path.name in again.stdout


def test_init_puts_the_key_beside_the_sqlite_database(tmp_path: Path) -> None:
    shell = Shell(f"sqlite:///{tmp_path / 'data' / 'ledger.sqlite'}", tmp_path)

    shell.ok("init")

    assert (tmp_path / "data" / "ledger.sqlite.signing-key.pem").exists()


def test_verify_of_an_untouched_ledger_exits_0_with_the_signed_digest(loaded: Shell) -> None:
    result = loaded.run("verify", "--json")
    doc = json.loads(result.stdout)
    answer = loaded.json("policy", "PK", "--on", "2024-11-26")

    assert result.exit_code == 0
    assert (doc["ok"], doc["events"], doc["first_broken"]) == (True, 4, None)
    assert doc["digest"] == answer["ledger_digest"]
    assert signature_holds(doc["public_key"], doc["digest"], doc["signature"])
    human = loaded.ok("verify").stdout
    assert "ok: 4 events in 1 country" in human
    assert doc["digest"] in human


def test_verify_of_an_edited_row_exits_1_naming_country_position_and_hashes(
    loaded: Shell,
) -> None:
    raw_store(loaded).edit_byte("PK", 3, b"Kamerbrief", b"Kamerbriex")

    result = loaded.run("verify")
    as_json = json.loads(loaded.run("verify", "--json").stdout)

    assert result.exit_code == 1
    first = as_json["first_broken"]
    assert (first["country"], first["position"], first["reason"]) == ("PK", 3, "content")
    assert "BROKEN: PK position 3 (content)" in result.stdout
    assert f"expected hash: {first['expected']}" in result.stdout
    assert f"found hash:    {first['found']}" in result.stdout
    assert (as_json["ok"], as_json["digest"], as_json["signature"]) == (False, None, None)


def test_verify_of_a_deleted_row_exits_1(loaded: Shell) -> None:
    raw_store(loaded).delete("PK", 2)

    result = loaded.run("verify")

    assert result.exit_code == 1
    assert "BROKEN: PK position 2 (sequence)" in result.stdout


def test_verify_without_a_key_says_the_digest_is_not_signed(shell: Shell) -> None:
    shell.ok("load", str(DEMO), "--author", "tester")  # no init: no key

    doc = shell.json("verify")

    assert doc["ok"] is True
    assert (doc["signature"], doc["key_id"]) == (None, None)
    assert "not signed" in shell.ok("verify").stdout


def test_export_then_import_into_a_fresh_store_gives_the_same_digest_and_answers(
    loaded: Shell, other_store_url: str, tmp_path: Path
) -> None:
    exported = loaded.ok("export", str(tmp_path / "export"))
    fresh = Shell(other_store_url, tmp_path / "other-key")

    imported = fresh.ok("import", str(tmp_path / "export"))

    digest = loaded.json("verify")["digest"]
    assert f"digest: {digest}" in exported.stdout
    assert "Imported 4 events" in imported.stdout
    assert f"digest: {digest}" in imported.stdout
    assert fresh.json("verify")["digest"] == digest
    for day in ("2024-11-25", "2024-11-26", "2025-06-01"):
        question = ("policy", "PK", "--on", day, "--known-at", LATER)
        assert fresh.json(*question) == loaded.json(*question)


def test_import_into_a_store_that_holds_events_exits_2_and_says_why(
    loaded: Shell, tmp_path: Path
) -> None:
    loaded.ok("export", str(tmp_path / "export"))

    result = loaded.run("import", str(tmp_path / "export"))

    assert result.exit_code == 2
    assert "already holds 4 events: import only into an empty store" in result.stderr
    assert loaded.json("verify")["events"] == 4


def test_a_tampered_ledger_is_not_exported(loaded: Shell, tmp_path: Path) -> None:
    raw_store(loaded).delete("PK", 3)

    result = loaded.run("export", str(tmp_path / "export"))

    assert result.exit_code == 1
    assert "PK position 3 (sequence)" in result.stderr
    assert not (tmp_path / "export" / "manifest.json").exists()


class _NoProcesses:
    """A ProcessPoolExecutor on a host that cannot start processes."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise OSError("no processes here")


@pytest.mark.parametrize(
    "meanwhile", ["no", "yes", "no process"], ids=["verified first", "meanwhile", "no process"]
)
def test_audit_reports_carry_the_signed_digest_of_the_ledger_they_read(
    loaded: Shell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, meanwhile: str
) -> None:
    if meanwhile != "no":  # as for a long file: the log verified in another process meanwhile
        monkeypatch.setattr("api.cli.SEAL_MEANWHILE_BYTES", 0)
    if meanwhile == "no process":  # ... or, where none can start, here after all
        monkeypatch.setattr("api.bootstrap.ProcessPoolExecutor", _NoProcesses)
    decisions = tmp_path / "decisions.csv"
    decisions.write_text("id,country,decided_on,groups\na,PK,2024-11-26,pti\n", encoding="utf-8")
    verified = loaded.json("verify")
    for suffix in ("csv", "jsonl", "html"):
        loaded.ok("audit", str(decisions), "-o", str(tmp_path / f"report.{suffix}"))

    with (tmp_path / "report.csv").open(encoding="utf-8-sig", newline="") as stream:
        trailer = {row[0]: row[1] for row in list(csv.reader(stream))[-3:]}
    last = json.loads((tmp_path / "report.jsonl").read_text().split("\n")[-2])
    page = (tmp_path / "report.html").read_text(encoding="utf-8")

    digest, key_id = verified["digest"], verified["key_id"]
    assert trailer["#ledger_digest"] == last["ledger"]["digest"] == digest
    assert trailer["#key_id"] == last["ledger"]["key_id"] == key_id
    assert trailer["#signature"] == last["ledger"]["signature"]
    assert signature_holds(verified["public_key"], digest, trailer["#signature"])
    assert last["summary"]["audited"] == 1
    assert f'<code data-ledger="digest">{digest}</code>' in page
    assert f'<code data-ledger="key_id">{key_id}</code>' in page
    assert f'data-ledger="signature" class="signature">{trailer["#signature"]}<' in page
