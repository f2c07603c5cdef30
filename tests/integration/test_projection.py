"""The projection: an incremental read model equals a rebuild, whoever projects and whenever.

Every test compares the tables' rows (segments, countries, amendments, states) with a rebuild
from the event log on the same store.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import threading
from collections.abc import Callable
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from api.bootstrap import Services
from integration.worked_history import (
    NOW,
    at,
    khyber_pakhtunkhwa_lower,
    read_model,
    rebuild,
    record_afghanistan,
    record_worked_history,
)
from projections import catchup, policy


class CrashError(Exception):
    """Stands for a process dying half way through a transaction."""


def record_everything(ledger: Services, clock: Any, between: Callable[[], object]) -> None:
    record_worked_history(ledger, clock, between)
    record_afghanistan(ledger, clock, at(2025, 3, 2))
    between()


# Rebuild equals incremental --------------------------------------------------------------


def test_projecting_step_by_step_gives_the_same_rows_as_a_rebuild(
    ledger: Services, clock: Any
) -> None:
    record_everything(ledger, clock, between=ledger.catch_up.run)
    incremental = read_model(ledger)
    assert len(incremental["countries"]) == 2
    assert len(incremental["amendments"]) == 4
    assert rebuild(ledger) == incremental


@pytest.mark.parametrize("chain", [0, 1, 2])
def test_states_stored_as_differences_read_back_whole_whatever_their_chains(
    ledger: Services, clock: Any, chain: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A state is stored whole or against a base at most MAX_CHAIN links from a whole one;
    however short the chains, and when the process forgets what it wrote (a restart: states
    it meets again are stored again), the states read back are those of a rebuild."""
    record_everything(ledger, clock, between=lambda: None)
    expected = rebuild(ledger)
    monkeypatch.setattr(policy, "MAX_CHAIN", chain)
    ledger.view.drop_policy_rows(ledger.app.name)
    ledger.projection.forget()
    head = ledger.catch_up.head()
    for position in range(1, head + 1):  # an event per page, forgetting every third one
        ledger.catch_up.run(until=position)
        if position % 3 == 0:
            ledger.projection.forget()
    bases = ledger.view._all("SELECT base FROM {p}policy_states")
    assert any(r["base"] is not None for r in bases) == (chain > 0)
    assert read_model(ledger) == expected
    for row in ledger.view._all("SELECT number, state_id FROM {p}policy_states"):
        body = ledger.view.state_body(row["number"])
        assert body is not None
        assert hashlib.sha256(body.encode()).hexdigest() == bytes(row["state_id"]).hex()


def test_a_rebuild_is_tracked_at_the_head_of_the_log(ledger: Services, clock: Any) -> None:
    record_everything(ledger, clock, between=lambda: None)
    rebuild(ledger)
    assert ledger.catch_up.position() == ledger.catch_up.head() > 0
    assert ledger.catch_up.lag() == 0


def test_a_read_model_of_another_shape_is_dropped_and_projected_again_on_open(
    open_ledger: Callable[..., Services], clock: Any
) -> None:
    old = open_ledger(clock)
    record_everything(old, clock, between=lambda: None)
    old.catch_up.run()
    expected = read_model(old)
    with old.view._cursor(commit=True) as c:  # as a release with another table shape left it
        c.execute(old.view._sql("UPDATE {p}policy_read_model SET version = 1"))

    reopened = open_ledger(clock)
    dropped = read_model(reopened)
    reopened.catch_up.run()

    assert dropped["countries"] == []
    assert dropped["segments"] == []
    assert read_model(reopened) == expected
    assert read_model(open_ledger(clock)) == expected  # and a third open keeps it


# Exactly once ------------------------------------------------------------------------------


def test_two_processes_catching_up_in_turn_project_each_event_once(
    ledger: Services, open_ledger: Callable[..., Services], clock: Any
) -> None:
    other = open_ledger(clock)
    turns = itertools.count()

    def both_catch_up() -> None:
        first, second = (ledger, other) if next(turns) % 2 else (other, ledger)
        first.catch_up.run()
        second.catch_up.run()

    record_everything(ledger, clock, between=both_catch_up)
    incremental = read_model(ledger)
    assert read_model(other) == incremental
    assert ledger.catch_up.position() == other.catch_up.position() == ledger.catch_up.head()
    assert rebuild(ledger) == incremental


