"""The cycle-collection policy of a process that holds the ledger's history (api.collection):
what survives a full collection is frozen, and cycles that become garbage while frozen are
still collected by a later reclaim."""

from __future__ import annotations

import gc
import time
import weakref

from api.collection import freeze_survivors


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def test_what_survives_a_full_collection_is_frozen() -> None:
    freeze_survivors()
    kept = [Node() for _ in range(100)]
    gc.collect()
    gc.collect()  # the first may have been a reclaim, which also freezes
    assert gc.get_freeze_count() > len(kept)


def test_a_cycle_that_became_garbage_while_frozen_is_collected_by_a_later_reclaim() -> None:
    freeze_survivors()
    first, second = Node(), Node()
    first.other, second.other = second, first
    gone = weakref.ref(first)
    gc.collect()  # both survive (referenced here) and are frozen
    del first, second
    # A reclaim comes once the full collections since the last one took as long as it did:
    # these, over a frozen heap, are quick, so there may be many (in a long test session the
    # last reclaim walked a large heap: bounded by time, not by count).
    deadline = time.monotonic() + 120
    while gone() is not None and time.monotonic() < deadline:
        gc.collect()
    assert gone() is None
