"""Policy elements and their values in words, in either language.

The values are those of the query documents (projections.queries): an element's value as a
dict, e.g. {"level": "lower", "armed_conflict": true} for `article_15c:PK-BA`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter

from api.web.i18n import WORDS, local_region_name, word
from domain.effects import change_effects
from domain.facts import BOUND_PREFIX, level_range
from domain.places import area_of, parse_element
from domain.words import Lang, long_date
from events.vocabulary import Change, GroupCategory, ReplaceGroups, ViolenceLevel

Doc = dict[str, Any]
Labels = Mapping[str, Mapping[str, Any]]  # group id -> a value holding label_en / label_nl

GROUP_CATEGORIES = tuple(c.value for c in GroupCategory)
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
    "area",
)
_CHANGE = TypeAdapter(Change)


def group_label(group: str, lang: Lang, labels: Labels) -> str:
    value = labels.get(group) or {}
    return str(value.get(f"label_{lang}") or value.get("label_en") or group)


def place_words(place: str, lang: Lang) -> str:
    """A place of an element id in words: "Nīnawá (IQ-NI)", "area baghdad-belts"."""
    area = area_of(place)
    if area is not None:
        return word("area_named", lang, area=area)
    return f"{local_region_name(place, lang)} ({place})"


def _at(text: str, place: str | None, lang: Lang) -> str:
    return f"{text}, {place_words(place, lang)}" if place else text


def _who(subject: str, place: str | None, lang: Lang, labels: Labels) -> str:
    """`general` or a group, and an optional place, as in protection:… and ipa:…."""
    who = word("general", lang) if subject == "general" else group_label(subject, lang, labels)
    return _at(who, place, lang)


def topic_name(topic: str, lang: Lang) -> str:
    key = f"topic_{topic}"
    return word(key, lang) if key in WORDS else topic.replace("_", " ")


def element_name(element: str, lang: Lang, labels: Labels) -> str:
    """e.g. "Article 15(c): Balochistan (PK-BA)", "Group: Christians"."""
    kind, subject, place = parse_element(element)
    if kind == "group":
        return _at(word("el_group", lang, name=group_label(subject, lang, labels)), place, lang)
    if kind in ("protection", "ipa"):
        return word(f"el_{kind}", lang, who=_who(subject, place, lang, labels))
    if kind == "article_15c":
        where = word("rest_of_country", lang) if place is None else place_words(place, lang)
        return word("el_article_15c", lang, where=where)
    if kind == "unaccompanied_minors":
        return word("el_unaccompanied_minors", lang)
    if kind == "moratorium" and subject in ("decision", "departure"):
        return _at(word(f"el_moratorium_{subject}", lang), place, lang)
    if kind == "note":
        return word("el_note", lang, topic=topic_name(subject, lang))
    if kind == "area":
        return word("el_area", lang, area=subject)
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
            return word("declined_as", lang, category=word(str(category), lang).lower())
        return _with_exceptions(word(str(category), lang), value, lang)
    if kind == "article_15c":
        return _with_exceptions(_level_text(value, lang), value, lang)
    if kind == "protection":
        text = word("protect_yes" if value.get("authorities_protect") else "protect_no", lang)
        actors = value.get("actors")
        if actors:
            who = ", ".join(word(f"actor_{a}", lang) for a in actors)
            text = f"{text}; {word('protected_by', lang, actors=who)}"
        return _with_note(text, value)
    if kind == "ipa":
        text = _with_note(word("ipa_yes" if value.get("available") else "ipa_no", lang), value)
        return _with_exceptions(text, value, lang)
    if kind == "unaccompanied_minors":
        adequate = "reception_yes" if value.get("adequate") else "reception_no"
        return _with_note(word(adequate, lang), value)
    if kind == "moratorium":
        until = value.get("until")
        if until:
            through = value.get("through") or (
                dt.date.fromisoformat(str(until)) - dt.timedelta(days=1)
            )
            text = word(
                "moratorium_through_until",
                lang,
                through=long_date(through, lang),
                until=long_date(until, lang),
            )
        else:
            text = word("moratorium_open", lang)
        return _with_exceptions(text, value, lang)
    if kind == "note":
        return str(value.get("text", ""))
    if kind == "area":
        text = _labels_text(value)
        within = value.get("within") or []
        if within:
            text += f" ({word('area_within', lang)} {', '.join(within)})"
        return _with_note(text, {"note": value.get("description")})
    return ", ".join(f"{k}: {v}" for k, v in value.items())


def _level_text(value: Mapping[str, Any], lang: Lang) -> str:
    """A level, or only a bound (no level is made up for it); armed conflict if stated."""
    if value.get("level") is None and value.get("at_most"):
        text = word(f"at_most_{value['at_most']}", lang)
    else:
        text = word("level_" + str(value.get("level")), lang)
    conflict = value.get("armed_conflict")
    if conflict is None:
        return text
    return f"{text}; {word('armed_conflict' if conflict else 'no_armed_conflict', lang)}"


def _with_exceptions(text: str, value: Mapping[str, Any], lang: Lang) -> str:
    exceptions = value.get("exceptions")
    if not exceptions:
        return text
    listed = "; ".join(str(e.get("text", "")) for e in exceptions)
    return f"{text}. {word('except', lang, list=listed)}"


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
        if value.get("level") is None and value.get("at_most"):
            return word(f"short_at_most_{value['at_most']}", lang)
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
        if value.get("level") is None and value.get("at_most"):
            return f"bound-{value['at_most']}"
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
    """ "raised" or "lowered" for an Article 15(c) level that moved on its ordinal scale.

    A bound (at_most) stands for every level up to it: a move is raised or lowered only when
    every level after lies above (below) every level before; otherwise it is not called."""
    if not element.startswith("article_15c:") or before is None or after is None:
        return None
    old, new = level_range(_level_fact(before)), level_range(_level_fact(after))
    if new[0] > old[1]:
        return "raised"
    if new[1] < old[0]:
        return "lowered"
    return None


def _level_fact(value: Mapping[str, Any]) -> str:
    if value.get("level") is None and value.get("at_most"):
        return BOUND_PREFIX + str(value["at_most"])
    return str(value["level"])


def change_text(change: Mapping[str, Any], lang: Lang, labels: Labels) -> Doc:
    """One change of an amendment: its element, what it does in words, and the value."""
    parsed = _CHANGE.validate_python(change)
    # An effect needs a key; its date plays no part in how a change reads. A change with a
    # scope has one effect per place, all with the same value.
    effects = list(change_effects(parsed, dt.date.min, 0, 0, ""))
    effect = effects[0]
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
    names = "; ".join(element_name(e.element, lang, labels) for e in effects)
    return {
        "element": element,
        "elements": [e.element for e in effects],
        "name": names,
        "text": text,
    }


def act_word(action: str, lang: Lang) -> str:
    key = f"act_{action}"
    return word(key, lang) if key in WORDS else action