def test_two_processes_racing_to_catch_up_project_each_event_once(
    ledger: Services,
    open_ledger: Callable[..., Services],
    clock: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Pages of one event: many chances to collide, and colliding pages end at the same id.
    monkeypatch.setattr(catchup, "PAGE", 1)
    record_everything(ledger, clock, between=lambda: None)
    racers = [open_ledger(clock), open_ledger(clock)]
    start = threading.Barrier(len(racers))
    failures: list[BaseException] = []

    def race(racer: Services) -> None:
        start.wait()
        try:
            racer.catch_up.run()
        except BaseException as error:  # reported below, with the test's own assertion
            failures.append(error)

    threads = [threading.Thread(target=race, args=(r,)) for r in racers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    incremental = read_model(ledger)
    assert ledger.catch_up.position() == ledger.catch_up.head()
    assert rebuild(ledger) == incremental


def test_a_projector_that_read_a_stale_position_writes_nothing_twice(
    ledger: Services, open_ledger: Callable[..., Services], clock: Any
) -> None:
    record_worked_history(ledger, clock)
    stale = open_ledger(clock)
    stale.catch_up.run()
    position = stale.catch_up.position()
    clock.set(at(2025, 4, 1))
    ledger.app.record_amendment(
        "PK",
        khyber_pakhtunkhwa_lower(),
        author="editor",
        expected_version=ledger.app.version_of("PK"),
    )
    record_afghanistan(ledger, clock, at(2025, 4, 2))
    apply = stale.view.apply

    def apply_after_another_process_committed(*args: Any, **kwargs: Any) -> None:
        stale.view.apply = apply  # type: ignore[method-assign]
        ledger.catch_up.run(until=position + 1)  # after `stale` read the position
        apply(*args, **kwargs)

    stale.view.apply = apply_after_another_process_committed  # type: ignore[method-assign]
    stale.catch_up.run()
    incremental = read_model(ledger)
    assert ledger.catch_up.position() == ledger.catch_up.head()
    zero_length = [r for r in incremental["segments"] if r["recorded_from"] == r["recorded_to"]]
    assert zero_length == []
    assert rebuild(ledger) == incremental


def test_a_page_read_before_another_process_projected_it_is_not_applied_again(
    ledger: Services, open_ledger: Callable[..., Services], clock: Any
) -> None:
    # The same race one step earlier: the other process commits after `stale` read its
    # page of events but before it looked at the position again. Found by killing the
    # active projector beside two servers (tests/api/test_projector.py).
    record_worked_history(ledger, clock)
    stale = open_ledger(clock)
    stale.catch_up.run()  # its in-memory chronicles are current
    clock.set(at(2025, 4, 1))
    ledger.app.record_amendment(
        "PK",
        khyber_pakhtunkhwa_lower(),
        author="editor",
        expected_version=ledger.app.version_of("PK"),
    )
    record_afghanistan(ledger, clock, at(2025, 4, 2))
    recorder: Any = stale.app.recorder
    select = recorder.select_notifications

    def select_then_another_process_projects(*args: Any, **kwargs: Any) -> Any:
        recorder.select_notifications = select
        page = select(*args, **kwargs)
        ledger.catch_up.run()  # the whole page, committed before `stale` applies it
        return page

    recorder.select_notifications = select_then_another_process_projects
    stale.catch_up.run()
    incremental = read_model(ledger)
    assert ledger.catch_up.position() == ledger.catch_up.head()
    assert rebuild(ledger) == incremental


# Retractions that merge segments -----------------------------------------------------------


class StuckError(Exception):
    """The catch-up went round without moving its position."""


def fail_if_stuck(ledger: Services) -> Callable[[int, int], None]:
    last = ledger.catch_up.position()

    def progress(done: int, target: int) -> None:
        nonlocal last
        if done <= last:
            raise StuckError(f"catch-up stuck at {done} of {target}")
        last = done

    return progress


def test_retracting_the_amendment_that_began_a_segment_merges_it_into_the_one_before(
    ledger: Services, clock: Any
) -> None:
    history = record_worked_history(ledger, clock)
    ledger.catch_up.run()
    clock.set(at(2025, 4, 1))
    ledger.app.retract_amendment(
        "PK",
        history.decree_b,
        reason="superseded",
        author="editor",
        expected_version=ledger.app.version_of("PK"),
    )
    ledger.catch_up.run(progress=fail_if_stuck(ledger))
    versions = ledger.reads.as_projected.versions("PK", NOW)["versions"]
    assert [(v["valid_from"], v["valid_to"]) for v in versions] == [("2024-11-26", None)]
    incremental = read_model(ledger)
    assert rebuild(ledger) == incremental


def test_a_write_conflict_that_is_not_a_lost_race_is_raised_not_retried_forever(
    ledger: Services, clock: Any
) -> None:
    record_worked_history(ledger, clock)
    day = dt.date(2024, 11, 26).toordinal()
    stray = f"INSERT INTO {{p}}policy_segments VALUES ('PK', {day}, NULL, 0, NULL, 1)"
    with ledger.view._cursor(commit=True) as c:  # an open row no projection of this log writes
        c.execute(ledger.view._sql(stray))
    with pytest.raises(IntegrityError):
        ledger.catch_up.run(progress=fail_if_stuck(ledger))


# A crash mid-page --------------------------------------------------------------------------


def crash_on_the_second_page(ledger: Services) -> Callable[[], None]:
    """Makes the view raise after writing a page's segments, on its second page only."""
    write_segments = ledger.view._write_segments
    pages = itertools.count(1)

    def write_then_crash(c: Any, batch: Any) -> None:
        write_segments(c, batch)
        if next(pages) == 2:
            raise CrashError("the process died after writing segments")

    def restore() -> None:
        ledger.view._write_segments = write_segments  # type: ignore[method-assign]

    ledger.view._write_segments = write_then_crash  # type: ignore[method-assign]
    return restore


def test_a_crash_mid_page_leaves_the_last_good_page_and_nothing_of_the_failed_one(
    ledger: Services, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catchup, "PAGE", 2)
    record_everything(ledger, clock, between=lambda: None)
    restore = crash_on_the_second_page(ledger)
    with pytest.raises(CrashError):
        ledger.catch_up.run()
    after_crash = read_model(ledger)
    restore()
    assert ledger.catch_up.position() == 2  # the first page (events 1..2) and no further
    assert len(after_crash["amendments"]) == 1  # letter A; nothing of events 3..4
    assert after_crash == rebuild(ledger, until=2)


def test_after_a_crash_mid_page_catching_up_again_equals_a_rebuild(
    ledger: Services, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catchup, "PAGE", 2)
    record_everything(ledger, clock, between=lambda: None)
    restore = crash_on_the_second_page(ledger)
    with pytest.raises(CrashError):
        ledger.catch_up.run()
    restore()
    ledger.catch_up.run()
    assert ledger.catch_up.position() == ledger.catch_up.head()
    resumed = read_model(ledger)
    assert rebuild(ledger) == resumed


# Resuming ----------------------------------------------------------------------------------


def test_a_new_process_catches_up_only_the_events_after_the_tracked_position(
    ledger: Services, open_ledger: Callable[..., Services], clock: Any
) -> None:
    history = record_worked_history(ledger, clock)
    ledger.catch_up.run()
    tracked = ledger.catch_up.position()
    record_afghanistan(ledger, clock, at(2025, 3, 2))
    clock.set(at(2025, 3, 3))
    ledger.app.retract_amendment(
        "PK",
        history.letter_a,
        reason="superseded",
        author="editor",
        expected_version=ledger.app.version_of("PK"),
    )
    fresh = open_ledger(clock)
    projected: list[int] = []
    process_events = fresh.projection.process_events

    def spy(events: Any, after: int | None = None) -> None:
        projected.extend(tracking.notification_id for _, tracking in events)
        process_events(events, after=after)

    fresh.projection.process_events = spy  # type: ignore[method-assign]
    fresh.catch_up.run()
    assert projected == list(range(tracked + 1, fresh.catch_up.head() + 1))
    assert len(projected) == 3  # AF opened, AF amendment, PK retraction
    resumed = read_model(fresh)
    assert rebuild(fresh) == resumed
