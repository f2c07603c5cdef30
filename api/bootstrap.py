"""The one composition root: settings -> event store, application, projection, queries."""

from __future__ import annotations

import fcntl
import logging
import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import psycopg
import psycopg.sql
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from api.collection import freeze_survivors
from api.settings import Settings
from domain.application import Clock, PolicyLedger, utc_now
from domain.integrity import (
    BrokenChainError,
    ChainVerifier,
    IntegrityReport,
    SealMismatchError,
)
from domain.signing import Seal, Signer, SigningKeyError, load_signer, seal
from projections.catchup import CatchUp
from projections.checkpoints import CheckpointTable
from projections.freshness import (
    ChangeSignal,
    HeadChangeSignal,
    NotifyChangeSignal,
    SQLiteChangeSignal,
)
from projections.integrity import verify_ledger, witnessing
from projections.policy import PolicyProjection
from projections.reads import ReadReplica, Reads
from projections.tokens import TokenTable
from projections.views import PolicyViewMixin, postgres_params, view_class_for

POSTGRES_SIGNING_KEY = Path("./var/signing-key.pem")


class ConfigurationError(ValueError):
    """The settings cannot describe a working store."""


class StoreNotFoundError(ConfigurationError):
    """A SQLite store that does not exist, opened by a face that must not create it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"no ledger at {path.absolute()}: run `policy-ledger init` (or `policy-ledger load "
            "FILE`) to create it there, or set POLICY_LEDGER_DATABASE_URL to an existing store"
        )


def store_env(
    settings: Settings, database_url: str | None = None, name: str = "POLICY_LEDGER_DATABASE_URL"
) -> dict[str, str]:
    """Maps POLICY_LEDGER_DATABASE_URL (or another URL of the same form, named `name`)
    onto the eventsourcing library's settings."""
    url = urlparse(database_url or settings.database_url)
    common = {"AGGREGATE_CACHE_MAXSIZE": str(settings.aggregate_cache_size)}
    if url.scheme == "sqlite":
        # As in SQLAlchemy: sqlite:///relative/path, sqlite:////absolute/path.
        path = Path(unquote(url.path.removeprefix("/")))
        return {
            **common,
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(path),
            "SQLITE_LOCK_TIMEOUT": "30",
        }
    if url.scheme in ("postgresql", "postgres"):
        schema = parse_qs(url.query).get("schema", ["public"])[0]
        return {
            **common,
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": url.path.lstrip("/") or "postgres",
            "POSTGRES_HOST": url.hostname or "localhost",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": unquote(url.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(url.password or ""),
            "POSTGRES_SCHEMA": schema,
            # The library's pool keeps POOL_SIZE connections and opens up to MAX_OVERFLOW
            # more under load; a request waits CONNECT_TIMEOUT seconds for one at most.
            "POSTGRES_POOL_SIZE": str(settings.pool_size),
            "POSTGRES_MAX_OVERFLOW": str(
                settings.pool_size
                if settings.pool_max_overflow is None
                else settings.pool_max_overflow
            ),
            "POSTGRES_CONNECT_TIMEOUT": str(settings.pool_timeout),
        }
    raise ConfigurationError(
        f"{name} must start with sqlite:/// or postgresql://, not '{url.scheme}:'"
    )


def signing_key_path(settings: Settings) -> Path:
    """Where the signing key is: as configured, else beside a SQLite database, else in var/."""
    if settings.signing_key_file is not None:
        return settings.signing_key_file
    env = store_env(settings)
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        database = Path(env["SQLITE_DBNAME"])
        return database.with_name(database.name + ".signing-key.pem")
    return POSTGRES_SIGNING_KEY


@contextmanager
def creating_tables(env: dict[str, str]) -> Iterator[None]:
    """Lets one process at a time create (or check) the store's tables.

    The library's table creation is not safe to run concurrently: processes opening a new
    store together (uvicorn workers) fail with 'already exists', a duplicate migration row,
    or "tuple concurrently updated" from CREATE OR REPLACE FUNCTION. On PostgreSQL a session
    advisory lock on a connection of its own serialises them, on SQLite a file lock.
    """
    if env["PERSISTENCE_MODULE"] == "eventsourcing.postgres":
        key = f"policy-ledger create tables {env['POSTGRES_SCHEMA']}"
        with psycopg.connect(**postgres_params(env), autocommit=True) as connection:
            _require_schema(connection, env)
            connection.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
            yield  # the lock ends with the connection
        return
    with open(f"{env['SQLITE_DBNAME']}-tables.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _require_schema(connection: psycopg.Connection[Any], env: dict[str, str]) -> None:
    """The schema the store names must exist: the tables are created in it, not it."""
    schema = env["POSTGRES_SCHEMA"]
    found = connection.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,))
    if found.fetchone() is None:
        raise ConfigurationError(
            f'PostgreSQL schema "{schema}" does not exist in database '
            f'"{env["POSTGRES_DBNAME"]}": create it (CREATE SCHEMA "{schema}" AUTHORIZATION '
            f'"{env["POSTGRES_USER"]}") or name an existing one in ?schema= of '
            "POLICY_LEDGER_DATABASE_URL"
        )


