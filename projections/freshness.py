"""Knowing cheaply whether anything was committed since the index was last refreshed.

Reads must reflect every committed write (read-your-writes across processes), so each read
compares a stamp of the store with the stamp the index was refreshed at:
- SQLite: `PRAGMA data_version`, which changes whenever another connection commits: a few
  microseconds, no query of the log.
- PostgreSQL: a counter moved by the NOTIFY the event store sends on each commit (eventsourcing's
  insert NOTIFYs its events table's channel), heard on a connection of our own in a thread
  (`NotifyChangeSignal`), and moved at once by a write committed in this process (`touch`).
  No round trip per read. Every `poll` seconds the thread also compares the log's head with
  the one it saw last (so a notification lost in any way costs `poll` seconds at most), and
  while it is not listening (starting, or the connection lost) the stamp is the log's head,
  read per read, as before this signal.
A write in another process is seen as soon as its notification arrives: usually before the
writer has its answer, but PostgreSQL delivers it asynchronously, and on a loaded host it
arrived a few milliseconds after the writer's answer, so a read that other process started
at once answered without it (tests/api/test_reads.py's cross-process test failed 1 to 5
times in 10 with notify). A reader that must see one write for certain passes the position
the write returned (`min_position`, projections.reads); `head`, the default, asks per read.
"""

from __future__ import annotations

import itertools
import logging
import select
import sqlite3
import threading
from collections.abc import Callable, Hashable
from typing import Any

import psycopg
from psycopg import sql

log = logging.getLogger("policy_ledger.projection")


class SQLiteChangeSignal:
    cheap = True

    def __init__(self, path: str) -> None:
        self._connection = sqlite3.connect(path, check_same_thread=False)
        self._lock = threading.Lock()

    def stamp(self) -> Hashable:
        with self._lock:
            (version,) = self._connection.execute("PRAGMA data_version").fetchone()
            return int(version)

    def touch(self) -> None:
        return None  # the library's connections are other connections: data_version moves

    def close(self) -> None:
        self._connection.close()


class HeadChangeSignal:
    """The log's head, read per read: one round trip each (a read replica's primary)."""

    cheap = False

    def __init__(self, head: Callable[[], int]) -> None:
        self._head = head

    def stamp(self) -> Hashable:
        return self._head()

    def touch(self) -> None:
        return None

    def close(self) -> None:
        return None


class NotifyChangeSignal:
    """PostgreSQL: a stamp moved by the event store's NOTIFY, heard in a thread of its own."""

    def __init__(
        self,
        params: dict[str, Any],
        channel: str,
        head: Callable[[], int],
        poll: float = 1.0,
    ) -> None:
        self._params = {**params, "application_name": "policy-ledger change signal"}
        self._channel = channel
        self._head = head
        self._poll = poll
        self._counter = itertools.count(1)
        self._count = 0
        self._listening = False
        self._socket = -1  # the listening connection's, while listening
        self._taking = False  # the thread is taking notifications off the socket
        self._listens = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="change-signal", daemon=True)
        self._thread.start()

    @property
    def cheap(self) -> bool:
        """Whether `stamp` costs no I/O now (the thread is listening)."""
        return self._listening

    def stamp(self) -> Hashable:
        if self._listening:
            if self._taking or _readable(self._socket, 0.0):
                # A notification may have reached this process that the thread has not
                # counted yet (it waits for the GIL, say): count it now. Every notification
                # is on the socket, or being taken (`_taking`), or counted: so a read that
                # starts after one arrived always refreshes.
                self.touch()
            return self._count
        return ("head", self._head())  # not listening: the log's head, a round trip

    def touch(self) -> None:
        """A write was committed in this process: readers here must see it at once."""
        self._count = next(self._counter)  # one bytecode: atomic under the GIL

    def wait_listening(self, timeout: float) -> bool:
        """Waits until the thread listens (for tests and start-up); whether it does."""
        return self._listens.wait(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._listen()
            except Exception:
                if self._stopping.is_set():
                    break
                log.warning(
                    "change signal: not listening, reads ask for the log head", exc_info=True
                )
            finally:
                self._listening = False
                self._listens.clear()
            self._stopping.wait(self._poll)

    def _listen(self) -> None:
        with psycopg.connect(**self._params, autocommit=True) as connection:
            connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
            self._socket = connection.pgconn.socket
            head = self._head()
            self.touch()  # anything committed before LISTEN: the next read catches up
            self._listening = True
            self._listens.set()
            heard = False
            while not self._stopping.is_set():
                if _readable(self._socket, self._poll):
                    heard = self._take(connection) or heard
                else:
                    # Quiet for `poll` seconds: the connection still answers, and no commit
                    # went unheard (the head moved only as far as notifications said).
                    heard = self._take(connection, query="SELECT 1") or heard
                    moved = self._head()
                    if moved != head and not heard:
                        self.touch()
                    head, heard = moved, False

    def _take(self, connection: psycopg.Connection[Any], query: str | None = None) -> bool:
        """Takes the notifications that arrived (running `query` first: any that arrive
        meanwhile are kept by psycopg and taken after it), counts them, and says whether
        there were any. While taking, reads count anyway: one taken off the socket is not
        counted until this returns."""
        self._taking = True
        try:
            if query is not None:
                connection.execute(query)
            taken = sum(1 for _ in connection.notifies(timeout=0))
            while connection.pgconn.notifies() is not None:
                taken += 1  # read into libpq's buffer with the query's answer, not parsed
            if taken:
                self.touch()  # before `_taking` ends: see `stamp`
            return bool(taken)
        finally:
            self._taking = False

    def close(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=self._poll + 5)


def _readable(socket: int, timeout: float) -> bool:
    """Whether the socket has data to read (within `timeout` seconds): a system call, no
    round trip. A poll object per call: one object must not be polled by two threads."""
    poller = select.poll()
    poller.register(socket, select.POLLIN)
    return bool(poller.poll(timeout * 1000))


ChangeSignal = SQLiteChangeSignal | HeadChangeSignal | NotifyChangeSignal
