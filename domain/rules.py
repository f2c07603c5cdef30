"""Checks an amendment must pass before it is recorded (`check_*` raise specific errors)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence

from domain.commands import AmendmentDraft
from domain.countries import check_region
from domain.effects import apply, change_effects, element_ids
from domain.errors import (
    AreaNotDefinedError,
    DuplicateGroupError,
    ElementNotStatedError,
    GroupNotDesignatedError,
    InvalidMoratoriumError,
    InvalidScopeError,
    InvalidSourceError,
    NoChangesError,
    NoSourcesError,
    PublicationDateError,
    SourceIndexError,
    UnknownGroupError,
)
from domain.fold import ElementLines
from domain.instants import END_OF_TIME
from domain.places import area_of, parse_element, region_of
from domain.records import AmendmentRecord
from events.vocabulary import (
    ECLI_PATTERN,
    Change,
    DefineArea,
    DesignateGroup,
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
    country: str,
    draft: AmendmentDraft,
    records: Collection[AmendmentRecord],
    known: ElementLines,
) -> None:
    """`records`: the country's amendments; `known`: the element lines they make as known
    now (the aggregate keeps both current, so a check costs the same at any history)."""
    check_has_sources(draft)
    check_has_changes(draft)
    check_regions(country, draft)
    check_areas_defined(draft, records, known)
    check_moratoria(draft)
    check_change_sources(draft)
    check_exception_groups(draft, records)
    check_replacements(draft)
    check_groups_designated(draft, known)


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
    """Every region a change names (its `region`, its `scope`, the area it defines, the
    element it reaffirms) is a subdivision of the amendment's country."""
    for i, change in enumerate(draft.changes):
        if isinstance(change, SetArticle15c | SetInternalProtectionAlternative) and change.region:
            check_region(country, change.region, field=f"changes.{i}.region")
            if change.scope is not None:
                raise InvalidScopeError(
                    "give either `region` or `scope`, not both", field=f"changes.{i}.scope"
                )
        scope = getattr(change, "scope", None)
        for j, region in enumerate(scope.regions if scope is not None else ()):
            check_region(country, region, field=f"changes.{i}.scope.regions.{j}")
        if isinstance(change, DefineArea):
            for j, region in enumerate(change.within):
                check_region(country, region, field=f"changes.{i}.within.{j}")
        if isinstance(change, Reaffirm | Withdraw) and (
            region := region_of_element(change.element)
        ):
            check_region(country, region, field=f"changes.{i}.element")


def region_of_element(element: str) -> str | None:
    """The ISO 3166-2 region an element id names, if any (article_15c:PK-BA, ipa:g:PK-BA,
    group:pti:IQ-BG)."""
    return region_of(parse_element(element).place)


def check_areas_defined(
    draft: AmendmentDraft, records: Collection[AmendmentRecord], known: ElementLines
) -> None:
    """A scope (or a reaffirmed element) names only areas defined by the amendment's date:
    in force on it, announced by it in a pending amendment, or defined earlier in the same
    amendment."""
    on = draft.in_force_from or draft.announced_on
    named: list[tuple[str, str]] = []  # (area, field)
    for i, change in enumerate(draft.changes):
        scope = getattr(change, "scope", None)
        for j, area in enumerate(scope.areas if scope is not None else ()):
            named.append((area, f"changes.{i}.scope.areas.{j}"))
        if isinstance(change, Reaffirm) and (area := area_of(parse_element(change.element).place)):
            named.append((area, f"changes.{i}.element"))
    if not named:
        return
    defined = areas_defined(records, known, on)
    defined.update(c.area for c in draft.changes if isinstance(c, DefineArea))
    for area, field in named:
        if area not in defined:
            raise AreaNotDefinedError(
                f"area '{area}' is not defined on {on} (define it with define_area)", field=field
            )


def areas_defined(
    records: Collection[AmendmentRecord], known: ElementLines, on: dt.date
) -> set[str]:
    """The areas defined on `on` as known now: in force, or in a pending amendment
    announced by then."""
    areas = [key for key in known.elements() if key.startswith("area:")]
    defined = {key.partition(":")[2] for key in known.state_on(on, areas)}
    for record in records:
        if record.is_pending_on(on, END_OF_TIME):
            defined.update(c.area for c in record.changes if isinstance(c, DefineArea))
    return defined


def check_moratoria(draft: AmendmentDraft) -> None:
    start = draft.in_force_from or draft.announced_on
    check_moratoria_start(draft.changes, start, field="changes.{i}.{end}")


