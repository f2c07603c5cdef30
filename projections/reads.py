"""Read consistency: which store answers a read, and how fresh it is.

Every face asks here, so one rule holds everywhere:
- reads on the primary reflect every write committed before them (read-your-writes, across
  processes): the read model is caught up with the log first, and the in-process index is
  refreshed when the store's change signal (projections.freshness) says anything moved; a
  read carrying the position a write returned (`min_position`) includes that write for
  certain, whatever the signal;
- where a read replica is configured, reads go there unless the caller asks for the primary
  (`primary=True`), and the answer says how far the replica lags (`Origin`);
- on the primary every policy answer comes from the in-process index, without SQL: as known
  now, as known at any T (the rows over both axes, projections.bitemporal), and counting
  only what was published by P (the country's records folded in memory). A replica answers
  as known now from its index, otherwise from its SQL rows. `Reads.policy` is the one call
  that chooses.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import orjson
from eventsourcing.application import Application
from eventsourcing.persistence import InfrastructureFactory

from projections.catchup import CatchUp
from projections.freshness import ChangeSignal
from projections.index import ReadIndex
from projections.queries import Place, PolicyQueries
from projections.views import PolicyViewMixin

log = logging.getLogger("policy_ledger.projection")


# Element documents an audit's index keeps parsed: an audit keeps each value it reads in
# its timelines, and the documents (values with their acts) only for the reports that show
# them, so fewer than a server's (4,096 took ~8 MB of an audit of 20,000 amendments).
AUDIT_CACHE = 512


@dataclass(frozen=True)
class Lag:
    """How far a read replica's read model is behind the primary's log."""

    events: int  # events in the primary's log the replica's read model lacks
    seconds: float  # age of the oldest of them (0 when none)
    position: int  # the replica's projection position
    head: int  # the primary's log head

    def header(self) -> str:
        return f"events={self.events}, seconds={self.seconds:.3f}, position={self.position}"


@dataclass(frozen=True)
class Origin:
    """Where an answer came from. `replicated` is False where no replica is configured (the
    only store answered); otherwise `lag` is None for the primary, the replica's lag else."""

    replicated: bool = False
    lag: Lag | None = None


ONLY_STORE = Origin()
PRIMARY = Origin(replicated=True)


class ReadReplica:
    """Queries answered from a read-only copy of the store (POLICY_LEDGER_READ_DATABASE_URL).

    Nothing is written there: the read model arrives by the database's own replication from
    the primary, where `run-projections` (or any server's reads and writes) keeps it. So a
    replica's answer may lag, and says by how much (`lag`): the primary's log head against
    the replica's projection position, and the age of the oldest event it lacks.
    """

    def __init__(
        self, primary: Application[Any], factory: InfrastructureFactory, view: PolicyViewMixin
    ) -> None:
        self.primary = primary
        self.factory = factory
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
            seconds = max((dt.datetime.now(dt.UTC) - recorded).total_seconds(), 0.0)
        return Lag(events, seconds, position, head)

    def fresh_index(self) -> ReadIndex:
        """The index, with every row the replica holds now."""
        self.index.refresh()
        return self.index

    def close(self) -> None:
        self.factory.close()


@dataclass(frozen=True)
class PolicyAnswer:
    """A policy answer: serialised bytes from the index, or a document from SQL."""

    origin: Origin
    body: bytes | None = None
    doc: dict[str, Any] | None = None

    def document(self) -> dict[str, Any]:
        """The answer as a document (parsed from the bytes when it came as bytes)."""
        if self.doc is not None:
            return self.doc
        assert self.body is not None
        found: dict[str, Any] = orjson.loads(self.body)
        return found


