"""What the ledger knows about one amendment, and when it came to know it.

An `AmendmentRecord` is the input of the temporal fold. It holds its own knowledge timeline
(recorded, in-force date learned, retracted), so the same record answers for any moment T.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from events.payloads import AmendmentRecordedV1
from events.vocabulary import Change, Source


class Status(StrEnum):
    PENDING = "pending"
    IN_FORCE = "in_force"
    RETRACTED = "retracted"


@dataclass(frozen=True, slots=True)
class AmendmentRecord:
    id: str
    country: str
    position: int  # the aggregate version that recorded it: record order within a country
    recorded_at: dt.datetime
    announced_on: dt.date
    in_force_from: dt.date | None  # as stated when recorded
    attestation: bool
    title: str | None
    sources: tuple[Source, ...]
    rationale: str
    author: str
    changes: tuple[Change, ...]
    in_force_learned: dt.date | None = None
    in_force_learned_at: dt.datetime | None = None
    retracted_at: dt.datetime | None = None
    retraction_reason: str | None = None
    retraction_source: Source | None = None

    def __deepcopy__(self, memo: dict[int, Any]) -> AmendmentRecord:
        # Immutable (frozen, holding frozen models): a copy of an aggregate may share it.
        return self

    @classmethod
    def from_payload(
        cls, payload: AmendmentRecordedV1, *, position: int, recorded_at: dt.datetime
    ) -> AmendmentRecord:
        return cls(
            id=payload.amendment_id,
            country=payload.country,
            position=position,
            recorded_at=recorded_at,
            announced_on=payload.announced_on,
            in_force_from=payload.in_force_from,
            attestation=payload.attestation,
            title=payload.title,
            sources=payload.sources,
            rationale=payload.rationale,
            author=payload.author,
            changes=payload.changes,
        )

    def payload(self) -> AmendmentRecordedV1:
        """The event payload that recorded this amendment (the inverse of from_payload)."""
        return AmendmentRecordedV1(
            amendment_id=self.id,
            country=self.country,
            announced_on=self.announced_on,
            in_force_from=self.in_force_from,
            attestation=self.attestation,
            title=self.title,
            sources=self.sources,
            rationale=self.rationale,
            author=self.author,
            changes=self.changes,
        )

    def with_in_force(self, on: dt.date, at: dt.datetime) -> AmendmentRecord:
        return replace(self, in_force_learned=on, in_force_learned_at=at)

    def with_retraction(
        self, reason: str, at: dt.datetime, source: Source | None = None
    ) -> AmendmentRecord:
        return replace(self, retracted_at=at, retraction_reason=reason, retraction_source=source)

    def is_known(self, at: dt.datetime) -> bool:
        return self.recorded_at <= at

    def is_retracted(self, at: dt.datetime) -> bool:
        return self.retracted_at is not None and self.retracted_at <= at

    def in_force_as_of(self, at: dt.datetime) -> dt.date | None:
        if self.in_force_from is not None:
            return self.in_force_from
        if self.in_force_learned_at is not None and self.in_force_learned_at <= at:
            return self.in_force_learned
        return None

    def status(self, at: dt.datetime) -> Status:
        if self.is_retracted(at):
            return Status.RETRACTED
        return Status.PENDING if self.in_force_as_of(at) is None else Status.IN_FORCE

    def applies_as_of(self, at: dt.datetime) -> dt.date | None:
        """The in-force date if this amendment counts in answers as known at `at`."""
        if not self.is_known(at) or self.is_retracted(at):
            return None
        return self.in_force_as_of(at)

    def is_pending_on(self, on: dt.date, at: dt.datetime) -> bool:
        return (
            self.is_known(at)
            and not self.is_retracted(at)
            and self.in_force_as_of(at) is None
            and self.announced_on <= on
        )


def knowledge_moments(records: list[AmendmentRecord]) -> list[dt.datetime]:
    """Every moment at which what the records say changed, in order."""
    moments = {r.recorded_at for r in records}
    moments.update(r.in_force_learned_at for r in records if r.in_force_learned_at)
    moments.update(r.retracted_at for r in records if r.retracted_at)
    return sorted(moments)
