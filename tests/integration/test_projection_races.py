"""The projection when several processes catch up at once (found by the concurrent-editors
test, tests/api/test_contention.py, with two server workers on PostgreSQL).

A process reads the tracked position and the page of events after it; before it projects
the page, another process projects the same events and commits. The first must not apply
its page on top (the events would count twice: an act listed twice in an element), but
resume after the other's position.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from api.bootstrap import Services
from integration.worked_history import (
    at,
    read_model,
    rebuild,
    record_afghanistan,
    record_worked_history,
)


def test_a_page_read_before_another_process_projected_it_is_not_applied_twice(
    ledger: Services, open_ledger: Callable[..., Services], clock: Any
) -> None:
    record_worked_history(ledger, clock)
    record_afghanistan(ledger, clock, at(2025, 3, 2))
    late, other = open_ledger(clock), open_ledger(clock)
    read_page = late.app.recorder.select_notifications

    def read_then_lose_the_race(*args: Any, **kwargs: Any) -> Any:
        page = read_page(*args, **kwargs)
        late.app.recorder.select_notifications = read_page  # type: ignore[method-assign]
        other.catch_up.run()  # projects and commits the same events first
        return page

    late.app.recorder.select_notifications = read_then_lose_the_race  # type: ignore[method-assign]
    late.catch_up.run()

    assert late.catch_up.position() == late.catch_up.head()
    projected = read_model(late)
    doubled = [
        e["element"]
        for e in projected["elements"]
        if e["body"].count('"amendment"') > len(set(_acts(e["body"])))
    ]
    assert doubled == []
    assert rebuild(late) == projected


def _acts(body: str) -> list[str]:

    return [a["amendment"] + a["action"] for a in json.loads(body)["acts"]]
