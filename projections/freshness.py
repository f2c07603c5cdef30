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
A write in another process is seen as soon as its notification arrives (well under a
millisecond on one host); a reader that must see one write for certain passes the position
the write returned (`min_position`, projections.reads).
"""

from __future__ import annotations

import itertools
import logging
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
            head = self._head()
            self.touch()  # anything committed before LISTEN: the next read catches up
            self._listening = True
            self._listens.set()
            heard = False
            while not self._stopping.is_set():
                for _ in connection.notifies(timeout=self._poll, stop_after=1):
                    self.touch()
                    heard = True
                    break
                else:
                    # Quiet for `poll` seconds: the connection still answers, and no commit
                    # went unheard (the head moved only as far as notifications said).
                    connection.execute("SELECT 1")
                    moved = self._head()
                    if moved != head and not heard:
                        self.touch()
                    head, heard = moved, False

    def close(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=self._poll + 5)


ChangeSignal = SQLiteChangeSignal | HeadChangeSignal | NotifyChangeSignal
