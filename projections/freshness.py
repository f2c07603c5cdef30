"""Knowing cheaply whether the event log moved since we last caught up.

Reads must reflect every committed write (read-your-writes across processes), so each read
asks this first. On SQLite `PRAGMA data_version` changes whenever another connection
commits: a few microseconds, no query of the log. On PostgreSQL we compare the log's head
with what the index has seen (one indexed query).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable


class SQLiteChangeSignal:
    cheap = True

    def __init__(self, path: str) -> None:
        self._connection = sqlite3.connect(path, check_same_thread=False)
        self._lock = threading.Lock()
        self._seen: int | None = None

    def moved(self) -> bool:
        with self._lock:
            (version,) = self._connection.execute("PRAGMA data_version").fetchone()
            moved: bool = version != self._seen
            self._seen = version
            return moved

    def close(self) -> None:
        self._connection.close()


class HeadChangeSignal:
    cheap = False

    def __init__(self, head: Callable[[], int], seen: Callable[[], int]) -> None:
        self._head = head
        self._seen = seen

    def moved(self) -> bool:
        return self._head() != self._seen()

    def close(self) -> None:
        return None


ChangeSignal = SQLiteChangeSignal | HeadChangeSignal
