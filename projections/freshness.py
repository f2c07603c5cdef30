"""Knowing cheaply whether anything was committed since the index was last refreshed.

Reads must reflect every committed write (read-your-writes across processes), so each read
compares a stamp of the store with the stamp the index was refreshed at. On SQLite the
stamp is `PRAGMA data_version`, which changes whenever another connection commits: a few
microseconds, no query of the log. On PostgreSQL it is the log's head (one indexed query).
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

    def stamp(self) -> int:
        with self._lock:
            (version,) = self._connection.execute("PRAGMA data_version").fetchone()
            return int(version)

    def close(self) -> None:
        self._connection.close()


class HeadChangeSignal:
    cheap = False

    def __init__(self, head: Callable[[], int]) -> None:
        self._head = head

    def stamp(self) -> int:
        return self._head()

    def close(self) -> None:
        return None


ChangeSignal = SQLiteChangeSignal | HeadChangeSignal
