"""What a caller asks the ledger to record: the drafts behind the commands."""

from __future__ import annotations

from pydantic import Field

from events.payloads import Text
from events.vocabulary import Change, Day, Frozen, Label, Source


class AmendmentDraft(Frozen):
    """One legal act as an editor states it, before the ledger accepts it.

    The one declaration of a draft's fields: what a request or a file states beside them
    (an expected version, a country) is added by subclassing, and `draft()` drops it again.
    """

    announced_on: Day
    in_force_from: Day | None = Field(
        default=None, description="Omit when the in-force date is not known yet (pending)."
    )
    attestation: bool = Field(
        default=False,
        description="True when the act attests what already held rather than changing it.",
    )
    title: Label | None = None
    sources: tuple[Source, ...] = Field(max_length=50, description="At least one.")
    rationale: Text = ""
    changes: tuple[Change, ...] = Field(max_length=500, description="At least one.")

    def draft(self) -> AmendmentDraft:
        """The draft alone, without the fields a subclass adds."""
        return AmendmentDraft.model_validate(self.model_dump(include=set(_DRAFT_FIELDS)))


_DRAFT_FIELDS = tuple(AmendmentDraft.model_fields)