def read_model_env(settings: Settings, env: dict[str, str]) -> dict[str, str]:
    """The library settings of the read model's store: the event log's, or on PostgreSQL
    with POLICY_LEDGER_READ_MODEL_SCHEMA the same database with another schema."""
    if settings.read_model_schema is None:
        return env
    if env["PERSISTENCE_MODULE"] != "eventsourcing.postgres":
        raise ConfigurationError("POLICY_LEDGER_READ_MODEL_SCHEMA needs a PostgreSQL store")
    return {**env, "POSTGRES_SCHEMA": settings.read_model_schema}


log = logging.getLogger("policy_ledger.bootstrap")


@dataclass
class Services:
    """Everything a face (CLI, HTTP) needs, wired once (the wiring; the application
    service itself is `domain.application.PolicyLedger`)."""

    settings: Settings
    app: PolicyLedger
    view: PolicyViewMixin
    projection: PolicyProjection
    catch_up: CatchUp
    reads: Reads  # every read asks here: which store answers, and how fresh
    checkpoints: CheckpointTable  # the trail of heads no rebuild drops
    tokens: TokenTable  # the API tokens (hashes only), beside the event log
    signer: Signer | None = None  # None until a key exists (policy-ledger init makes one)
    view_factory: InfrastructureFactory | None = None  # when the read model has its own

    def verify(self, digest_at: int | None = None) -> IntegrityReport:
        """Every chain recomputed from the raw stored rows, with the read model's heads and
        the checkpoint trail as witnesses; a ledger that holds extends the trail
        (projections.integrity.verify_ledger). `digest_at`: a log position whose digest
        the report gives too."""
        return verify_ledger(self.app, self.view, self.checkpoints, digest_at)

    def verifier(self, digest_at: int | None = None) -> ChainVerifier:
        """A chain verifier with every witness (for exports and backups, which verify the
        log as they copy it)."""
        return witnessing(self.view, self.checkpoints, digest_at)

    def use_signer(self, signer: Signer) -> None:
        """Signs from now on with `signer` (a key just created)."""
        self.signer = self.checkpoints.signer = signer

    def seal(self, digest: str) -> Seal:
        """The digest with this service's signature over it (none without a key)."""
        return seal(self.signer, digest)

    def verified_seal(self, position: int, digest: str) -> Seal:
        """The seal of the read model an audit read (at log `position`, of `digest`), signed
        only once the log verifies to that digest there: BrokenChainError or
        SealMismatchError otherwise (exit 1 on the command line, 503 over HTTP)."""
        report = self.verify(digest_at=position)
        if report.first_broken is not None:
            raise BrokenChainError(report, "not signed")
        if report.digest_at != digest:
            raise SealMismatchError(
                f"the read model's digest {digest} at log position {position} is not the "
                f"log's ({report.digest_at}); run policy-ledger rebuild"
            )
        return self.seal(digest)

    def verified_seal_later(self, position: int, digest: str) -> Callable[[], Seal]:
        """`verified_seal`, worked out meanwhile in a process of its own (re-hashing the log
        takes seconds at 20,000 amendments, and a long audit has other work for this one):
        the call returned waits for it, and raises as `verified_seal` would. Where no such
        process can run, it verifies here when called."""
        future: Future[tuple[str, Any]] | None = None
        try:
            executor = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
            future = executor.submit(_verified_seal_of, self.settings, position, digest)
            executor.shutdown(wait=False)
        except Exception:
            log.warning("could not start a process to verify the log; verifying here later")

        def sealed() -> Seal:
            if future is not None:
                try:
                    kind, found = future.result()
                except Exception:
                    log.warning("verifying the log in another process failed; verifying here")
                else:
                    if kind == "broken":
                        raise BrokenChainError(found, "not signed")
                    if kind == "mismatch":
                        raise SealMismatchError(found)
                    return found  # type: ignore[no-any-return]
            return self.verified_seal(position, digest)

        return sealed

    def close(self) -> None:
        self.reads.close()
        if self.view_factory is not None:
            self.view_factory.close()
        self.app.close()


def _verified_seal_of(settings: Settings, position: int, digest: str) -> tuple[str, Any]:
    """Services.verified_seal in another process: its errors travel as what makes them."""
    services = build_services(settings)
    try:
        return "sealed", services.verified_seal(position, digest)
    except BrokenChainError as error:
        return "broken", error.report
    except SealMismatchError as error:
        return "mismatch", error.detail
    finally:
        services.close()


