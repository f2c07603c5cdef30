"""Checks an amendment must pass before it is recorded (`check_*` raise specific errors)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from domain.commands import AmendmentDraft
from domain.countries import check_region
from domain.effects import apply, change_effect, element_ids
from domain.errors import (
    GroupNotDesignatedError,
    InvalidMoratoriumError,
    InvalidSourceError,
    NoChangesError,
    NoSourcesError,
    PublicationDateError,
)
from domain.fold import state_on
from domain.instants import END_OF_TIME
from domain.records import AmendmentRecord
from events.vocabulary import (
    ECLI_PATTERN,
    Change,
    ImposeMoratorium,
    Reaffirm,
    RelabelGroup,
    RevokeGroup,
    SetArticle15c,
    SetInternalProtectionAlternative,
    Source,
    SourceKind,
)


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
        check_source(source, field=f"sources.{i}")


def check_source(source: Source, *, field: str) -> None:
    if source.kind is SourceKind.ECLI and not ECLI_PATTERN.match(source.reference):
        raise InvalidSourceError(
            f"'{source.reference}' is not an ECLI (e.g. ECLI:NL:RVS:2024:2927)",
            field=f"{field}.reference",
        )


def check_publication(
    announced_on: dt.date | None, record: AmendmentRecord, at: dt.datetime, *, field: str
) -> None:
    """The publication date of an in-force date or a retraction of `record`, recorded at
    `at`: not after the day it is recorded (what the ledger records has been published;
    a history entered years later has publication dates in the past), and not before the
    amendment it concerns was announced."""
    if announced_on is None:
        return
    recorded_on = at.astimezone(dt.UTC).date()
    if announced_on > recorded_on:
        raise PublicationDateError(
            f"{field} {announced_on} is after the day it is recorded ({recorded_on}): "
            "record an act once it has been published",
            field=field,
        )
    if announced_on < record.announced_on:
        raise PublicationDateError(
            f"{field} {announced_on} is before amendment {record.id} itself was announced "
            f"({record.announced_on})",
            field=field,
        )


def check_has_changes(draft: AmendmentDraft) -> None:
    if not draft.changes:
        raise NoChangesError("an amendment must make at least one change", field="changes")


def check_regions(country: str, draft: AmendmentDraft) -> None:
    for i, change in enumerate(draft.changes):
        if isinstance(change, SetArticle15c | SetInternalProtectionAlternative) and change.region:
            check_region(country, change.region, field=f"changes.{i}.region")
        if isinstance(change, Reaffirm) and (region := region_of_element(change.element)):
            check_region(country, region, field=f"changes.{i}.element")


def region_of_element(element: str) -> str | None:
    """The ISO 3166-2 region an element id names, if any (article_15c:PK-BA, ipa:g:PK-BA)."""
    kind, *rest = element.split(":")
    if kind == "article_15c" and rest and rest[0] != "default":
        return rest[0]
    if kind == "ipa" and len(rest) == 2:
        return rest[1]
    return None


def check_moratoria(draft: AmendmentDraft) -> None:
    start = draft.in_force_from or draft.announced_on
    check_moratoria_start(draft.changes, start, field="changes.{i}.until")


def check_moratoria_start(changes: Sequence[Change], start: dt.date, *, field: str) -> None:
    """A moratorium must end after the day its amendment comes into force."""
    for i, change in enumerate(changes):
        if isinstance(change, ImposeMoratorium) and change.until and change.until <= start:
            raise InvalidMoratoriumError(
                f"the moratorium ends ({change.until}) on or before it starts ({start})",
                field=field.format(i=i),
            )


def check_groups_designated(draft: AmendmentDraft, records: Sequence[AmendmentRecord]) -> None:
    """Revoking or relabelling needs the group designated on the amendment's date.

    The date is the in-force date, or for a pending amendment its announcement; earlier
    changes of the same amendment count.
    """
    groups = {element_ids(c) for c in draft.changes if isinstance(c, RevokeGroup | RelabelGroup)}
    if not groups:
        return
    on = draft.in_force_from or draft.announced_on
    state = state_on(records, on, END_OF_TIME, only=frozenset(groups)) or {}
    for i, change in enumerate(draft.changes):
        effect = change_effect(change, (on, 1 << 62, i, 0), "draft")
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
