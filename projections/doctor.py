"""The checks of `policy-ledger doctor`: what an operator checks first, read-only.

Each check is ok, warn, fail or todo. It changes nothing: it connects with plain drivers
to see whether the tables are there before the library (which would create them) is used,
and opens the library with CREATE_TABLE=no to read positions. The checks take plain inputs
(the stores' library settings, counts, thresholds); the CLI (api/cli.py) reads the settings,
shows the report and exits 1 when a check failed, 0 otherwise (warnings included).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import psycopg
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment
from psycopg import sql

from domain.application import PolicyLedger
from domain.checkpoints import witnessed
from domain.integrity import ChainVerifier, Witness, verify_log
from domain.signing import Signer
from domain.words import counted
from projections.checkpoints import TABLE as CHECKPOINTS
from projections.checkpoints import CheckpointTable
from projections.views import (
    READ_MODEL_VERSION,
    PolicyViewMixin,
    postgres_params,
    view_class_for,
)

OK, WARN, FAIL, TODO = "ok", "warn", "fail", "todo"
APP = PolicyLedger.name
Mask = Callable[[str], str]  # hides secrets (passwords in URLs, tokens) in an error's text


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"check": self.name, "status": self.status, "detail": self.detail}


class ReplicaLag(Protocol):
    """How far a read replica is behind its primary."""

    @property
    def events(self) -> int: ...

    @property
    def seconds(self) -> float: ...


@dataclass(frozen=True)
class Replica:
    """A read replica to check: its store's library settings, its read model's, and how
    far it lags behind a primary (read from a replica opened for that, then closed)."""

    env: dict[str, str]
    view_env: dict[str, str]
    lag: Callable[[PolicyLedger], ReplicaLag]


def token_check(by_role: Mapping[str, int], writer: str) -> Check:
    """The API tokens counted by role (shown in the order given); a warning when none has
    the `writer` role."""
    summary = ", ".join(f"{n} {role}" for role, n in by_role.items())
    if not by_role.get(writer):
        return Check("tokens", WARN, f"{summary}: nobody can write (policy-ledger token create)")
    return Check("tokens", OK, summary)


def store_checks(
    env: dict[str, str],
    view_env: dict[str, str],
    max_lag: int,
    mask: Mask,
    replica: Callable[[], Replica] | None = None,
    signer: Signer | None = None,
) -> list[Check]:
    """The store (library settings `env`, its read model's `view_env`): reachability,
    schema and read model version, the projection's lag (a failure beyond `max_lag`
    events), then the read replica `replica` maps to (its settings mapped only when the
    store is usable; failing to map them fails its check), then every hash chain against
    the heads recorded earlier (checkpoint signatures checked with `signer`'s key)."""
    checks: list[Check] = []
    found: dict[str, Any] = {}
    store = _store_checks(env, view_env, max_lag, mask, "store", checks, found)
    if store is not None and replica is not None:
        _replica(replica, store, mask, checks)
    if store is not None:
        heads = _read_model({**view_env, "CREATE_TABLE": "no"})[1]
        trail = CheckpointTable(store.recorder.datastore, signer)  # type: ignore[attr-defined]
        checks.append(_integrity(store, heads, trail if found.get(CHECKPOINTS) else None))
        store.close()
    return checks


def _integrity(
    store: PolicyLedger, heads: dict[str, tuple[int, str]], trail: CheckpointTable | None
) -> Check:
    """Every hash chain recomputed from the stored rows, against the read model's heads
    and the checkpoint trail (read only; `policy-ledger verify` also signs the digest)."""
    witnesses: dict[str, list[Witness]] = {c: [Witness(*h)] for c, h in heads.items()}
    problems = []
    if trail is not None:
        found = witnessed(trail.trail(), trail.signer)
        problems = found.broken
        for country, recorded in found.witnesses.items():
            witnesses.setdefault(country, []).extend(recorded)
    report = verify_log(store, ChainVerifier(witnesses, problems))
    broken = report.first_broken
    if broken is not None:
        return Check("integrity", FAIL, f"chain broken at {broken.describe()}")
    return Check(
        "integrity", OK, f"{counted(report.events, 'event')} verified; digest {report.digest}"
    )


def _store_checks(
    env: dict[str, str],
    view_env: dict[str, str],
    max_lag: int,
    mask: Mask,
    name: str,
    checks: list[Check],
    seen: dict[str, Any] | None = None,
) -> PolicyLedger | None:
    """Reachability, schema and read model version, projection lag. The library's
    application (tables not created) when the store is usable, for the checks after; what
    was found of the tables in `seen`."""
    try:
        found = _inspect(env, view_env)
    except Exception as error:
        checks.append(Check(name, FAIL, mask(f"not reachable: {type(error).__name__}: {error}")))
        return None
    if seen is not None:
        seen.update(found)
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
    position = _read_model({**view_env, "CREATE_TABLE": "no"})[0]
    lag = head - position
    detail = f"position {position}, log head {head}: {counted(lag, 'event')} behind"
    status = OK if lag <= max_lag else FAIL
    if status == FAIL:
        detail += f" (servers are not ready beyond {max_lag})"
    checks.append(Check("projection", status, detail))
    return app


def _read_model(env: dict[str, str]) -> tuple[int, dict[str, tuple[int, str]]]:
    """The read model's position and its chain heads."""
    factory = InfrastructureFactory.construct(Environment(APP, env))
    try:
        view = factory.tracking_recorder(view_class_for(env))
        assert isinstance(view, PolicyViewMixin)
        return view.max_tracking_id(APP) or 0, view.chain_heads()
    finally:
        factory.close()


def _replica(
    replica: Callable[[], Replica], primary: PolicyLedger, mask: Mask, checks: list[Check]
) -> None:
    try:
        found_replica = replica()
        found = _inspect(found_replica.env, found_replica.view_env)
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
    lag = found_replica.lag(primary)
    checks.append(
        Check(
            "replica",
            OK,
            f"{found['server']}; {counted(lag.events, 'event')} behind the primary, oldest missing "
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
            CHECKPOINTS: CHECKPOINTS in names,
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
            CHECKPOINTS: exists(CHECKPOINTS),
        }