def open_replica(settings: Settings, primary: PolicyLedger, url: str) -> ReadReplica:
    """The read replica at `url`: read-only, its read model arriving by replication."""
    env = read_model_env(settings, store_env(settings, url, "POLICY_LEDGER_READ_DATABASE_URL"))
    env["CREATE_TABLE"] = "no"  # a replica is read-only
    factory = InfrastructureFactory.construct(Environment(primary.name, env))
    view = factory.tracking_recorder(view_class_for(env))
    assert isinstance(view, PolicyViewMixin)
    return ReadReplica(primary, factory, view)


def build_services(
    settings: Settings | None = None, clock: Clock = utc_now, *, create: bool = True
) -> Services:
    """`create=False`: raise StoreNotFoundError rather than create a SQLite store (a face
    that only reads must not leave an empty store behind wherever it was run)."""
    settings = settings or Settings()
    freeze_survivors()  # the process holds the ledger's history: see api.collection
    env = store_env(settings)
    if not create and env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        name = env["SQLITE_DBNAME"]
        in_memory = ":memory:" in name or "mode=memory" in name
        if not in_memory and not Path(name).exists():
            raise StoreNotFoundError(Path(name))
    try:
        signer = load_signer(signing_key_path(settings))
    except SigningKeyError as error:
        raise ConfigurationError(str(error)) from None
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        Path(env["SQLITE_DBNAME"]).parent.mkdir(parents=True, exist_ok=True)
    view_env = read_model_env(settings, env)
    with creating_tables(env):
        app = PolicyLedger(env=env, clock=clock)
        tokens = token_table(app.factory, env)
        tokens.create_table()
    factory = app.factory
    if view_env is not env:  # the read model in a schema of its own: a pool of its own
        factory = InfrastructureFactory.construct(Environment(app.name, view_env))
        _create_schema(factory, view_env["POSTGRES_SCHEMA"])
    with creating_tables(view_env):
        view = factory.tracking_recorder(view_class_for(view_env))
    assert isinstance(view, PolicyViewMixin)
    checkpoints = CheckpointTable(app.recorder.datastore, signer, settings.checkpoint_file)  # type: ignore[attr-defined]
    with creating_tables(env):
        checkpoints.create()
    projection = PolicyProjection(view, app.name, checkpoints)
    catch_up = CatchUp(app, projection)
    signal = change_signal(env, app, catch_up, settings.freshness)
    replica = None
    if settings.read_database_url:
        try:
            replica = open_replica(settings, app, settings.read_database_url)
        except BaseException:
            signal.close()
            if factory is not app.factory:
                factory.close()
            app.close()
            raise
    return Services(
        settings=settings,
        app=app,
        view=view,
        projection=projection,
        catch_up=catch_up,
        reads=Reads(app.name, view, catch_up, signal, replica),
        checkpoints=checkpoints,
        tokens=tokens,
        signer=signer,
        view_factory=factory if factory is not app.factory else None,
    )


def token_table(factory: InfrastructureFactory, env: dict[str, str]) -> TokenTable:
    """The API tokens' table of a store, on the library's own connections (the event log's
    datastore: in its schema, whichever schema holds the read model)."""
    postgres = env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    return TokenTable(factory.datastore, postgres=postgres)  # type: ignore[attr-defined]


def change_signal(
    env: dict[str, str], app: PolicyLedger, catch_up: CatchUp, freshness: str = "head"
) -> ChangeSignal:
    """How this process's reads learn that a write was committed (projections.freshness):
    SQLite's data_version; on PostgreSQL the log's head, or (`freshness="notify"`) the
    event store's NOTIFY. A write committed through this process's application moves it
    at once."""
    signal: ChangeSignal
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        signal = SQLiteChangeSignal(env["SQLITE_DBNAME"])
    elif freshness == "head":
        signal = HeadChangeSignal(catch_up.head)
    else:
        channel: str = app.recorder.channel_name  # type: ignore[attr-defined]
        signal = NotifyChangeSignal(postgres_params(env), channel, catch_up.head)
    insert = app.recorder.insert_events

    def insert_events(stored_events: Any, **kwargs: Any) -> Any:
        try:
            return insert(stored_events, **kwargs)
        finally:
            signal.touch()  # committed (or not: a needless refresh at most)

    app.recorder.insert_events = insert_events  # type: ignore[method-assign]
    return signal


def _create_schema(factory: InfrastructureFactory, schema: str) -> None:
    datastore = factory.datastore  # type: ignore[attr-defined]
    with datastore.get_connection() as connection:
        connection.execute(
            psycopg.sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(psycopg.sql.Identifier(schema))
        )