class Reads:
    """The read side as every face uses it: one answer to "which store, how fresh"."""

    def __init__(
        self,
        app_name: str,
        view: PolicyViewMixin,
        catch_up: CatchUp,
        signal: ChangeSignal,
        replica: ReadReplica | None = None,
    ) -> None:
        self.app_name = app_name
        self.view = view
        self.catch_up = catch_up
        self.signal = signal
        self.replica = replica
        # Queries over the primary's read model as projected now, not caught up first:
        # for callers that control catching up themselves (rebuilds, tests).
        self.as_projected = PolicyQueries(view)
        self._index = ReadIndex(view, app_name)
        self._refreshed_at: Hashable = None  # the store's stamp at the last refresh
        self._refresh_lock = threading.Lock()
        self._background: threading.Thread | None = None
        self._warming: threading.Thread | None = None

    # Which store ---------------------------------------------------------------------------

    def replica_for(self, primary: bool = False) -> ReadReplica | None:
        """The replica to answer from: none when there is none, or the primary is asked."""
        return None if primary else self.replica

    def _origin(self, replica: ReadReplica | None) -> Origin:
        if replica is not None:
            return Origin(replicated=True, lag=replica.lag())
        return PRIMARY if self.replica is not None else ONLY_STORE

    # The one policy call -----------------------------------------------------------------

    def cached_policy(
        self,
        country: str,
        on: dt.date,
        now: dt.datetime,
        known_at: dt.datetime | None = None,
        min_position: int | None = None,
    ) -> bytes | None:
        """The whole-country answer (as known now, or at `known_at`) when it costs no I/O at
        all (the change signal says nothing moved without asking the store, the index holds
        `min_position`, the country is loaded, no replica to ask), else None: call `policy`
        off the loop."""
        if self.replica is not None or not self.signal.cheap:
            return None
        index = self.index_if_fresh()
        if index is None or not index.loaded(country):
            return None
        if min_position is not None and index.position < min_position:
            return None
        if known_at is not None:
            return index.policy_json_at(country, on, known_at)
        return index.policy_json(country, on, now)

    def policy(
        self,
        country: str,
        on: dt.date,
        known_at: dt.datetime | None,
        *,
        published_by: dt.date | None = None,
        primary: bool = False,
        place: Place | None = None,
        min_position: int | None = None,
    ) -> PolicyAnswer:
        """The policy of `country` in force on `on` as known at `known_at` (None: now),
        counting only the acts published on or before `published_by` when it is given; with
        `place`, as it applies to a person from there; `min_position`: the position a write
        returned, which the answer then includes for certain."""
        replica = self.replica_for(primary)
        if replica is not None:
            return self._replica_policy(replica, country, on, known_at, published_by, place)
        origin = self._origin(None)
        index = self.index(min_position)
        if published_by is not None:
            moment = known_at or dt.datetime.now(dt.UTC)
            return PolicyAnswer(
                origin, doc=index.published_policy(country, on, moment, published_by, place)
            )
        if known_at is not None:
            if place is not None:
                doc = index.place_policy(country, on, known_at, place, stated=True)
                return PolicyAnswer(origin, doc=doc)
            return PolicyAnswer(origin, body=index.policy_json_at(country, on, known_at))
        now = dt.datetime.now(dt.UTC)
        if place is not None:
            return PolicyAnswer(origin, doc=index.place_policy(country, on, now, place))
        return PolicyAnswer(origin, body=index.policy_json(country, on, now))

    def _replica_policy(
        self,
        replica: ReadReplica,
        country: str,
        on: dt.date,
        known_at: dt.datetime | None,
        published_by: dt.date | None,
        place: Place | None,
    ) -> PolicyAnswer:
        """`policy` from a read replica: its index as known now, its SQL rows otherwise."""
        origin = self._origin(replica)
        if published_by is not None:
            moment = known_at or dt.datetime.now(dt.UTC)
            doc = replica.queries.published_policy(country, on, moment, published_by, place)
            return PolicyAnswer(origin, doc=doc)
        if known_at is not None:
            return PolicyAnswer(origin, doc=replica.queries.policy(country, on, known_at, place))
        index = replica.fresh_index()
        now = dt.datetime.now(dt.UTC)
        if place is not None:
            return PolicyAnswer(origin, doc=index.place_policy(country, on, now, place))
        return PolicyAnswer(origin, body=index.policy_json(country, on, now))

    # Fresh read models -------------------------------------------------------------------

    def queries(self) -> PolicyQueries:
        """SQL queries over the primary's read model, caught up with the log."""
        self.catch_up.run()
        return self.as_projected

    def answering_queries(self, primary: bool = False) -> tuple[PolicyQueries, Origin]:
        """Queries where reads go: the replica (with its lag) unless the primary is asked."""
        replica = self.replica_for(primary)
        if replica is not None:
            return replica.queries, self._origin(replica)
        return self.queries(), self._origin(None)

    def answering_index(self, primary: bool = False) -> tuple[ReadIndex, Origin]:
        """The in-process index where reads go, fresh, and where it came from."""
        replica = self.replica_for(primary)
        if replica is not None:
            return replica.fresh_index(), self._origin(replica)
        return self.index(), self._origin(None)

    def index_if_fresh(self) -> ReadIndex | None:
        """The index, if nothing was committed since its last refresh (a cheap check)."""
        return self._index if self.signal.stamp() == self._refreshed_at else None

    def index(self, min_position: int | None = None) -> ReadIndex:
        """The primary's index, caught up with every write committed before this call (as
        far as the change signal knows), and with the log up to `min_position` for certain."""
        # Nothing committed since the last refresh finished (it set _refreshed_at last):
        # the index is fresh. Checked outside the lock, so that concurrent reads where the
        # stamp is a round trip ask in parallel instead of one at a time.
        if self.signal.stamp() == self._refreshed_at and (
            min_position is None or self._index.position >= min_position
        ):
            return self._index
        with self._refresh_lock:
            # Stamp first: a commit after it makes the next read refresh again.
            stamp = self.signal.stamp()
            if stamp != self._refreshed_at or (
                min_position is not None and self._index.position < min_position
            ):
                self.catch_up.run()
                self._index.refresh()
                self._refreshed_at = stamp
        return self._index

    def audit_index(self) -> ReadIndex:
        """An index of its own for a long audit, of the read model caught up now, without
        the answer fragments a server keeps: an audit reads facts, not answers, so it holds
        less memory."""
        self.catch_up.run()
        index = ReadIndex(self.view, self.app_name, answers=False, cache_size=AUDIT_CACHE)
        index.refresh()
        return index

    def warm(self) -> None:
        """Readies the in-process index before a server listens: its position and the list
        of countries at once, each country's rows in a thread of its own (seconds at 100,000
        amendments); a read of a country not loaded yet loads that one first."""
        index = self.index()
        self._warming = threading.Thread(
            target=self._load_quietly, args=(index,), name="index-load", daemon=True
        )
        self._warming.start()
        if self.replica is not None:
            try:
                self.replica.fresh_index()
            except Exception:  # reads there will say so; the primary still serves
                log.exception("the read replica did not answer at start-up")

    # Catching up -------------------------------------------------------------------------

    def catch_up_in_background(self) -> None:
        """Starts catching the read model up in a thread of its own, unless one is running."""
        with self._refresh_lock:
            if self._background is not None and self._background.is_alive():
                return
            self._background = threading.Thread(
                target=self._catch_up_quietly, name="catch-up", daemon=True
            )
            self._background.start()

    def _load_quietly(self, index: ReadIndex) -> None:
        try:
            started = time.perf_counter()
            count = index.load_all(self.catch_up.stopping)
            log.info("index: %d countries loaded in %.1fs", count, time.perf_counter() - started)
        except Exception:
            log.exception("loading the index in the background failed")

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
        for thread in (self._background, self._warming):
            if thread is not None:
                thread.join(timeout=60)
        self.signal.close()
        if self.replica is not None:
            self.replica.close()
