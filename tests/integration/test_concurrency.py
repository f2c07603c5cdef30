"""Optimistic concurrency: of writers that read the same version, exactly one records.

Each writer is a `Services` wiring of its own on the same store, as separate processes would be. The
losers get VersionConflictError and the store holds the winner's amendment only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from api.bootstrap import Services
from domain.application import Recorded
from domain.errors import VersionConflictError
from integration.worked_history import NOW, at, khyber_pakhtunkhwa_lower, record_worked_history

RACERS = 8


@pytest.fixture
def version(ledger: Services, clock: Any) -> int:
    """PK with the worked history recorded: the version every writer reads."""
    record_worked_history(ledger, clock)
    clock.set(at(2025, 4, 1))
    current = ledger.app.version_of("PK")
    assert current is not None
    return current


def amendments_in_store(ledger: Services) -> int:
    ledger.catch_up.run()
    return len(ledger.reads.as_projected.timeline("PK", NOW)["amendments"])


def test_of_two_writers_that_read_the_same_version_only_the_first_records(
    ledger: Services, open_ledger: Callable[..., Services], clock: Any, version: int
) -> None:
    first, second = open_ledger(clock), open_ledger(clock)
    assert first.app.version_of("PK") == second.app.version_of("PK") == version
    head = ledger.catch_up.head()

    recorded = first.app.record_amendment(
        "PK", khyber_pakhtunkhwa_lower(), author="first", expected_version=version
    )
    with pytest.raises(VersionConflictError) as conflict:
        second.app.record_amendment(
            "PK", khyber_pakhtunkhwa_lower(), author="second", expected_version=version
        )

    assert conflict.value.field == "expected_version"
    assert recorded.version == version + 1
    assert ledger.catch_up.head() == head + 1  # one event: the winner's amendment
    assert amendments_in_store(ledger) == 4
    timeline = ledger.reads.as_projected.timeline("PK", NOW)["amendments"]
    assert timeline[-1]["author"] == "first"


def test_a_writer_that_lost_can_read_again_and_record(
    open_ledger: Callable[..., Services], clock: Any, version: int
) -> None:
    first, second = open_ledger(clock), open_ledger(clock)
    second.app.version_of("PK")  # second reads (and caches) the policy at `version`
    first.app.record_amendment(
        "PK", khyber_pakhtunkhwa_lower(), author="first", expected_version=version
    )
    with pytest.raises(VersionConflictError):
        second.app.record_amendment(
            "PK", khyber_pakhtunkhwa_lower(), author="second", expected_version=version
        )
    again = second.app.version_of("PK")
    assert again == version + 1
    recorded = second.app.record_amendment(
        "PK", khyber_pakhtunkhwa_lower(), author="second", expected_version=again
    )
    assert recorded.version == version + 2
    assert amendments_in_store(second) == 5


def test_of_writers_racing_in_threads_exactly_one_records_and_the_rest_conflict(
    ledger: Services, open_ledger: Callable[..., Services], clock: Any, version: int
) -> None:
    writers = [open_ledger(clock) for _ in range(RACERS)]
    for writer in writers:
        assert writer.app.version_of("PK") == version
    head = ledger.catch_up.head()
    start = threading.Barrier(RACERS)
    successes: list[Recorded] = []
    failures: list[BaseException] = []

    def write(number: int, writer: Services) -> None:
        start.wait()
        try:
            successes.append(
                writer.app.record_amendment(
                    "PK",
                    khyber_pakhtunkhwa_lower(),
                    author=f"writer-{number}",
                    expected_version=version,
                )
            )
        except BaseException as error:  # every failure is checked below
            failures.append(error)

    threads = [threading.Thread(target=write, args=(n, w)) for n, w in enumerate(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(successes) == 1
    assert len(failures) == RACERS - 1
    assert all(isinstance(f, VersionConflictError) for f in failures), failures
    assert successes[0].version == version + 1
    assert ledger.catch_up.head() == head + 1
    assert ledger.app.version_of("PK") == version + 1
    assert amendments_in_store(ledger) == 4
    # Every loser had its amendment applied to its cached policy when its save failed:
    # each reads the winner's amendment now, not its own unstored one.
    winner = successes[0].amendment_id
    for writer in writers:
        policy = writer.app.policy("PK")
        assert policy.version == version + 1
        assert list(policy.amendments)[-1] == winner
