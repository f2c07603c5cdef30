"""Checks an amendment must pass before it is recorded (`check_*` raise specific errors)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from domain.commands import AmendmentDraft
from domain.countries import check_region
from domain.effects import apply, effects_of
from domain.errors import (
    GroupNotDesignatedError,
    InvalidMoratoriumError,
    InvalidSourceError,
    NoChangesError,
    NoSourcesError,
)
from domain.fold import state_on
from domain.records import AmendmentRecord
from events.vocabulary import (
    ECLI_PATTERN,
    ImposeMoratorium,
    RelabelGroup,
    RevokeGroup,
    SetArticle15c,
    SetInternalProtectionAlternative,
    SourceKind,
)

END_OF_TIME = dt.datetime.max.replace(tzinfo=dt.UTC)


def check_amendment(
    country: str, draft: AmendmentDraft, records: Sequence[AmendmentRecord]
) -> None:
    check_has_sources(draft)
    check_has_changes(draft)
    check_regions(country, draft)
    check_moratoria(draft)
    check_groups_designated(draft, records)


def check_has_sources(draft: AmendmentDraft) -> None:
    if not draft.sources:
        raise NoSourcesError("an amendment must cite at least one source", field="sources")
    for i, source in enumerate(draft.sources):
        if source.kind is SourceKind.ECLI and not ECLI_PATTERN.match(source.reference):
            raise InvalidSourceError(
                f"'{source.reference}' is not an ECLI (e.g. ECLI:NL:RVS:2024:2927)",
                field=f"sources.{i}.reference",
            )


def check_has_changes(draft: AmendmentDraft) -> None:
    if not draft.changes:
        raise NoChangesError("an amendment must make at least one change", field="changes")


def check_regions(country: str, draft: AmendmentDraft) -> None:
    for i, change in enumerate(draft.changes):
        if isinstance(change, SetArticle15c | SetInternalProtectionAlternative) and change.region:
            check_region(country, change.region, field=f"changes.{i}.region")


def check_moratoria(draft: AmendmentDraft) -> None:
    start = draft.in_force_from or draft.announced_on
    for i, change in enumerate(draft.changes):
        if isinstance(change, ImposeMoratorium) and change.until and change.until <= start:
            raise InvalidMoratoriumError(
                f"the moratorium ends ({change.until}) on or before it starts ({start})",
                field=f"changes.{i}.until",
            )


def check_groups_designated(draft: AmendmentDraft, records: Sequence[AmendmentRecord]) -> None:
    """Revoking or relabelling needs the group designated on the amendment's date.

    The date is the in-force date, or for a pending amendment its announcement; earlier
    changes of the same amendment count.
    """
    on = draft.in_force_from or draft.announced_on
    state = state_on(records, on, END_OF_TIME) or {}
    effects = [e for e in effects_of("draft", 1 << 62, on, draft.changes) if e.action != "lapse"]
    for i, (change, effect) in enumerate(zip(draft.changes, effects, strict=True)):
        current = state.get(effect.element)
        if isinstance(change, RevokeGroup) and (
            current is None or current.value["category"] != change.category.value
        ):
            raise GroupNotDesignatedError(
                f"group '{change.group}' is not designated as {change.category.value} on {on}",
                field=f"changes.{i}.group",
            )
        if isinstance(change, RelabelGroup) and current is None:
            raise GroupNotDesignatedError(
                f"group '{change.group}' is not designated on {on}", field=f"changes.{i}.group"
            )
        apply(state, effect)
