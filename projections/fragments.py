"""A policy answer's sections assembled from per-element JSON fragments.

`arrange_sections` builds the sections as a document; this builds the same bytes by
concatenating each element's fragment, made once when the projection first stores the
element (`fragment_of`). An element is shared by every state it stays unchanged in, so an
answer for a state never seen before costs a few dictionary look-ups and a join, not a
parse and a serialisation of the whole state. A property test holds the two equal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from domain.countries import region_name
from domain.places import area_of
from projections.queries import chain_of

NULL = b"null"
# Stored before the body of a declined group's fragment: its section is `declined_groups`.
DECLINED = b"declined:"


@dataclass(frozen=True, slots=True)
class Fragment:
    """One element in answer form: `body` as it appears inside its section, and the boolean
    a group reads from it (protection: authorities_protect; ipa: available; group: declined)."""

    element: str
    body: bytes
    flag: bool | None = None
    content_id: str = ""  # of the annotated element it was made from
    label: str | None = None  # an area's English label (names its Article 15(c) entry)


def fragment_of(element: str, doc: dict[str, Any]) -> bytes:
    """The bytes of an element's provenance document as its section holds it."""
    kind, _, rest = element.partition(":")
    if kind == "group":
        scoped = _subject_and_scope("id", rest)
        if doc.get("declined"):
            body = {**scoped, **{k: v for k, v in doc.items() if k != "declined"}}
            return DECLINED + orjson.dumps(body)[:-1]
        return orjson.dumps({**scoped, **doc})[:-1]  # closed by `assemble_sections`
    if kind == "article_15c" and area_of(rest) is not None:
        return orjson.dumps({rest: doc})[1:-2]  # named (by the area's label) when assembled
    if kind in ("protection", "ipa", "area") or (kind == "article_15c" and rest != "default"):
        if kind == "article_15c":
            doc = {**doc, "name": region_name(rest)}
        return orjson.dumps({rest: doc})[1:-1]
    if kind == "moratorium":
        return orjson.dumps({**_subject_and_scope("kind", rest), **doc})
    if kind == "note":
        return orjson.dumps({"topic": rest, **doc})
    return orjson.dumps(doc)  # article_15c:default, unaccompanied_minors


def load_fragment(element: str, body: bytes, content_id: str = "") -> Fragment:
    kind = element.partition(":")[0]
    flag = label = None
    if kind == "group" and body.startswith(DECLINED):
        return Fragment(element, body[len(DECLINED) :], True, content_id)
    if kind in ("protection", "ipa"):
        (doc,) = orjson.loads(b"{" + body + b"}").values()
        flag = doc["authorities_protect" if kind == "protection" else "available"]
    if kind == "area":
        (doc,) = orjson.loads(b"{" + body + b"}").values()
        label = doc["label_en"]
    return Fragment(element, body, flag, content_id, label)


def assemble_sections(fragments: Iterable[Fragment]) -> bytes:
    """The sections of a policy answer (without the enclosing braces), from the fragments of
    a state's elements in element-id order."""
    groups: list[tuple[str, bytes]] = []
    declined: list[tuple[str, bytes]] = []
    protection: dict[str, Fragment] = {}
    ipa: dict[str, Fragment] = {}
    regions: list[tuple[str, Fragment]] = []
    moratoria: list[bytes] = []
    notes: list[bytes] = []
    areas: dict[str, Fragment] = {}
    default = minors = NULL
    for f in fragments:
        kind, _, rest = f.element.partition(":")
        if kind == "group":
            (declined if f.flag else groups).append((rest, f.body))
        elif kind == "protection":
            protection[rest] = f
        elif kind == "ipa":
            ipa[rest] = f
        elif kind == "article_15c":
            if rest == "default":
                default = f.body
            else:
                regions.append((rest, f))
        elif kind == "unaccompanied_minors":
            minors = f.body
        elif kind == "moratorium":
            moratoria.append(f.body)
        elif kind == "note":
            notes.append(f.body)
        elif kind == "area":
            areas[rest] = f

    def group_docs(entries: list[tuple[str, bytes]]) -> bytes:
        return b",".join(
            b"".join(
                (
                    body,
                    b',"authorities_protect":',
                    _group_flag(protection, rest),
                    b',"internal_protection_alternative":',
                    _group_flag(ipa, rest),
                    b"}",
                )
            )
            for rest, body in entries
        )

    sections = b"".join(
        (
            b'"groups":[',
            group_docs(groups),
            b'],"declined_groups":[',
            group_docs(declined),
            b'],"protection":{',
            b",".join(f.body for f in protection.values()),
            b'},"internal_protection_alternative":{',
            b",".join(f.body for f in ipa.values()),
            b'},"article_15c":{"default":',
            default,
            b',"regions":{',
            b",".join(_region(place, f, areas) for place, f in regions),
            b'}},"unaccompanied_minors":',
            minors,
            b',"moratoria":[',
            b",".join(moratoria),
            b'],"notes":[',
            b",".join(notes),
            b"]",
        )
    )
    if areas:
        sections += b',"areas":{' + b",".join(f.body for f in areas.values()) + b"}"
    return sections


def _subject_and_scope(name: str, rest: str) -> dict[str, str]:
    subject, _, place = rest.partition(":")
    return {name: subject, "scope": place} if place else {name: subject}


def _region(place: str, fragment: Fragment, areas: dict[str, Fragment]) -> bytes:
    area = area_of(place)
    if area is None:
        return fragment.body
    found = areas.get(area)
    name = found.label if found is not None and found.label is not None else area
    return fragment.body + b',"name":' + orjson.dumps(name) + b"}"


def _group_flag(section: dict[str, Fragment], rest: str) -> bytes:
    """A group's own flag, else the general one, at the most specific place of its chain."""
    group, _, place = rest.partition(":")
    for subject in (group, "general"):
        for at in chain_of(place or None):
            found = section.get(f"{subject}:{at}" if at else subject)
            if found is not None:
                return _flag(found)
    return NULL


def _flag(fragment: Fragment | None) -> bytes:
    return NULL if fragment is None or fragment.flag is None else orjson.dumps(fragment.flag)
