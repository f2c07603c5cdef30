"""Cycle collection for a process that holds the ledger's history in memory.

The write side caches every country's aggregate (its records and element lines) and the read
side its index: millions of small objects that live as long as the process. CPython's full
collection traverses every one of them, and transient objects that outlive the young
generations (a batch of drafts, a request's documents) keep triggering full collections, so
their cost per write grew with the history held: at 100,000 amendments they were two thirds
of the time spent recording (benchmarks/README.md, issue 17).

What survives a full collection is long-lived, so it is frozen (moved out of the collector's
generations, still freed by reference counting as ever); the next full collections traverse
only what is newer. Cycles among frozen objects that later become garbage are not found while
frozen, so now and then everything is unfrozen and the next full collection traverses it all
(a reclaim): once the time spent in full collections since the last reclaim exceeds what that
reclaim took (so reclaims cost at most as much as the collections between them, both in
proportion to what was allocated), or `RECLAIM_SECONDS` passed (garbage is held for a bounded
time).
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

RECLAIM_SECONDS = 600.0
OLDEST = 2  # the generation a full collection collects

_installed = threading.Lock()
_policy: _FreezeSurvivors | None = None


class _FreezeSurvivors:
    def __init__(self) -> None:
        self._started = 0.0
        self._reclaim_took = 0.0  # seconds, the last reclaim
        self._since_reclaim = 0.0  # seconds in full collections since
        self._reclaimed_at = time.monotonic()
        self._reclaiming = False

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if info["generation"] != OLDEST:
            return
        now = time.monotonic()
        if phase == "start":
            self._started = now
            return
        took = now - self._started
        gc.freeze()
        if self._reclaiming:  # this collection traversed everything
            self._reclaiming = False
            self._reclaim_took, self._since_reclaim, self._reclaimed_at = took, 0.0, now
            return
        self._since_reclaim += took
        if self._since_reclaim > self._reclaim_took or now - self._reclaimed_at > RECLAIM_SECONDS:
            gc.unfreeze()  # the next full collection traverses everything
            self._reclaiming = True


def freeze_survivors() -> None:
    """Installs the policy for this process (once; later calls do nothing)."""
    global _policy
    with _installed:
        if _policy is None:
            _policy = _FreezeSurvivors()
            gc.callbacks.append(_policy)


@contextmanager
def batch_collection() -> Iterator[Callable[[Callable[[int], None]], Callable[[int], None]]]:
    """Garbage collection for a batch job with long-lived caches: what is loaded is never
    garbage, and full collections over it every few thousand rows cost a tenth of the run.
    Countries load as their first row comes: what is alive is frozen again after each
    batch of rows (the progress callback this wraps)."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)

    def settle(progress: Callable[[int], None]) -> Callable[[int], None]:
        def after_batch(line: int) -> None:
            gc.collect(0)  # no garbage cycle is frozen for good
            gc.freeze()
            progress(line)

        return after_batch

    try:
        yield settle
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
