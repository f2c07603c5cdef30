"""The projector behind `policy-ledger run-projections`: a loop that keeps the read model
caught up, a `CatchUp` pass (projections/catchup.py) whenever a write may have been
committed, in one process at a time; others wait.

Exactly one projector is active per read model. On PostgreSQL it holds a session-level
advisory lock on a connection of its own (not the pool's), keyed by the read model's schema
(the event log's, or POLICY_LEDGER_READ_MODEL_SCHEMA: blue and green each have theirs);
standbys try the lock every `poll` seconds (POLICY_LEDGER_PROJECTOR_POLL_SECONDS, as the CLI
passes it) and the first to get it after the holder dies takes over. PostgreSQL frees a
session lock when the session ends: at once when the holder's process dies on the same host
or its connection closes; after the server's TCP keepalive (set here to ~25 s) when its host
vanishes. The active projector LISTENs on the channel the event store NOTIFYs on each
commit, so it projects a write within milliseconds, and polls every `poll` seconds besides.
On SQLite the lock is an exclusive `flock` of `<database>.projector.lock` (one host), and it
polls.

The lock saves work; it is not what keeps the read model right. Readers still catch up on
demand (read-your-writes), and every page moves the tracking position by compare-and-set
in the page's own transaction (projections/catchup.py), so however many processes project
at once, no event is applied twice or skipped.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
from pathlib import Path
from typing import IO, Any, Protocol

import psycopg
from eventsourcing.application import Application
from psycopg import sql

from projections.catchup import CatchUp
from projections.views import postgres_params

log = logging.getLogger("policy_ledger.projector")


class Leadership(Protocol):
    """A lock only one projector of a store can hold."""

    describe: str

    def try_acquire(self) -> bool: ...

    def wait(self, seconds: float, stop: threading.Event) -> None:
        """Returns when a write may have been committed, after `seconds` at most; raises
        when the lock may have been lost."""

    def release(self) -> None: ...


class PostgresLeadership:
    def __init__(self, env: dict[str, str], channel: str) -> None:
        # One lock per read model: its schema (the event log's, or READ_MODEL_SCHEMA).
        self.schema = env["POSTGRES_SCHEMA"]
        self.key = f"policy-ledger projector {self.schema}"
        self.channel = channel
        self.describe = f"PostgreSQL advisory lock hashtext('{self.key}')"
        self._params: dict[str, Any] = {
            **postgres_params(env),
            "application_name": "policy-ledger projector",
            # The client notices a dead server, and the server a dead client, in ~25 s.
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 5,
            "keepalives_count": 3,
        }
        self._connection: psycopg.Connection[Any] | None = None

    def _connect(self) -> psycopg.Connection[Any]:
        if self._connection is None or self._connection.closed:
            connection = psycopg.connect(**self._params, autocommit=True)
            for setting, value in (
                ("tcp_keepalives_idle", 10),
                ("tcp_keepalives_interval", 5),
                ("tcp_keepalives_count", 3),
            ):
                connection.execute(
                    sql.SQL("SET {} = {}").format(sql.Identifier(setting), sql.Literal(value))
                )
            self._connection = connection
        return self._connection

    def try_acquire(self) -> bool:
        connection = self._connect()
        row = connection.execute(
            "SELECT pg_try_advisory_lock(hashtext(%s))", (self.key,)
        ).fetchone()
        if not (row and row[0]):
            return False
        connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
        return True

    def wait(self, seconds: float, stop: threading.Event) -> None:
        connection = self._connect()
        for _ in connection.notifies(timeout=seconds, stop_after=1):
            pass
        # The session (and with it the lock) is gone if this fails.
        connection.execute("SELECT 1")

    def release(self) -> None:
        if self._connection is None:
            return
        # Unlocked at once, for a standby's next try; closing alone frees the lock only
        # when the server process of the session has ended, a moment later.
        with contextlib.suppress(psycopg.Error):
            self._connection.execute("SELECT pg_advisory_unlock_all()")
        self._connection.close()
        self._connection = None


class FileLeadership:
    def __init__(self, database: str) -> None:
        self.path = Path(f"{database}.projector.lock")
        self.describe = f"flock of {self.path}"
        self._file: IO[bytes] | None = None

    def try_acquire(self) -> bool:
        if self._file is None:
            self._file = self.path.open("ab")
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def wait(self, seconds: float, stop: threading.Event) -> None:
        stop.wait(seconds)

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the file drops the lock
            self._file = None


def leadership_for(env: dict[str, str], app: Application[Any]) -> Leadership:
    """The lock of the read model whose library settings are `env` (on PostgreSQL it
    listens on the channel `app`'s event store notifies on)."""
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        return FileLeadership(env["SQLITE_DBNAME"])
    channel: str = app.recorder.channel_name  # type: ignore[attr-defined]
    return PostgresLeadership(env, channel)


class Projector:
    """Keeps the read model caught up with `catch_up` while holding `leadership`'s lock,
    waits for it otherwise; it looks for writes every `poll` seconds at least."""

    def __init__(self, catch_up: CatchUp, leadership: Leadership, poll: float) -> None:
        self.catch_up = catch_up
        self.leadership = leadership
        self.poll = poll

    def run(self, stop: threading.Event) -> None:
        """Runs until `stop` is set. Failures (the store gone, the lock lost) are logged and
        retried."""
        catch_up, leadership, poll = self.catch_up, self.leadership, self.poll
        leading, waiting = False, False
        pid = os.getpid()
        while not stop.is_set():
            try:
                if not leading:
                    if not leadership.try_acquire():
                        if not waiting:
                            log.info("standby (pid %d): another projector holds the lock", pid)
                            waiting = True
                        stop.wait(poll)
                        continue
                    leading, waiting = True, False
                    log.info(
                        "active (pid %d): holding the %s; the read model is %d events behind",
                        pid,
                        leadership.describe,
                        catch_up.lag(),
                    )
                before = catch_up.position()
                position = catch_up.run()
                if position != before:
                    log.info("projected events %d to %d", before + 1, position)
                leadership.wait(poll, stop)
            except Exception:
                if stop.is_set():
                    break
                log.exception("projector failed; letting the lock go and trying again")
                leadership.release()
                leading = False
                stop.wait(poll)
        leadership.release()
        log.info("stopped (pid %d)", pid)
