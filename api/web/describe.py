"""Policy elements and their values in words, in either language.

The values are those of the query documents (projections.queries): an element's value as a
dict, e.g. {"level": "lower", "armed_conflict": true} for `article_15c:PK-BA`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter

from api.web.i18n import WORDS, Lang, local_region_name, long_date, word
from domain.effects import change_effect
from events.vocabulary import Change, ReplaceGroups, ViolenceLevel

Doc = dict[str, Any]
Labels = Mapping[str, Mapping[str, Any]]  # group id -> a value holding label_en / label_nl

GROUP_CATEGORIES = ("risk_profile", "group_persecution", "vulnerable_minority")
LEVELS = tuple(level.value for level in ViolenceLevel)
# The order of the Vreemdelingencirculaire's paragraphs, for lanes and lists.
KIND_ORDER = (
    "group",
    "protection",
    "ipa",
    "article_15c",
    "unaccompanied_minors",
    "moratorium",
    "note",
)
_CHANGE = TypeAdapter(Change)


def group_label(group: str, lang: Lang, labels: Labels) -> str:
    value = labels.get(group) or {}
    return str(value.get(f"label_{lang}") or value.get("label_en") or group)


def _who(rest: str, lang: Lang, labels: Labels) -> str:
    """`general`, a group, and an optional region, as in protection:… and ipa:…."""
    group, _, region = rest.partition(":")
    who = word("general", lang) if group == "general" else group_label(group, lang, labels)
    return f"{who}, {local_region_name(region, lang)} ({region})" if region else who


def topic_name(topic: str, lang: Lang) -> str:
    key = f"topic_{topic}"
    return word(key, lang) if key in WORDS else topic.replace("_", " ")


def element_name(element: str, lang: Lang, labels: Labels) -> str:
    """e.g. "Article 15(c): Balochistan (PK-BA)", "Group: Christians"."""
    kind, _, rest = element.partition(":")
    if kind == "group":
        return word("el_group", lang, name=group_label(rest, lang, labels))
    if kind in ("protection", "ipa"):
        return word(f"el_{kind}", lang, who=_who(rest, lang, labels))
    if kind == "article_15c":
        where = (
            word("rest_of_country", lang)
            if rest == "default"
            else f"{local_region_name(rest, lang)} ({rest})"
        )
        return word("el_article_15c", lang, where=where)
    if kind == "unaccompanied_minors":
        return word("el_unaccompanied_minors", lang)
    if kind == "moratorium" and rest in ("decision", "departure"):
        return word(f"el_moratorium_{rest}", lang)
    if kind == "note":
        return word("el_note", lang, topic=topic_name(rest, lang))
    return element


def element_sort_key(element: str) -> tuple[int, int, str]:
    """The Vc's order: groups by category order later; 15(c) default before regions."""
    kind, _, rest = element.partition(":")
    rank = KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)
    return rank, 0 if rest in ("general", "default", "") else 1, rest


def value_text(element: str, value: Mapping[str, Any] | None, lang: Lang) -> str:
    """A value in words; for a group, its category (the label is the element's name)."""
    if value is None:
        return word("removed", lang)
    kind = element.partition(":")[0]
    if kind == "group":
        category = value.get("category")
        if category not in GROUP_CATEGORIES:
            return _labels_text(value)
        if value.get("declined"):
            return word("declined_as", lang, category=word(category, lang).lower())
        return word(category, lang)
    if kind == "article_15c":
        conflict = "armed_conflict" if value.get("armed_conflict") else "no_armed_conflict"
        return f"{word('level_' + str(value.get('level')), lang)}; {word(conflict, lang)}"
    if kind == "protection":
        return _with_note(
            word("protect_yes" if value.get("authorities_protect") else "protect_no", lang), value
        )
    if kind == "ipa":
        return _with_note(word("ipa_yes" if value.get("available") else "ipa_no", lang), value)
    if kind == "unaccompanied_minors":
        adequate = "reception_yes" if value.get("adequate") else "reception_no"
        return _with_note(word(adequate, lang), value)
    if kind == "moratorium":
        until = value.get("until")
        if until:
            return word("moratorium_until", lang, date=long_date(until, lang))
        return word("moratorium_open", lang)
    if kind == "note":
        return str(value.get("text", ""))
    return ", ".join(f"{k}: {v}" for k, v in value.items())


def _labels_text(value: Mapping[str, Any]) -> str:
    return " / ".join(str(value[k]) for k in ("label_en", "label_nl") if value.get(k))


def _with_note(text: str, value: Mapping[str, Any]) -> str:
    note = value.get("note")
    return f"{text}. {note}" if note else text


def value_short(element: str, value: Mapping[str, Any] | None, lang: Lang) -> str:
    """A few words, to label a bar of the chart."""
    if value is None:
        return ""
    kind = element.partition(":")[0]
    if kind == "article_15c":
        return word(f"short_level_{value.get('level')}", lang)
    if kind == "note":
        text = str(value.get("text", ""))
        return text if len(text) <= 40 else text[:39] + "…"
    return value_text(element, value, lang).split(":")[0].split(";")[0].split(".")[0]


def value_key(element: str, value: Mapping[str, Any] | None) -> str:
    """The colour class of a value: its category, its 15(c) level, yes/no, or its kind."""
    kind = element.partition(":")[0]
    if value is None:
        return "removed"
    if kind == "group":
        return "declined" if value.get("declined") else str(value.get("category", "group"))
    if kind == "article_15c":
        return f"level-{value.get('level')}"
    for flag in ("authorities_protect", "available", "adequate"):
        if flag in value:
            return "yes" if value[flag] else "no"
    if kind == "moratorium":
        return "moratorium"
    return "note"


def direction(
    element: str, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> str | None:
    """ "raised" or "lowered" for an Article 15(c) level that moved on its ordinal scale."""
    if not element.startswith("article_15c:") or before is None or after is None:
        return None
    low, high = LEVELS.index(before["level"]), LEVELS.index(after["level"])
    if high == low:
        return None
    return "raised" if high > low else "lowered"


def change_text(change: Mapping[str, Any], lang: Lang, labels: Labels) -> Doc:
    """One change of an amendment: its element, what it does in words, and the value."""
    parsed = _CHANGE.validate_python(change)
    # An effect needs a key; its date plays no part in how a change reads.
    effect = change_effect(parsed, (dt.date.min, 0, 0, 0), "")
    element = effect.element
    action = word(f"act_{parsed.type}", lang)
    if parsed.type == "reaffirm":
        text = action
    elif parsed.type == "relabel_group":
        text = f"{action}: {_labels_text(effect.value or {})}"
    elif parsed.type == "revoke_group":
        text = f"{action} ({word(str((effect.value or {}).get('category')), lang).lower()})"
    elif parsed.type in ("lift_moratorium", "withdraw"):
        text = action
    elif parsed.type == "replace_groups":
        assert isinstance(parsed, ReplaceGroups)
        category = word(parsed.category.value, lang)
        names = ", ".join(getattr(g, f"label_{lang}") for g in parsed.groups)
        listed = (
            word("replaced_list", lang, groups=names)
            if names
            else word("replaced_list_empty", lang)
        )
        text = f"{action} ({category.lower()}): {listed}"
    else:
        text = f"{action}: {value_text(element, effect.value, lang)}"
    note = getattr(parsed, "note", None)
    if parsed.type == "reaffirm" and note:
        text = f"{text}. {note}"
    return {"element": element, "name": element_name(element, lang, labels), "text": text}


def act_word(action: str, lang: Lang) -> str:
    key = f"act_{action}"
    return word(key, lang) if key in WORDS else action
