"""`policy-ledger doctor`: what an operator checks first, read-only.

Each check is ok, warn, fail or todo. It changes nothing: it connects with plain drivers
to see whether the tables are there before the library (which would create them) is used,
and opens the library with CREATE_TABLE=no to read positions. The exit status is 1 when a
check failed, 0 otherwise (warnings included).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import psycopg
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment
from psycopg import sql
from pydantic import ValidationError
from rich.console import Group
from rich.markup import escape
from rich.table import Table

from api.bootstrap import (
    ConfigurationError,
    open_replica,
    postgres_params,
    read_model_env,
    store_env,
    view_class_for,
)
from api.observability import mask
from api.security import Role, TokenEntry
from api.settings import Settings
from domain.application import PolicyLedger
from domain.integrity import verify_log
from projections.views import (
    READ_MODEL_VERSION,
)

OK, WARN, FAIL, TODO = "ok", "warn", "fail", "todo"
APP = PolicyLedger.name


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"check": self.name, "status": self.status, "detail": self.detail}


def masked_url(url: str | None) -> str | None:
    if not url:
        return url
    parts = urlparse(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunparse(parts._replace(netloc=netloc))


def masked_settings(settings: Settings) -> dict[str, Any]:
    """Every setting, as the process sees it, with passwords and token hashes left out."""
    shown = settings.model_dump(mode="json")
    shown["database_url"] = masked_url(settings.database_url)
    shown["read_database_url"] = masked_url(settings.read_database_url)
    shown["tokens"] = f"{len(settings.tokens)} entries (hashes not shown)"
    return {f"POLICY_LEDGER_{key.upper()}": value for key, value in shown.items()}


def diagnose(settings: Settings) -> list[Check]:
    checks: list[Check] = []
    try:
        env = store_env(settings)
    except ConfigurationError as error:
        return [Check("configuration", FAIL, str(error))]
    checks.append(Check("configuration", OK, "settings read; store URL understood"))
    checks.append(_tokens(settings))
    store = _store_checks(settings, env, "store", checks)
    if store is not None and settings.read_database_url:
        _replica(settings, store, checks)
    if store is not None:
        checks.append(_integrity(store))
        store.close()
    return checks


def _integrity(store: PolicyLedger) -> Check:
    """Every hash chain recomputed from the stored rows (`policy-ledger verify` does more:
    it also checks the read model's heads and signs the digest)."""
    report = verify_log(store, {})
    broken = report.first_broken
    if broken is not None:
        where = f"{broken.country} position {broken.position}: {broken.detail}"
        return Check("integrity", FAIL, f"chain broken at {where}")
    return Check("integrity", OK, f"{report.events} events verified; digest {report.digest}")


def _tokens(settings: Settings) -> Check:
    path = settings.tokens_file
    try:
        entries = [TokenEntry.model_validate(e) for e in json.loads(path.read_text())]
    except FileNotFoundError:
        entries = []
    except (OSError, ValueError) as error:
        return Check("tokens", FAIL, f"{path}: {type(error).__name__}: {error}")
    entries += settings.tokens
    roles = {role.value: sum(e.role == role for e in entries) for role in Role}
    summary = ", ".join(f"{n} {role}" for role, n in roles.items())
    if not roles[Role.EDITOR.value]:
        return Check("tokens", WARN, f"{summary}: nobody can write (policy-ledger token create)")
    return Check("tokens", OK, summary)


def _store_checks(
    settings: Settings, env: dict[str, str], name: str, checks: list[Check]
) -> PolicyLedger | None:
    """Reachability, schema and read model version, projection lag. The library's
    application (tables not created) when the store is usable, for the checks after."""
    view_env = read_model_env(settings, env)
    try:
        found = _inspect(env, view_env)
    except Exception as error:
        checks.append(Check(name, FAIL, mask(f"not reachable: {type(error).__name__}: {error}")))
        return None
    checks.append(Check(name, OK, found["server"]))
    missing = [t for t in ("events", "tracking", "read model") if not found[t]]
    if missing:
        checks.append(
            Check("schema", FAIL, f"missing: {', '.join(missing)} (run `policy-ledger init`)")
        )
        return None
    version = found["read_model_version"]
    if version != READ_MODEL_VERSION:
        checks.append(
            Check(
                "schema",
                WARN,
                f"read model version {version}, this code's is {READ_MODEL_VERSION}: it is "
                "dropped and projected again from the log when the store is next opened",
            )
        )
    else:
        checks.append(Check("schema", OK, f"tables present; read model version {version}"))
    app = PolicyLedger(env={**env, "CREATE_TABLE": "no"})
    head = app.recorder.max_notification_id() or 0
    position = _position({**view_env, "CREATE_TABLE": "no"})
    lag = head - position
    detail = f"position {position}, log head {head}: {lag} events behind"
    status = OK if lag <= settings.ready_max_lag else FAIL
    if status == FAIL:
        detail += f" (servers are not ready beyond {settings.ready_max_lag})"
    checks.append(Check("projection", status, detail))
    return app


def _position(env: dict[str, str]) -> int:
    factory = InfrastructureFactory.construct(Environment(APP, env))
    try:
        view = factory.tracking_recorder(view_class_for(env))
        return view.max_tracking_id(APP) or 0
    finally:
        factory.close()


def _replica(settings: Settings, primary: PolicyLedger, checks: list[Check]) -> None:
    assert settings.read_database_url
    try:
        env = store_env(settings, settings.read_database_url, "POLICY_LEDGER_READ_DATABASE_URL")
        found = _inspect(env, read_model_env(settings, env))
    except Exception as error:
        checks.append(
            Check("replica", FAIL, mask(f"not reachable: {type(error).__name__}: {error}"))
        )
        return
    if found["read_model_version"] != READ_MODEL_VERSION:
        checks.append(
            Check(
                "replica",
                FAIL,
                f"read model version {found['read_model_version']} (expected "
                f"{READ_MODEL_VERSION}): has it replicated the primary's?",
            )
        )
        return
    replica = open_replica(settings, primary, settings.read_database_url)
    try:
        lag = replica.lag()
    finally:
        replica.close()
    checks.append(
        Check(
            "replica",
            OK,
            f"{found['server']}; {lag.events} events behind the primary, oldest missing "
            f"{lag.seconds:.1f} s old",
        )
    )


def _inspect(env: dict[str, str], view_env: dict[str, str]) -> dict[str, Any]:
    """Server, tables and read model version, through a plain driver (creates nothing)."""
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        return _inspect_sqlite(Path(env["SQLITE_DBNAME"]))
    return _inspect_postgres(env, view_env["POSTGRES_SCHEMA"])


def _inspect_sqlite(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise FileNotFoundError(f"no database file at {path} (run `policy-ledger init`)")
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        names = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
        version = None
        if "policy_read_model" in names:
            row = connection.execute("SELECT version FROM policy_read_model").fetchone()
            version = row[0] if row else None
        return {
            "server": f"SQLite {sqlite3.sqlite_version}, {path}",
            "events": "stored_events" in names,
            "tracking": "tracking" in names,
            "read model": "policy_read_model" in names,
            "read_model_version": version,
        }


def _inspect_postgres(env: dict[str, str], view_schema: str) -> dict[str, Any]:
    schema = env["POSTGRES_SCHEMA"]
    with psycopg.connect(**postgres_params(env), autocommit=True) as connection:

        def exists(table: str, where: str = schema) -> bool:
            row = connection.execute(
                "SELECT to_regclass(%s) IS NOT NULL", (f'"{where}"."{table}"',)
            ).fetchone()
            return bool(row and row[0])

        version = None
        if exists("policy_read_model", view_schema):
            row = connection.execute(
                sql.SQL("SELECT version FROM {}.policy_read_model").format(
                    sql.Identifier(view_schema)
                )
            ).fetchone()
            version = row[0] if row else None
        server = connection.execute("SHOW server_version").fetchone()
        replica = connection.execute("SELECT pg_is_in_recovery()").fetchone()
        role = "standby (read-only)" if replica and replica[0] else "primary"
        return {
            "server": f"PostgreSQL {server[0] if server else '?'} ({role}), "
            f"{env['POSTGRES_HOST']}:{env['POSTGRES_PORT']}/{env['POSTGRES_DBNAME']}, "
            f"schema {schema}"
            + (f", read model in {view_schema}" if view_schema != schema else ""),
            "events": exists(f"{APP.lower()}_events"),
            "tracking": exists(f"{APP.lower()}_tracking", view_schema),
            "read model": exists("policy_read_model", view_schema),
            "read_model_version": version,
        }


def settings_or_problem() -> tuple[Settings | None, str | None]:
    try:
        return Settings(), None
    except ValidationError as error:
        return None, mask(str(error))


def report(settings: dict[str, Any], checks: list[Check]) -> Group:
    """The human form: settings, then one row per check."""
    shown = Table(title="settings", show_header=False, title_justify="left")
    for key, value in settings.items():
        shown.add_row(key, escape(json.dumps(value) if not isinstance(value, str) else value))
    found = Table(title="checks", title_justify="left")
    found.add_column("check")
    found.add_column("status")
    found.add_column("detail", overflow="fold")
    colours = {OK: "green", WARN: "yellow", FAIL: "red", TODO: "blue"}
    for check in checks:
        colour = colours[check.status]
        found.add_row(check.name, f"[{colour}]{check.status}[/{colour}]", escape(check.detail))
    return Group(shown, found)
