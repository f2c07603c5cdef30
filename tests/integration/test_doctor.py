"""`policy-ledger doctor` on each store: exit 0 when the store is usable, 1 when a check
fails; secrets never printed; nothing created or changed by looking."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from api.bootstrap import Services
from api.cli import cli
from api.security import digest
from domain.loader import record_file
from integration.test_cli import DEMO
from projections.views import READ_MODEL_VERSION

SECRET_HASH = digest("plt_doctor-must-not-print-this")


def doctor(url: str, **env: str) -> tuple[Result, dict[str, Any]]:
    result = CliRunner().invoke(
        cli, ["doctor", "--json"], env={"POLICY_LEDGER_DATABASE_URL": url, **env}
    )
    return result, json.loads(result.stdout)


def statuses(doc: dict[str, Any]) -> dict[str, str]:
    return {c["check"]: c["status"] for c in doc["checks"]}


def test_an_uninitialised_store_fails_and_is_left_alone(store_url: str) -> None:
    result, doc = doctor(store_url)
    assert result.exit_code == 1
    assert doc["ok"] is False
    found = statuses(doc)
    assert "fail" in (found.get("store"), found.get("schema"))
    again, _ = doctor(store_url)
    assert again.exit_code == 1  # looking created nothing


def test_a_loaded_store_passes_every_check(store_url: str, tmp_path: Any) -> None:
    runner = CliRunner()
    env = {"POLICY_LEDGER_DATABASE_URL": store_url}
    assert runner.invoke(cli, ["load", str(DEMO), "--author", "t"], env=env).exit_code == 0
    tokens = json.dumps([{"subject": "ci", "role": "editor", "sha256": SECRET_HASH}])
    result, doc = doctor(
        store_url, POLICY_LEDGER_TOKENS=tokens, POLICY_LEDGER_READ_DATABASE_URL=store_url
    )
    assert result.exit_code == 0, result.stdout
    assert statuses(doc) == {
        "configuration": "ok",
        "tokens": "ok",
        "store": "ok",
        "schema": "ok",
        "projection": "ok",
        "replica": "ok",
        "integrity": "ok",
    }
    assert "events verified; digest" in json.dumps(doc)
    assert "0 events behind the primary" in json.dumps(doc)
    assert f"read model version {READ_MODEL_VERSION}" in json.dumps(doc)
    assert SECRET_HASH not in result.stdout
    assert doc["settings"]["POLICY_LEDGER_TOKENS"] == "1 entries (hashes not shown)"
    human = runner.invoke(cli, ["doctor"], env=env)
    assert human.exit_code == 0
    assert "integrity" in human.stdout


def test_a_lag_beyond_readiness_fails(open_ledger: Callable[..., Services], store_url: str) -> None:
    ledger = open_ledger()
    record_file(ledger.app, DEMO, "t")  # recorded, never projected: 4 events behind
    result, doc = doctor(store_url, POLICY_LEDGER_READY_MAX_LAG="3")
    assert result.exit_code == 1
    [projection] = [c for c in doc["checks"] if c["check"] == "projection"]
    assert projection["status"] == "fail"
    assert "4 events behind" in projection["detail"]
    ok, _ = doctor(store_url, POLICY_LEDGER_READY_MAX_LAG="4")
    assert ok.exit_code == 0


def test_another_read_model_version_is_a_warning(
    open_ledger: Callable[..., Services], store_url: str
) -> None:
    view = open_ledger().view
    with view._cursor(commit=True) as c:
        c.execute(view._sql("UPDATE {p}policy_read_model SET version = 2"))
    result, doc = doctor(store_url)
    assert result.exit_code == 0
    assert statuses(doc)["schema"] == "warn"
    assert "dropped and projected again" in json.dumps(doc)


@pytest.mark.postgres
def test_passwords_are_masked_and_an_unreachable_server_fails(postgres_url: str) -> None:
    url = postgres_url.replace("postgres@", "postgres:hunter2-secret@")
    _, doc = doctor(url, POLICY_LEDGER_READ_DATABASE_URL=url)
    assert "hunter2-secret" not in json.dumps(doc)
    assert doc["settings"]["POLICY_LEDGER_DATABASE_URL"].startswith("postgresql://postgres:***@")

    unreachable = "postgresql://postgres:hunter2-secret@127.0.0.1:1/test"
    result, doc = doctor(unreachable, POLICY_LEDGER_POOL_TIMEOUT="2")
    assert result.exit_code == 1
    assert statuses(doc)["store"] == "fail"
    assert "hunter2-secret" not in result.stdout


def test_invalid_settings_fail_without_a_trace(sqlite_url: str) -> None:
    result, doc = doctor(sqlite_url, POLICY_LEDGER_POOL_SIZE="-1")
    assert result.exit_code == 1
    assert statuses(doc) == {"configuration": "fail"}
