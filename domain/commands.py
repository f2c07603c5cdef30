"""What a caller asks the ledger to record: the drafts behind the commands."""

from __future__ import annotations

from pydantic import Field

from events.payloads import Text
from events.vocabulary import Change, Day, Frozen, Label, Source


class AmendmentDraft(Frozen):
    """One legal act as an editor states it, before the ledger accepts it."""

    announced_on: Day
    in_force_from: Day | None = Field(
        default=None, description="Absent: announced, in-force date not known yet."
    )
    attestation: bool = Field(
        default=False,
        description="True when the act attests what already held rather than changing it.",
    )
    title: Label | None = None
    sources: tuple[Source, ...] = Field(max_length=50)
    rationale: Text = ""
    changes: tuple[Change, ...] = Field(max_length=500)
