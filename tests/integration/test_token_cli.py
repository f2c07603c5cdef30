"""`policy-ledger token create | list | revoke` on each store: tokens live in the store,
hashes only; `--expires` takes a duration, a date or a timestamp; `list` shows no secret;
`revoke` takes an id; `init` reads the tokens file of an earlier version into the store once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from api.bootstrap import build_services
from api.settings import Settings
from api.timeparse import MomentError, parse_expiry
from integration.test_cli import Shell
from projections.tokens import TokenRecord


def stored(shell: Shell) -> list[TokenRecord]:
    ledger = build_services(Settings(database_url=shell.env["POLICY_LEDGER_DATABASE_URL"]))
    try:
        return ledger.tokens.all()
    finally:
        ledger.close()


def create(shell: Shell, *args: str) -> str:
    result = shell.ok("token", "create", "--role", "reader", "--subject", "rita", *args)
    return result.stdout.strip().splitlines()[-1]


def test_create_stores_the_hash_only_and_list_shows_no_secret(shell: Shell) -> None:
    shell.ok("init")
    token = create(shell, "--expires", "90d")
    [record] = stored(shell)
    assert record.sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert (record.subject, record.role, record.revoked_at) == ("rita", "reader", None)
    assert record.expires_at is not None
    assert dt.timedelta(days=89) < record.expires_at - record.created_at <= dt.timedelta(days=90)
    listed = shell.ok("token", "list", "--json").stdout
    [row] = json.loads(listed)
    assert row == {
        "id": record.token_id,
        "subject": "rita",
        "role": "reader",
        "created": record.created_at.isoformat(),
        "expires": record.expires_at.isoformat(),
        "revoked": None,
        "state": "active",
    }
    table = shell.ok("token", "list").stdout
    assert record.token_id in table
    assert "active" in table
    for text in (listed, table):
        assert token not in text
        assert record.sha256 not in text


def test_revoke_by_id_marks_the_token_revoked_once(shell: Shell) -> None:
    shell.ok("init")
    create(shell)
    [record] = stored(shell)
    done = shell.ok("token", "revoke", record.token_id)
    assert f"Revoked {record.token_id} (reader, rita) from " in done.stdout
    [revoked] = stored(shell)
    assert revoked.revoked_at is not None
    shell.ok("token", "revoke", record.token_id)  # again: the first moment stays
    assert stored(shell)[0].revoked_at == revoked.revoked_at
    [row] = json.loads(shell.ok("token", "list", "--json").stdout)
    assert row["state"] == "revoked"
    unknown = shell.run("token", "revoke", "tok_nosuchtoken")
    assert unknown.exit_code == 2
    assert "no token with id 'tok_nosuchtoken'" in unknown.stderr


@pytest.mark.parametrize(
    ("expires", "message"),
    [
        ("yesterday", "is neither a duration"),
        ("2000-01-01", "is not in the future"),
        ("0d", "is not in the future"),
        ("999999w", "ends after the year 9999"),
    ],
)
def test_a_bad_expiry_is_refused_and_stores_nothing(
    shell: Shell, expires: str, message: str
) -> None:
    shell.ok("init")
    refused = shell.run(
        "token", "create", "--role", "reader", "--subject", "x", "--expires", expires
    )
    assert refused.exit_code == 2
    assert message in refused.stderr
    assert stored(shell) == []


def test_init_reads_an_old_tokens_file_into_the_store_once(shell: Shell, tmp_path: Path) -> None:
    token = "plt_" + "o" * 43
    old = Path(shell.env["POLICY_LEDGER_TOKENS_FILE"])
    sha = hashlib.sha256(token.encode()).hexdigest()
    old.write_text(json.dumps([{"subject": "olga", "role": "editor", "sha256": sha}]))
    first = shell.ok("init")
    assert "1 of its 1 tokens added to the store; the file was renamed to" in first.stderr
    assert not old.exists()
    assert old.with_name("tokens.json.migrated").exists()
    [record] = stored(shell)
    assert (record.subject, record.role, record.sha256) == ("olga", "editor", sha)
    assert "tokens file" not in shell.ok("init").stderr  # read once


NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("text", "ends"),
    [
        ("30m", NOW + dt.timedelta(minutes=30)),
        ("12h", NOW + dt.timedelta(hours=12)),
        ("90d", NOW + dt.timedelta(days=90)),
        ("2W", NOW + dt.timedelta(weeks=2)),
        ("2025-06-01", dt.datetime(2025, 6, 1, tzinfo=dt.UTC)),
        ("2025-03-01T14:00:00+01:00", dt.datetime(2025, 3, 1, 13, 0, tzinfo=dt.UTC)),
        ("2025-03-01T12:00:01", dt.datetime(2025, 3, 1, 12, 0, 1, tzinfo=dt.UTC)),
    ],
)
def test_an_expiry_is_a_duration_a_date_or_a_timestamp(text: str, ends: dt.datetime) -> None:
    assert parse_expiry(text, NOW, name="--expires") == ends


def test_an_expiry_now_is_not_in_the_future() -> None:
    with pytest.raises(MomentError, match="not in the future"):
        parse_expiry("2025-03-01T13:00:00+01:00", NOW, name="--expires")


def test_a_token_without_a_subject_is_refused(shell: Shell) -> None:
    shell.ok("init")
    refused = shell.run("token", "create", "--role", "editor", "--subject", "")
    assert refused.exit_code == 2
    assert "--subject: give 1 to 200 characters" in refused.stderr
    assert stored(shell) == []
