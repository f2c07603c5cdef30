"""How many costly requests one client may have running at once, in one process."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from starlette.exceptions import HTTPException


class ConcurrencyLimit:
    """At most `per_client` requests of one kind at once per client key; the one beyond
    gets 429 with Retry-After. Counted per server process (each worker has its own)."""

    def __init__(self, per_client: int, what: str, retry_after: int = 5) -> None:
        self.per_client = per_client
        self.what = what
        self.retry_after = retry_after
        self._running: dict[str, int] = {}
        self._lock = threading.Lock()

    @contextmanager
    def hold(self, client: str) -> Iterator[None]:
        with self._lock:
            running = self._running.get(client, 0)
            if running >= self.per_client:
                raise HTTPException(
                    429,
                    f"at most {self.per_client} {self.what} at once per client; "
                    f"retry after {self.retry_after} s",
                    headers={"Retry-After": str(self.retry_after)},
                )
            self._running[client] = running + 1
        try:
            yield
        finally:
            with self._lock:
                left = self._running.pop(client) - 1
                if left:
                    self._running[client] = left
