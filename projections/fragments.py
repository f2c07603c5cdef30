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


def fragment_of(element: str, doc: dict[str, Any]) -> bytes:
    """The bytes of an element's provenance document as its section holds it."""
    kind, _, rest = element.partition(":")
    if kind == "group":
        if doc.get("declined"):
            body = {"id": rest, **{k: v for k, v in doc.items() if k != "declined"}}
            return DECLINED + orjson.dumps(body)[:-1]
        return orjson.dumps({"id": rest, **doc})[:-1]  # closed by `assemble_sections`
    if kind in ("protection", "ipa") or (kind == "article_15c" and rest != "default"):
        if kind == "article_15c":
            doc = {**doc, "name": region_name(rest)}
        return orjson.dumps({rest: doc})[1:-1]
    if kind == "moratorium":
        return orjson.dumps({"kind": rest, **doc})
    if kind == "note":
        return orjson.dumps({"topic": rest, **doc})
    return orjson.dumps(doc)  # article_15c:default, unaccompanied_minors


def load_fragment(element: str, body: bytes, content_id: str = "") -> Fragment:
    kind = element.partition(":")[0]
    flag = None
    if kind == "group" and body.startswith(DECLINED):
        return Fragment(element, body[len(DECLINED) :], True, content_id)
    if kind in ("protection", "ipa"):
        (doc,) = orjson.loads(b"{" + body + b"}").values()
        flag = doc["authorities_protect" if kind == "protection" else "available"]
    return Fragment(element, body, flag, content_id)


def assemble_sections(fragments: Iterable[Fragment]) -> bytes:
    """The sections of a policy answer (without the enclosing braces), from the fragments of
    a state's elements in element-id order."""
    groups: list[tuple[str, bytes]] = []
    declined: list[tuple[str, bytes]] = []
    protection: dict[str, Fragment] = {}
    ipa: dict[str, Fragment] = {}
    regions: list[bytes] = []
    moratoria: list[bytes] = []
    notes: list[bytes] = []
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
                regions.append(f.body)
        elif kind == "unaccompanied_minors":
            minors = f.body
        elif kind == "moratorium":
            moratoria.append(f.body)
        elif kind == "note":
            notes.append(f.body)

    def group_docs(entries: list[tuple[str, bytes]]) -> bytes:
        return b",".join(
            b"".join(
                (
                    body,
                    b',"authorities_protect":',
                    _flag(protection.get(group) or protection.get("general")),
                    b',"internal_protection_alternative":',
                    _flag(ipa.get(group) or ipa.get("general")),
                    b"}",
                )
            )
            for group, body in entries
        )

    return b"".join(
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
            b",".join(regions),
            b'}},"unaccompanied_minors":',
            minors,
            b',"moratoria":[',
            b",".join(moratoria),
            b'],"notes":[',
            b",".join(notes),
            b"]",
        )
    )


def _flag(fragment: Fragment | None) -> bytes:
    return NULL if fragment is None or fragment.flag is None else orjson.dumps(fragment.flag)
