"""Places in element ids, and which rule applies to a person from a place.

An element id is `<kind>[:<subject>][:<place>]`; the place, when there is one, always ends
it: an ISO 3166-2 region (`article_15c:PK-BA`, `ipa:general:PK-BA`, `group:pti:IQ-BG`) or a
defined area (`article_15c:area:baghdad-belts`, `moratorium:decision:area:mogadishu`). An
element without a place applies to the whole country (for Article 15(c), `default`).

Resolution: for a person from a region (and perhaps named areas), the most specific element
that exists wins: an area the person is in (in the order named), then the region, then its
parent regions (ISO nesting, nearest first), then the whole country.
"""

from __future__ import annotations

from typing import NamedTuple

from domain.countries import parent_regions

# Kinds whose id names a subject (group, topic, moratorium kind) before any place.
_WITH_SUBJECT = frozenset({"group", "protection", "ipa", "moratorium"})
COUNTRY = "country"  # the scope of an element without a place


class ElementRef(NamedTuple):
    kind: str
    subject: str  # group id, `general`, moratorium kind, note topic, area id; "" for none
    place: str | None  # a region code or `area:<id>`; None: the whole country


def parse_element(element: str) -> ElementRef:
    """The parts of an element id (see the grammar in docs/model.md)."""
    kind, _, rest = element.partition(":")
    if kind in _WITH_SUBJECT:
        subject, _, place = rest.partition(":")
        return ElementRef(kind, subject, place or None)
    if kind == "article_15c":
        return ElementRef(kind, "", None if rest == "default" else rest)
    return ElementRef(kind, rest, None)


def element_id(kind: str, subject: str, place: str | None) -> str:
    """The inverse of `parse_element`."""
    if kind == "article_15c":
        return f"article_15c:{place or 'default'}"
    parts = [kind, subject] if subject else [kind]
    return ":".join([*parts, place] if place else parts)


def scope_of(place: str | None) -> str:
    """How an answer names where an element applies: `country`, a region, or `area:<id>`."""
    return place or COUNTRY


def region_of(place: str | None) -> str | None:
    return place if place is not None and not place.startswith("area:") else None


def area_of(place: str | None) -> str | None:
    return place[len("area:") :] if place is not None and place.startswith("area:") else None


def place_chain(region: str | None, areas: tuple[str, ...] = ()) -> tuple[str | None, ...]:
    """The places whose rules could apply to a person from `region` in `areas`, most
    specific first, ending with None (the whole country)."""
    regions = (region, *parent_regions(region)) if region else ()
    return (*(f"area:{a}" for a in areas), *regions, None)


def resolve(
    present: object, kind: str, subject: str, chain: tuple[str | None, ...]
) -> tuple[str, str | None] | None:
    """The element id of the most specific of `chain` in `present` (a container of element
    ids), with its place; None when no place along the chain has one."""
    for place in chain:
        candidate = element_id(kind, subject, place)
        if candidate in present:  # type: ignore[operator]
            return candidate, place
    return None
