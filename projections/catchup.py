"""Catching the projection up with the event log: one pull pass at a time (`CatchUp.run`).

Readers and writers run a pass on demand (read-your-writes); the `run-projections` loop
(projections/projector.py, `Projector`) runs one whenever a write may have been committed.

The library's `ProjectionRunner` needs a recorder that can `subscribe()`, which the SQLite
recorder cannot (eventsourcing 9.5.6), so this pull loop reads the log from the view's
tracking position in pages and hands each page to the projection as one transaction. It
works the same on PostgreSQL. Only events after the tracking position are read, so running
it twice, or from two processes, projects each event exactly once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, Tracking

from projections.policy import PolicyProjection, collection_paused

PAGE = 1000
Progress = Callable[[int, int], None]


class CatchUp:
    """One pass brings the projection up to the log's head (or a given position) and ends."""

    def __init__(self, app: Application[Any], projection: PolicyProjection) -> None:
        self.app = app
        self.projection = projection
        self._lock = threading.Lock()
        self.stopping = threading.Event()  # set: a run ends after its current page

    def position(self) -> int:
        return self.projection.policy_view.max_tracking_id(self.app.name) or 0

    def head(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def lag(self) -> int:
        return self.head() - self.position()

    def run(self, until: int | None = None, progress: Progress | None = None) -> int:
        """Projects every event up to `until` (default: the head of the log now)."""
        with self._lock:
            target = self.head() if until is None else until
            position = self.position()
            while position < target and not self.stopping.is_set():
                try:
                    position = self._project_page(position, target)
                except IntegrityError:
                    # Another process tracked these events first: resume after its position.
                    # If the position did not move, the conflict is not a lost race.
                    self.projection.forget()
                    moved_to = self.position()
                    if moved_to <= position:
                        raise
                    position = moved_to
                if progress is not None:
                    progress(position, target)
            return position

    def _project_page(self, position: int, target: int) -> int:
        notifications = self.app.recorder.select_notifications(
            start=position + 1, limit=PAGE, stop=target
        )
        if not notifications:
            return target
        mapper = self.app.mapper
        with collection_paused():  # decoding a page allocates as much as projecting it
            events = [
                (mapper.to_domain_event(n), Tracking(self.app.name, n.id)) for n in notifications
            ]
            self.projection.process_events(events, after=position)
        return notifications[-1].id
