"""The projector's lock and loop in process, on each store (the failover of real processes
on PostgreSQL is in tests/api/test_projector.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from api.bootstrap import Services, read_model_env, store_env
from integration.worked_history import read_model, rebuild, record_worked_history
from projections.projector import Leadership, Projector, leadership_for


def leadership_of(ledger: Services) -> Leadership:
    """The lock of the ledger's read model, as `policy-ledger run-projections` takes it."""
    return leadership_for(read_model_env(ledger.settings, store_env(ledger.settings)), ledger.app)


def test_only_one_projector_holds_the_lock(open_ledger: Callable[..., Services]) -> None:
    first, second = leadership_of(open_ledger()), leadership_of(open_ledger())
    try:
        assert first.try_acquire()
        assert not second.try_acquire()
        assert not second.try_acquire()  # asking again changes nothing
        first.release()
        assert second.try_acquire()
        assert not first.try_acquire()
    finally:
        first.release()
        second.release()


def test_the_active_projector_keeps_up_with_writes_until_stopped(
    open_ledger: Callable[..., Services], clock: Any
) -> None:
    projector, writer = open_ledger(), open_ledger(clock)
    stop = threading.Event()
    thread = threading.Thread(
        target=Projector(projector.catch_up, leadership_of(projector), 0.05).run, args=(stop,)
    )
    thread.start()
    try:

        def projected() -> None:
            head = writer.catch_up.head()
            deadline = time.monotonic() + 10
            while writer.catch_up.position() != head:
                assert time.monotonic() < deadline
                time.sleep(0.02)

        record_worked_history(writer, clock, between=projected)  # the writer never projects
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert read_model(writer) == rebuild(writer)
