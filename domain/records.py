"""What the ledger knows about one amendment, and when it came to know it.

An `AmendmentRecord` is the input of the temporal fold. It holds its own knowledge timeline
(recorded, in-force date learned, retracted), so the same record answers for any moment T,
and the publication date of each of those acts, so it answers for any publication date P
(`as_published`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
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
    # Publication dates as stated when the in-force date / the retraction was recorded; None
    # when none was stated (every event stored before publication time existed).
    in_force_announced_on: dt.date | None = None
    retraction_announced_on: dt.date | None = None

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

    def with_in_force(
        self, on: dt.date, at: dt.datetime, announced_on: dt.date | None = None
    ) -> AmendmentRecord:
        return replace(
            self, in_force_learned=on, in_force_learned_at=at, in_force_announced_on=announced_on
        )

    def with_retraction(
        self,
        reason: str,
        at: dt.datetime,
        source: Source | None = None,
        announced_on: dt.date | None = None,
    ) -> AmendmentRecord:
        return replace(
            self,
            retracted_at=at,
            retraction_reason=reason,
            retraction_source=source,
            retraction_announced_on=announced_on,
        )

    # Publication time ---------------------------------------------------------------------

    @property
    def in_force_published_on(self) -> dt.date | None:
        """When the in-force date learned later was published: as stated, else (as for every
        event stored before publication dates were) the UTC day it was recorded."""
        if self.in_force_learned_at is None:
            return None
        return self.in_force_announced_on or self.in_force_learned_at.astimezone(dt.UTC).date()

    @property
    def retraction_published_on(self) -> dt.date | None:
        """When the retraction was published: as stated, else the UTC day it was recorded."""
        if self.retracted_at is None:
            return None
        return self.retraction_announced_on or self.retracted_at.astimezone(dt.UTC).date()

    def as_published(self, by: dt.date) -> AmendmentRecord | None:
        """The record with only the acts published on or before `by`: None when the
        amendment itself was not (its `announced_on` is later); without its learned in-force
        date or its retraction when those were published later. An in-force date stated
        with the amendment is published with it."""
        if self.announced_on > by:
            return None
        record = self
        published = self.in_force_published_on
        if published is not None and published > by:
            record = replace(
                record, in_force_learned=None, in_force_learned_at=None, in_force_announced_on=None
            )
        published = self.retraction_published_on
        if published is not None and published > by:
            record = replace(
                record,
                retracted_at=None,
                retraction_reason=None,
                retraction_source=None,
                retraction_announced_on=None,
            )
        return record

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


def as_published(records: Iterable[AmendmentRecord], by: dt.date | None) -> list[AmendmentRecord]:
    """The records as the acts published on or before `by` leave them (None: all of them).

    Publication filters beside knowledge time: an act counts in an answer when it was
    published by P *and* recorded by T, so the fold applies T to these records as to any.
    """
    if by is None:
        return list(records)
    return [p for r in records if (p := r.as_published(by)) is not None]


def knowledge_moments(records: list[AmendmentRecord]) -> list[dt.datetime]:
    """Every moment at which what the records say changed, in order."""
    moments = {r.recorded_at for r in records}
    moments.update(r.in_force_learned_at for r in records if r.in_force_learned_at)
    moments.update(r.retracted_at for r in records if r.retracted_at)
    return sorted(moments)
