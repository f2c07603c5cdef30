"""The one composition root: settings -> event store, application, projection, queries."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from api.settings import Settings
from domain.application import Clock, PolicyLedger, utc_now
from projections.freshness import ChangeSignal, HeadChangeSignal, SQLiteChangeSignal
from projections.index import ReadIndex
from projections.policy import PolicyProjection
from projections.queries import PolicyQueries
from projections.runner import CatchUp
from projections.views import PolicyViewMixin, PostgresPolicyView, SQLitePolicyView

log = logging.getLogger("policy_ledger.projection")


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
        f"POLICY_LEDGER_DATABASE_URL must start with sqlite:/// or postgresql://, "
        f"not '{url.scheme}:'"
    )


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

    _refreshed_at: int | None = None  # the store's stamp when the index was last refreshed
    _refresh_lock: threading.Lock = field(default_factory=threading.Lock)
    _background: threading.Thread | None = None

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
        self.app.close()


def build_ledger(settings: Settings | None = None, clock: Clock = utc_now) -> Ledger:
    settings = settings or Settings()
    env = store_env(settings)
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        Path(env["SQLITE_DBNAME"]).parent.mkdir(parents=True, exist_ok=True)
    app = PolicyLedger(env=env, clock=clock)
    view_class = SQLitePolicyView if "sqlite" in env["PERSISTENCE_MODULE"] else PostgresPolicyView
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
    )
