"""Nothing is signed, exported, backed up or rebuilt over a broken chain, on each store.

The two forgeries the log alone cannot show (each chain still holds from its first link to
its last): the last event of PK deleted, and PK rewritten from position 2 to its end with
every hash recomputed. Only the heads recorded earlier (the read model's, and the signed
checkpoints kept in the store) tell them apart from the true ledger; every command that
signs or copies the ledger checks against them first, and `rebuild` keeps them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from integration.raw_store import RawStore
from integration.test_cli import Shell
from integration.test_trust_cli import raw_store


def _delete_last(raw: RawStore) -> None:
    raw.delete("PK", 4)


def _rehash(raw: RawStore) -> None:
    raw.rehash_from("PK", 2, lambda doc: doc["payload"].update(title="forged"))


FORGERIES: dict[str, tuple[Callable[[RawStore], None], str]] = {
    "deleted last event": (_delete_last, "PK position 4 (missing)"),
    "rehashed to the end": (_rehash, "PK position 4 (witness)"),
}


@pytest.fixture(params=sorted(FORGERIES))
def forged(request: pytest.FixtureRequest, loaded: Shell) -> tuple[Shell, str]:
    """The loaded demo, forged; and the first broken link as commands name it."""
    forge, named = FORGERIES[request.param]
    forge(raw_store(loaded))
    return loaded, named


def test_the_log_alone_holds_together_after_each_forgery(forged: tuple[Shell, str]) -> None:
    """Why the witnesses matter: the chains recomputed from the rows alone hold."""
    from api.bootstrap import build_services
    from api.settings import Settings
    from domain.integrity import verify_log

    shell, _ = forged
    ledger = build_services(Settings(database_url=shell.env["POLICY_LEDGER_DATABASE_URL"]))
    try:
        assert verify_log(ledger.app).ok
    finally:
        ledger.close()


def test_verify_names_the_first_broken_link(forged: tuple[Shell, str]) -> None:
    shell, named = forged

    result = shell.run("verify")

    assert result.exit_code == 1
    assert f"BROKEN: {named}" in result.stdout


def test_export_refuses_and_writes_nothing(forged: tuple[Shell, str], tmp_path: Path) -> None:
    shell, named = forged

    result = shell.run("export", str(tmp_path / "export"))

    assert result.exit_code == 1, result.output
    assert f"not exported: {named}" in result.stderr
    assert not (tmp_path / "export" / "manifest.json").exists()
    assert not (tmp_path / "export" / "events.jsonl").exists()


def test_backup_refuses_and_writes_nothing(forged: tuple[Shell, str], tmp_path: Path) -> None:
    shell, named = forged

    result = shell.run("backup", str(tmp_path / "ledger.tar.gz"))

    assert result.exit_code == 1, result.output
    assert f"not backed up: {named}" in result.stderr
    assert list(tmp_path.glob("*ledger.tar.gz*")) == []


def test_doctor_fails_its_integrity_check(forged: tuple[Shell, str]) -> None:
    shell, named = forged

    result = shell.run("doctor", "--json")

    assert result.exit_code == 1
    [integrity] = [c for c in json.loads(result.stdout)["checks"] if c["check"] == "integrity"]
    assert integrity["status"] == "fail"
    assert named.split(" (")[0] in integrity["detail"]


@pytest.mark.parametrize("meanwhile", [False, True], ids=["verified first", "verified meanwhile"])
def test_an_audit_report_is_not_signed(
    forged: tuple[Shell, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, meanwhile: bool
) -> None:
    shell, named = forged
    if meanwhile:  # as for a long file: the log verified in another process meanwhile
        monkeypatch.setattr("api.cli.SEAL_MEANWHILE_BYTES", 0)
    decisions = tmp_path / "decisions.csv"
    decisions.write_text("id,country,decided_on,groups\na,PK,2024-11-26,pti\n", encoding="utf-8")

    result = shell.run("audit", str(decisions), "-o", str(tmp_path / "report.csv"))

    assert result.exit_code == 1, result.output
    assert named in result.stderr
    assert not (tmp_path / "report.csv").exists()


def test_rebuild_refuses_unless_told_and_the_break_outlives_it(
    forged: tuple[Shell, str],
) -> None:
    shell, named = forged

    refused = shell.run("rebuild")
    assert refused.exit_code == 1, refused.output
    assert named in refused.stderr
    assert "--accept-broken-chain" in refused.stderr

    accepted = shell.run("rebuild", "--accept-broken-chain")
    assert accepted.exit_code == 0, accepted.output

    after = shell.run("verify", "--json")
    doc: dict[str, Any] = json.loads(after.stdout)
    assert after.exit_code == 1
    first = doc["first_broken"]
    assert (first["country"], first["position"]) == ("PK", int(named.split()[2]))
    assert first["reason"] in ("checkpoint", "missing")
    assert doc["signature"] is None


def test_an_untouched_ledger_still_exports_backs_up_and_rebuilds(
    loaded: Shell, tmp_path: Path
) -> None:
    loaded.ok("export", str(tmp_path / "export"))
    loaded.ok("backup", str(tmp_path / "ledger.tar.gz"))
    rebuilt = loaded.ok("rebuild")
    assert "Rebuilt the read model from 4 events." in rebuilt.stdout
    assert loaded.json("verify")["ok"] is True


def test_rebuild_counts_the_events_not_the_highest_notification_id(loaded: Shell) -> None:
    """Two writers on one head: the second save fails, and on PostgreSQL the notification
    id it drew is spent, so the log's highest id is one more than its events."""
    import datetime as dt

    from eventsourcing.persistence import IntegrityError

    from integration.test_checkpoints import services
    from integration.test_ledger_digest import designate

    now = dt.datetime.now(dt.UTC)
    with services(loaded) as ledger:
        first, second = ledger.app.policy("PK"), ledger.app.policy("PK")
        first.record_amendment(designate("sikhs"), "alice", now)
        second.record_amendment(designate("baloch"), "bob", now)
        ledger.app.save(first)
        with pytest.raises(IntegrityError):
            ledger.app.save(second)
        third = ledger.app.policy("PK")
        third.record_amendment(designate("baloch"), "bob", now)
        ledger.app.save(third)
        highest = ledger.catch_up.head()

    rebuilt = loaded.ok("rebuild")

    assert "Rebuilt the read model from 6 events." in rebuilt.stdout
    if loaded.env["POLICY_LEDGER_DATABASE_URL"].startswith("postgres"):
        assert highest == 7  # the spent id: what rebuild used to report