def check_moratoria_start(changes: Sequence[Change], start: dt.date, *, field: str) -> None:
    """A moratorium must end after the day its amendment comes into force. `field` may name
    the change ({i}) and how its end was stated ({end}: until or through)."""
    for i, change in enumerate(changes):
        if not isinstance(change, ImposeMoratorium) or change.end is None:
            continue
        if change.end <= start:
            stated = "through" if change.through is not None else "until"
            last = change.end - dt.timedelta(days=1)
            raise InvalidMoratoriumError(
                f"the moratorium ends ({stated} {change.through or change.until}: its last day "
                f"is {last}) before it starts ({start})",
                field=field.format(i=i, end=stated),
            )


def check_change_sources(draft: AmendmentDraft) -> None:
    """A change's own sources are indices into its amendment's sources."""
    for i, change in enumerate(draft.changes):
        for j, index in enumerate(change.sources):
            if index >= len(draft.sources):
                raise SourceIndexError(
                    f"source {index} of change {i}: the amendment cites {len(draft.sources)} "
                    f"source(s), numbered from 0",
                    field=f"changes.{i}.sources.{j}",
                )


def labelled_groups(changes: Iterable[Change]) -> set[str]:
    """The group ids changes give labels to: designations, and any change that names a group
    with its labels (a decline) or lists groups with theirs (a whole list)."""
    found: set[str] = set()
    for change in changes:
        if isinstance(change, DesignateGroup) or hasattr(change, "label_nl"):
            group = getattr(change, "group", None)
            if isinstance(group, str) and not isinstance(change, RelabelGroup):
                found.add(group)
        for listed in getattr(change, "groups", None) or ():
            if isinstance(getattr(listed, "group", None), str):
                found.add(listed.group)
    return found


def check_exception_groups(draft: AmendmentDraft, records: Collection[AmendmentRecord]) -> None:
    """An exception's `group` must be one the country's ledger knows: labelled (designated or
    declined) by this amendment or by any amendment recorded for the country, at any date,
    pending and retracted ones included (the ledger keeps what they named)."""
    named = [
        (i, j, e.group)
        for i, change in enumerate(draft.changes)
        for j, e in enumerate(getattr(change, "exceptions", ()))
        if e.group is not None
    ]
    if not named:
        return
    known = labelled_groups(draft.changes)
    for record in records:
        known |= labelled_groups(record.changes)
    for i, j, group in named:
        if group not in known:
            raise UnknownGroupError(
                f"group '{group}' is not known in this country: designate or decline it "
                f"first, or state the exception in words only",
                field=f"changes.{i}.exceptions.{j}.group",
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


def check_groups_designated(draft: AmendmentDraft, known: ElementLines) -> None:
    """Revoking or relabelling needs the group designated (a declined group is not) on the
    amendment's date, and withdrawing needs the element stated then.

    The date is the in-force date, or for a pending amendment its announcement; earlier
    changes of the same amendment count.
    """
    needs_state = RevokeGroup | RelabelGroup | Withdraw
    elements = {e for c in draft.changes if isinstance(c, needs_state) for e in element_ids(c)}
    if not elements:
        return
    on = draft.in_force_from or draft.announced_on
    state = known.state_on(on, elements)
    for i, change in enumerate(draft.changes):
        for element in element_ids(change):
            current = state.get(element)
            where = _where(element)
            if isinstance(change, RevokeGroup) and (
                current is None
                or current.value["category"] != change.category.value
                or current.value.get("declined")
            ):
                raise GroupNotDesignatedError(
                    f"group '{change.group}' is not designated as {change.category.value}"
                    f"{where} on {on}",
                    field=f"changes.{i}.group",
                )
            if isinstance(change, RelabelGroup) and current is None:
                raise GroupNotDesignatedError(
                    f"group '{change.group}' is not designated{where} on {on}",
                    field=f"changes.{i}.group",
                )
            if isinstance(change, Withdraw) and current is None:
                raise ElementNotStatedError(
                    f"'{change.element}' is not stated on {on}: there is nothing to withdraw",
                    field=f"changes.{i}.element",
                )
        for effect in change_effects(change, on, 1 << 62, i, "draft"):
            if effect.on == on:  # a moratorium's lapse comes later
                apply(state, effect)


def _where(element: str) -> str:
    place = parse_element(element).place
    return f" in {place}" if place else ""
