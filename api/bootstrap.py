"""The one composition root: settings -> event store, application, projection, queries."""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import psycopg
import psycopg.sql
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from api.settings import Settings
from domain.application import Clock, PolicyLedger, utc_now
from domain.integrity import IntegrityReport
from domain.signing import Seal, Signer, SigningKeyError, load_signer, seal
from projections.catchup import CatchUp
from projections.freshness import ChangeSignal, HeadChangeSignal, SQLiteChangeSignal
from projections.index import ReadIndex
from projections.integrity import verify_ledger
from projections.policy import PolicyProjection
from projections.queries import PolicyQueries
from projections.views import PolicyViewMixin, postgres_params, view_class_for

POSTGRES_SIGNING_KEY = Path("./var/signing-key.pem")
log = logging.getLogger("policy_ledger.projection")


class ConfigurationError(ValueError):
    """The settings cannot describe a working store."""


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
            connection.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
            yield  # the lock ends with the connection
        return
    with open(f"{env['SQLITE_DBNAME']}-tables.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def read_model_env(settings: Settings, env: dict[str, str]) -> dict[str, str]:
    """The library settings of the read model's store: the event log's, or on PostgreSQL
    with POLICY_LEDGER_READ_MODEL_SCHEMA the same database with another schema."""
    if settings.read_model_schema is None:
        return env
    if env["PERSISTENCE_MODULE"] != "eventsourcing.postgres":
        raise ConfigurationError("POLICY_LEDGER_READ_MODEL_SCHEMA needs a PostgreSQL store")
    return {**env, "POSTGRES_SCHEMA": settings.read_model_schema}


@dataclass(frozen=True)
class Lag:
    """How far a read replica's read model is behind the primary's log."""

    events: int  # events in the primary's log the replica's read model lacks
    seconds: float  # age of the oldest of them (0 when none)
    position: int  # the replica's projection position
    head: int  # the primary's log head

    def header(self) -> str:
        return f"events={self.events}, seconds={self.seconds:.3f}, position={self.position}"


class ReadReplica:
    """Queries answered from a read-only copy of the store (POLICY_LEDGER_READ_DATABASE_URL).

    Nothing is written there: the read model arrives by the database's own replication from
    the primary, where `run-projections` (or any server's reads and writes) keeps it. So a
    replica's answer may lag, and says by how much (`lag`): the primary's log head against
    the replica's projection position, and the age of the oldest event it lacks.
    """

    def __init__(self, settings: Settings, primary: PolicyLedger, url: str) -> None:
        env = read_model_env(settings, store_env(settings, url, "POLICY_LEDGER_READ_DATABASE_URL"))
        env["CREATE_TABLE"] = "no"  # a replica is read-only
        self.primary = primary
        self.factory = InfrastructureFactory.construct(Environment(primary.name, env))
        view = self.factory.tracking_recorder(view_class_for(env))
        assert isinstance(view, PolicyViewMixin)
        self.view = view
        self.queries = PolicyQueries(view)
        self.index = ReadIndex(view, primary.name)

    def position(self) -> int:
        return self.view.max_tracking_id(self.primary.name) or 0

    def lag(self) -> Lag:
        position = self.position()  # first: the head read after it is at least as new
        head = self.primary.recorder.max_notification_id() or 0
        events = max(head - position, 0)
        seconds = 0.0
        if events:
            [oldest] = self.primary.recorder.select_notifications(start=position + 1, limit=1)
            event = self.primary.mapper.to_domain_event(oldest)
            recorded: dt.datetime = event.timestamp  # type: ignore[attr-defined]
            seconds = max((utc_now() - recorded).total_seconds(), 0.0)
        return Lag(events, seconds, position, head)

    def fresh_index(self) -> ReadIndex:
        """The index, with every row the replica holds now."""
        self.index.refresh()
        return self.index

    def close(self) -> None:
        self.factory.close()


@dataclass
class Ledger:
    """Everything a face (CLI, HTTP) needs, wired once."""

    settings: Settings
    app: PolicyLedger
    view: PolicyViewMixin
    projection: PolicyProjection
    catch_up: CatchUp
    queries: PolicyQueries
    index: ReadIndex
    signal: ChangeSignal
    signer: Signer | None = None  # None until a key exists (policy-ledger init makes one)
    replica: ReadReplica | None = None
    view_factory: InfrastructureFactory | None = None  # when the read model has its own

    _refreshed_at: int | None = None  # the store's stamp when the index was last refreshed
    _refresh_lock: threading.Lock = field(default_factory=threading.Lock)
    _background: threading.Thread | None = None

    def index_if_fresh(self) -> ReadIndex | None:
        """The index, if nothing was committed since its last refresh (a cheap check)."""
        return self.index if self.signal.stamp() == self._refreshed_at else None

    def refresh_index(self) -> ReadIndex:
        """The index, caught up with every write committed before this call."""
        # Nothing committed since the last refresh finished (it set _refreshed_at last):
        # the index is fresh. Checked outside the lock, so that concurrent reads on
        # PostgreSQL ask for the log head in parallel instead of one at a time.
        if self.signal.stamp() == self._refreshed_at:
            return self.index
        with self._refresh_lock:
            # Stamp first: a commit after it makes the next read refresh again.
            stamp = self.signal.stamp()
            if stamp != self._refreshed_at:
                self.catch_up.run()
                self.index.refresh()
                self._refreshed_at = stamp
        return self.index

    fresh_index = refresh_index

    def audit_index(self) -> ReadIndex:
        """An index of its own for a long audit, of the read model as projected now (callers
        catch up first), without the answer fragments a server keeps: an audit reads facts,
        not answers, so it holds less memory."""
        index = ReadIndex(self.view, self.app.name, answers=False)
        index.refresh()
        return index

    def verify(self) -> IntegrityReport:
        """Every chain recomputed from the raw stored rows, the read model's heads as
        witnesses (projections.integrity.verify_ledger)."""
        return verify_ledger(self.app, self.view)

    def seal(self, digest: str) -> Seal:
        """The digest with this service's signature over it (none without a key)."""
        return seal(self.signer, digest)

    def catch_up_in_background(self) -> None:
        """Starts catching the read model up in a thread of its own, unless one is running."""
        with self._refresh_lock:
            if self._background is not None and self._background.is_alive():
                return
            self._background = threading.Thread(
                target=self._catch_up_quietly, name="catch-up", daemon=True
            )
            self._background.start()

    def _catch_up_quietly(self) -> None:
        try:
            lag = self.catch_up.lag()
            log.info("catching up %d events in the background", lag)
            position = self.catch_up.run()
            log.info("caught up in the background to position %d", position)
        except Exception:
            log.exception("catching up in the background failed")

    def close(self) -> None:
        self.catch_up.stopping.set()
        if self._background is not None:
            self._background.join(timeout=60)
        self.signal.close()
        if self.replica is not None:
            self.replica.close()
        if self.view_factory is not None:
            self.view_factory.close()
        self.app.close()


def build_ledger(settings: Settings | None = None, clock: Clock = utc_now) -> Ledger:
    settings = settings or Settings()
    env = store_env(settings)
    try:
        signer = load_signer(signing_key_path(settings))
    except SigningKeyError as error:
        raise ConfigurationError(str(error)) from None
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        Path(env["SQLITE_DBNAME"]).parent.mkdir(parents=True, exist_ok=True)
    view_env = read_model_env(settings, env)
    with creating_tables(env):
        app = PolicyLedger(env=env, clock=clock)
    factory = app.factory
    if view_env is not env:  # the read model in a schema of its own: a pool of its own
        factory = InfrastructureFactory.construct(Environment(app.name, view_env))
        _create_schema(factory, view_env["POSTGRES_SCHEMA"])
    with creating_tables(view_env):
        view = factory.tracking_recorder(view_class_for(view_env))
    assert isinstance(view, PolicyViewMixin)
    projection = PolicyProjection(view, app.name)
    catch_up = CatchUp(app, projection)
    index = ReadIndex(view, app.name)
    signal: ChangeSignal
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        signal = SQLiteChangeSignal(env["SQLITE_DBNAME"])
    else:
        signal = HeadChangeSignal(catch_up.head)
    replica = None
    if settings.read_database_url:
        try:
            replica = ReadReplica(settings, app, settings.read_database_url)
        except BaseException:
            signal.close()
            if factory is not app.factory:
                factory.close()
            app.close()
            raise
    return Ledger(
        settings=settings,
        app=app,
        view=view,
        projection=projection,
        catch_up=catch_up,
        queries=PolicyQueries(view),
        index=index,
        signal=signal,
        signer=signer,
        replica=replica,
        view_factory=factory if factory is not app.factory else None,
    )


def _create_schema(factory: InfrastructureFactory, schema: str) -> None:
    datastore = factory.datastore  # type: ignore[attr-defined]
    with datastore.get_connection() as connection:
        connection.execute(
            psycopg.sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(psycopg.sql.Identifier(schema))
        )
