"""Stored event payloads: what the ledger records, one frozen model per event and version.

Each payload carries its schema version; `events.upcasting` turns older stored shapes into
the current one before these models read them.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, StringConstraints

from events.vocabulary import Change, Frozen, Label, Source

Author = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(max_length=20000)]


def _unstated(value: object) -> bool:
    return value is None


# When the act was published, if stated; absent from the stored payload otherwise, so an event
# recorded without it keeps the bytes (and hash) of every event stored before the field
# existed. Read as "published the day it was recorded" (domain.records).
AnnouncedOn = Annotated[dt.date | None, Field(default=None, exclude_if=_unstated)]


class AmendmentRecordedV1(Frozen):
    """One legal act recorded with all its changes: the unit of writing."""

    amendment_id: str
    country: str
    announced_on: dt.date
    in_force_from: dt.date | None
    attestation: bool = False
    title: Label | None = None
    sources: tuple[Source, ...]
    rationale: Text
    author: Author
    changes: tuple[Change, ...]


class InForceDateRecordedV1(Frozen):
    """The in-force date of an announced amendment, learned after it was recorded.

    `announced_on` (when that date was published) is stored only when stated.
    """

    amendment_id: str
    country: str
    in_force_from: dt.date
    author: Author
    announced_on: AnnouncedOn = None


class AmendmentRetractedV1(Frozen):
    """An amendment withdrawn from every later answer; nothing is deleted.

    Stored by releases before version 2; read through `upcasting.amendment_retracted_v1_v2`.
    """

    amendment_id: str
    country: str
    reason: Text
    author: Author


class AmendmentRetractedV2(Frozen):
    """An amendment withdrawn from every later answer, citing the act that withdrew it
    (a court ruling, a correcting letter) when there is one; nothing is deleted.

    `source` is always stated, null when none was given (as in every version 1 event).
    `announced_on` (when the retraction was published) is stored only when stated.
    """

    amendment_id: str
    country: str
    reason: Text
    source: Source | None
    author: Author
    announced_on: AnnouncedOn = None


AmendmentRecorded = AmendmentRecordedV1
InForceDateRecorded = InForceDateRecordedV1
AmendmentRetracted = AmendmentRetractedV2
