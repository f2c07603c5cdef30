"""Checks an amendment must pass before it is recorded (`check_*` raise specific errors)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from domain.commands import AmendmentDraft
from domain.countries import check_region
from domain.effects import apply, change_effects, element_ids
from domain.errors import (
    DuplicateGroupError,
    ElementNotStatedError,
    GroupNotDesignatedError,
    InvalidMoratoriumError,
    InvalidSourceError,
    NoChangesError,
    NoSourcesError,
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
    ReplaceGroups,
    RevokeGroup,
    SetArticle15c,
    SetInternalProtectionAlternative,
    Source,
    SourceKind,
    Withdraw,
)


def check_amendment(
    country: str, draft: AmendmentDraft, records: Sequence[AmendmentRecord]
) -> None:
    check_has_sources(draft)
    check_has_changes(draft)
    check_regions(country, draft)
    check_moratoria(draft)
    check_replacements(draft)
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


def check_has_changes(draft: AmendmentDraft) -> None:
    if not draft.changes:
        raise NoChangesError("an amendment must make at least one change", field="changes")


def check_regions(country: str, draft: AmendmentDraft) -> None:
    for i, change in enumerate(draft.changes):
        if isinstance(change, SetArticle15c | SetInternalProtectionAlternative) and change.region:
            check_region(country, change.region, field=f"changes.{i}.region")
        if isinstance(change, Reaffirm | Withdraw) and (
            region := region_of_element(change.element)
        ):
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


def check_replacements(draft: AmendmentDraft) -> None:
    """A whole list names each group once."""
    for i, change in enumerate(draft.changes):
        if not isinstance(change, ReplaceGroups):
            continue
        seen: set[str] = set()
        for j, listed in enumerate(change.groups):
            if listed.group in seen:
                raise DuplicateGroupError(
                    f"group '{listed.group}' is listed twice in the {change.category.value} list",
                    field=f"changes.{i}.groups.{j}.group",
                )
            seen.add(listed.group)


def check_groups_designated(draft: AmendmentDraft, records: Sequence[AmendmentRecord]) -> None:
    """Revoking or relabelling needs the group designated (a declined group is not) on the
    amendment's date, and withdrawing needs the element stated then.

    The date is the in-force date, or for a pending amendment its announcement; earlier
    changes of the same amendment count.
    """
    needs_state = RevokeGroup | RelabelGroup | Withdraw
    elements = {element_ids(c) for c in draft.changes if isinstance(c, needs_state)}
    if not elements:
        return
    on = draft.in_force_from or draft.announced_on
    state = state_on(records, on, END_OF_TIME, only=frozenset(elements)) or {}
    for i, change in enumerate(draft.changes):
        element = element_ids(change)
        current = state.get(element)
        if isinstance(change, RevokeGroup) and (
            current is None
            or current.value["category"] != change.category.value
            or current.value.get("declined")
        ):
            raise GroupNotDesignatedError(
                f"group '{change.group}' is not designated as {change.category.value} on {on}",
                field=f"changes.{i}.group",
            )
        if isinstance(change, RelabelGroup) and current is None:
            raise GroupNotDesignatedError(
                f"group '{change.group}' is not designated on {on}", field=f"changes.{i}.group"
            )
        if isinstance(change, Withdraw) and current is None:
            raise ElementNotStatedError(
                f"'{change.element}' is not stated on {on}: there is nothing to withdraw",
                field=f"changes.{i}.element",
            )
        for effect in change_effects(change, on, 1 << 62, i, "draft"):
            if effect.on == on:  # a moratorium's lapse comes later
                apply(state, effect)
