"""The one composition root: settings -> event store, application, projection, queries."""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from api.settings import Settings
from api.signing import Seal, Signer, SigningKeyError, load_signer, seal
from domain.application import Clock, PolicyLedger, utc_now
from domain.integrity import IntegrityReport, Witness, verify_log
from projections.freshness import ChangeSignal, HeadChangeSignal, SQLiteChangeSignal
from projections.index import ReadIndex
from projections.policy import PolicyProjection
from projections.queries import PolicyQueries
from projections.runner import CatchUp
from projections.views import PolicyViewMixin, PostgresPolicyView, SQLitePolicyView

POSTGRES_SIGNING_KEY = Path("./var/signing-key.pem")


class ConfigurationError(ValueError):
    """The settings cannot describe a working store."""


def store_env(settings: Settings) -> dict[str, str]:
    """Maps POLICY_LEDGER_DATABASE_URL onto the eventsourcing library's settings."""
    url = urlparse(settings.database_url)
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
            "POSTGRES_POOL_SIZE": str(settings.pool_size),
            "POSTGRES_MAX_OVERFLOW": str(settings.pool_size),
        }
    raise ConfigurationError(
        f"POLICY_LEDGER_DATABASE_URL must start with sqlite:/// or postgresql://, "
        f"not '{url.scheme}:'"
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
    store together (uvicorn workers) fail with 'already exists' or a duplicate migration
    row. On PostgreSQL a session advisory lock serialises them, on SQLite a file lock.
    """
    if env["PERSISTENCE_MODULE"] == "eventsourcing.postgres":
        import psycopg

        with psycopg.connect(
            dbname=env["POSTGRES_DBNAME"],
            host=env["POSTGRES_HOST"],
            port=env["POSTGRES_PORT"],
            user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"],
            autocommit=True,
        ) as connection:
            key = f"{env['POSTGRES_SCHEMA']}.policy_ledger_tables"
            connection.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
            yield  # the lock goes with the connection
        return
    with open(f"{env['SQLITE_DBNAME']}-tables.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


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

    _refreshed_at: int | None = None  # the store's stamp when the index was last refreshed
    _refresh_lock: threading.Lock = field(default_factory=threading.Lock)

    def index_if_fresh(self) -> ReadIndex | None:
        """The index, if nothing was committed since its last refresh (a cheap check)."""
        return self.index if self.signal.stamp() == self._refreshed_at else None

    def refresh_index(self) -> ReadIndex:
        """The index, caught up with every write committed before this call."""
        with self._refresh_lock:
            # Stamp first: a commit after it makes the next read refresh again.
            stamp = self.signal.stamp()
            if stamp != self._refreshed_at:
                self.catch_up.run()
                self.index.refresh()
                self._refreshed_at = stamp
        return self.index

    fresh_index = refresh_index

    def verify(self) -> IntegrityReport:
        """Every chain recomputed from the raw stored rows, with the heads the read model
        recorded as witnesses. They are read first: the read model never runs ahead of the
        log, so a witness beyond the log's end means events were removed."""
        heads = self.view.chain_heads()
        witnesses = {country: Witness(*head) for country, head in heads.items()}
        return verify_log(self.app, witnesses)

    def seal(self, digest: str) -> Seal:
        """The digest with this service's signature over it (none without a key)."""
        return seal(self.signer, digest)

    def close(self) -> None:
        self.signal.close()
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
    view_class = SQLitePolicyView if "sqlite" in env["PERSISTENCE_MODULE"] else PostgresPolicyView
    with creating_tables(env):
        app = PolicyLedger(env=env, clock=clock)
        view = app.factory.tracking_recorder(view_class)
    assert isinstance(view, PolicyViewMixin)
    projection = PolicyProjection(view, app.name)
    catch_up = CatchUp(app, projection)
    index = ReadIndex(view, app.name)
    signal: ChangeSignal
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        signal = SQLiteChangeSignal(env["SQLITE_DBNAME"])
    else:
        signal = HeadChangeSignal(catch_up.head)
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
    )
