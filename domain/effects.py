"""From changes to effects on policy elements, and how one effect alters an element.

Each element evolves on its own: its value on a date is set by its own effects only. An
effect's sort key is (in-force date, record position, change index, phase): at one date the
later-recorded change wins, and within an amendment the later change wins.

One effect speaks about many elements: a whole-list replacement (`replace_groups`) ends
every designation in its category that it does not name. It is a *category-wide* effect
(element `groups:<category>`, never itself in a state) that `apply` expands, over the state
at that point of the fold, into one end per designated group (`expand`). Its outcome for a
group element depends on that element's own state only (designated in the category, not
declined, not on the list), so elements still evolve on their own: folding a subset of the
elements (`only`) gives each of them the value the whole fold gives, and a re-sweep from
any date replays it over the state of that date. The `only` filter therefore keeps a
category-wide effect whenever any group element is asked for (`touches`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from domain.canonical import canonical_json
from domain.places import parse_element
from events.vocabulary import (
    AddNote,
    Change,
    DeclineGroup,
    DefineArea,
    DesignateGroup,
    ImposeMoratorium,
    LiftMoratorium,
    Reaffirm,
    RelabelGroup,
    ReplaceGroups,
    RevokeGroup,
    Scope,
    SetArticle15c,
    SetInternalProtectionAlternative,
    SetProtection,
    SetUnaccompaniedMinorsReception,
    Withdraw,
)

Value = dict[str, Any]
EffectKey = tuple[dt.date, int, int, int]
# The element of a category-wide effect: `groups:<category>` (no state holds it).
CATEGORY_WIDE = "groups:"


@dataclass(frozen=True, slots=True)
class Effect:
    key: EffectKey
    element: str
    action: str  # the change type, or "lapse" for the end of a time-boxed moratorium
    value: Value | None
    amendment_id: str

    @property
    def on(self) -> dt.date:
        return self.key[0]

    @property
    def origin(self) -> tuple[str, int]:
        return self.amendment_id, self.key[2]


@dataclass(frozen=True, slots=True)
class Act:
    """One act of an amendment on an element, as provenance."""

    amendment_id: str
    on: dt.date
    action: str

    def to_json(self) -> dict[str, str]:
        return {"amendment": self.amendment_id, "on": self.on.isoformat(), "action": self.action}


@dataclass(frozen=True, slots=True)
class ElementState:
    value: Value
    since: dt.date
    acts: tuple[Act, ...]
    origin: tuple[str, int]  # the change that established the value (a lapse ends only that)
    # RFC 8785 bytes of the value and of the annotated element, made once per state object
    # (states are shared by every segment they stay unchanged in).
    _canonical: list[bytes] = field(default_factory=list, init=False, compare=False, repr=False)
    # [element id, its value member, its annotated member, its content id] (domain.fold)
    _members: list[Any] = field(default_factory=list, init=False, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "since": self.since.isoformat(),
            "acts": [a.to_json() for a in self.acts],
        }

    def canonical(self) -> tuple[bytes, bytes]:
        """(value, annotated element) as RFC 8785 canonical JSON."""
        made = self._canonical
        if not made:
            # The annotated element assembled around the value's bytes: its members in
            # RFC 8785 order (acts, since, value); acts hold only strings we wrote.
            value = canonical_json(self.value)
            acts = orjson.dumps([a.to_json() for a in self.acts], option=orjson.OPT_SORT_KEYS)
            since = self.since.isoformat().encode()
            made.extend(
                (value, b'{"acts":' + acts + b',"since":"' + since + b'","value":' + value + b"}")
            )
        return made[0], made[1]


def element_ids(change: Change) -> tuple[str, ...]:
    """The elements a change speaks about (see the element id grammar in docs/model.md):
    one, or with a `scope`, one per place it names. A `region` field (Article 15(c), the
    internal protection alternative) is a one-region scope, with the ids it always had."""
    match change:
        case DesignateGroup() | RevokeGroup() | RelabelGroup():
            return _placed(f"group:{change.group}", change.scope)
        case DeclineGroup():
            return _placed(f"group:{change.group}", change.scope)
        case ReplaceGroups():
            return _placed(f"{CATEGORY_WIDE}{change.category.value}", change.scope)
        case Withdraw():
            return (change.element,)
        case SetProtection():
            return _placed(f"protection:{change.group or 'general'}", change.scope)
        case SetInternalProtectionAlternative():
            subject = f"ipa:{change.group or 'general'}"
            if change.region:
                return (f"{subject}:{change.region}",)
            return _placed(subject, change.scope)
        case SetArticle15c():
            if change.region:
                return (f"article_15c:{change.region}",)
            if change.scope is not None:
                return tuple(f"article_15c:{place}" for place in change.scope.places())
            return ("article_15c:default",)
        case SetUnaccompaniedMinorsReception():
            return ("unaccompanied_minors",)
        case ImposeMoratorium() | LiftMoratorium():
            return _placed(f"moratorium:{change.kind.value}", change.scope)
        case Reaffirm():
            return (change.element,)
        case AddNote():
            return (f"note:{change.topic}",)
        case DefineArea():
            return (f"area:{change.area}",)
    raise TypeError(f"unknown change {change!r}")  # pragma: no cover


def named_places(changes: Iterable[Change]) -> frozenset[str]:
    """Every place (region, or `area:<id>`) the changes' elements are placed in: a rule
    placed nowhere else cannot apply along a chain of other places."""
    found: set[str] = set()
    for change in changes:
        for element in element_ids(change):
            if element.startswith(CATEGORY_WIDE):
                place = element[len(CATEGORY_WIDE) :].partition(":")[2] or None
            else:
                place = parse_element(element).place
            if place is not None:
                found.add(place)
    return frozenset(found)


def _placed(element: str, scope: Scope | None) -> tuple[str, ...]:
    if scope is None:
        return (element,)
    return tuple(f"{element}:{place}" for place in scope.places())


def _value_of(change: Change) -> Value | None:
    match change:
        case DesignateGroup():
            return change.model_dump(
                mode="json", include={"category", "label_nl", "label_en", "exceptions"}
            )
        case RevokeGroup():
            return {"category": change.category.value}
        case DeclineGroup():
            # A designation's value shape, marked: designations keep exactly theirs.
            stated = change.model_dump(mode="json", include={"category", "label_nl", "label_en"})
            return {**stated, "declined": True}
        case ReplaceGroups():
            return {"category": change.category.value, "keep": [g.group for g in change.groups]}
        case RelabelGroup():
            return change.model_dump(
                mode="json", include={"label_nl", "label_en"}, exclude_none=True
            )
        case SetProtection():
            return change.model_dump(mode="json", include={"authorities_protect", "note", "actors"})
        case SetInternalProtectionAlternative():
            return change.model_dump(mode="json", include={"available", "note", "exceptions"})
        case SetArticle15c():
            # A bound (at_most) is a value of its own: no level is made up for it.
            return change.model_dump(
                mode="json", include={"level", "armed_conflict", "at_most", "exceptions"}
            )
        case SetUnaccompaniedMinorsReception():
            return change.model_dump(mode="json", include={"adequate", "note"})
        case ImposeMoratorium():
            # An end stated as `through` is held as the first day without (`until`): the same
            # moratorium is the same value however its end was worded. Answers give both.
            end = change.end
            value: Value = {"until": end.isoformat() if end else None}
            if change.exceptions:
                value["exceptions"] = [e.model_dump(mode="json") for e in change.exceptions]
            return value
        case AddNote():
            return {"text": change.text}
        case DefineArea():
            return change.model_dump(mode="json", exclude={"type", "area"})
        case _:
            return None


def effects_of(
    amendment_id: str,
    position: int,
    in_force: dt.date,
    changes: tuple[Change, ...],
    only: frozenset[str] | None = None,
) -> Iterator[Effect]:
    """The effects of an amendment's changes; with `only`, of those on these elements."""
    if only is None:
        # An amendment in force covers its date even when none of its changes alters anything.
        yield Effect((in_force, position, -1, 0), "", "enact", None, amendment_id)
    for index, change in enumerate(changes):
        for effect in change_effects(change, in_force, position, index, amendment_id):
            if only is None or touches(effect, only):
                yield effect


def change_effects(
    change: Change, in_force: dt.date, position: int, index: int, amendment_id: str
) -> Iterator[Effect]:
    """Every effect of one change: one per element it names (a scope names one per place,
    sharing the change's key: they touch different elements); a moratorium's lapse at its
    stated end; a replacement's category-wide end of the others, then a designation per
    listed group."""
    end = change.end if isinstance(change, ImposeMoratorium) else None
    if end is not None and end <= in_force:
        return  # it ended before it began: it never applies
    value = _value_of(change)
    for element in element_ids(change):
        yield Effect((in_force, position, index, 0), element, change.type, value, amendment_id)
        if end is not None:
            yield Effect((end, position, index, 1), element, "lapse", None, amendment_id)
    if isinstance(change, ReplaceGroups):
        category = change.category.value
        for j, listed in enumerate(change.groups, start=1):
            value = {"category": category, "label_nl": listed.label_nl, "label_en": listed.label_en}
            key = (in_force, position, index, j)
            for element in _placed(f"group:{listed.group}", change.scope):
                yield Effect(key, element, change.type, value, amendment_id)


def touches(effect: Effect, only: frozenset[str]) -> bool:
    """Whether an effect can alter one of `only`: a category-wide effect alters groups."""
    if effect.element.startswith(CATEGORY_WIDE):
        return any(e.startswith("group:") for e in only)
    return effect.element in only


def is_category_wide(effect: Effect) -> bool:
    return effect.element.startswith(CATEGORY_WIDE)


def expand(state: dict[str, ElementState], effect: Effect) -> Iterator[Effect]:
    """The effect on single elements: itself, or for a category-wide effect an end of each
    group designated in its category (not declined) at its place that it does not keep. A
    replacement speaks of one list: the whole country's (`groups:<category>`), or one
    place's (`groups:<category>:<place>`); designations of other places are not its to end."""
    if not is_category_wide(effect):
        yield effect
        return
    assert effect.value is not None
    category, keep = effect.value["category"], set(effect.value["keep"])
    place = effect.element[len(CATEGORY_WIDE) :].partition(":")[2]
    for element in sorted(state):
        if not element.startswith("group:"):
            continue
        group, _, at = element[6:].partition(":")
        if at != place or group in keep:
            continue
        value = state[element].value
        if value["category"] == category and not value.get("declined"):
            yield Effect(effect.key, element, effect.action, None, effect.amendment_id)


def apply(state: dict[str, ElementState], effect: Effect) -> bool:
    """Alters `state` by one effect; True when an element's state changed."""
    if is_category_wide(effect):
        changed = False
        for single in list(expand(state, effect)):
            changed = apply_single(state, single) or changed
        return changed
    return apply_single(state, effect)


def apply_single(state: dict[str, ElementState], effect: Effect) -> bool:
    """Alters `state` by an effect on one element; True when its state changed."""
    current = state.get(effect.element)
    new = _next_state(current, effect)
    if new is current:
        return False
    if new is None:
        del state[effect.element]
    else:
        state[effect.element] = new
    return True


_SETTERS = frozenset(
    {
        "designate_group",
        "set_protection",
        "set_internal_protection_alternative",
        "set_article_15c",
        "set_unaccompanied_minors_reception",
        "impose_moratorium",
        "note",
        "define_area",
        "decline_group",
    }
)


def _next_state(current: ElementState | None, effect: Effect) -> ElementState | None:
    act = Act(effect.amendment_id, effect.on, effect.action)
    action = effect.action
    if action == "enact":
        return current
    if action == "replace_groups" and effect.value is None:
        return None  # a replacement ends a designation it does not name
    if action in _SETTERS or action == "replace_groups":
        assert effect.value is not None
        if current is not None and current.value == effect.value:
            # The same value stated again: a confirmation, not a new value.
            return replace(current, acts=(*current.acts, act))
        return ElementState(effect.value, effect.on, (act,), effect.origin)
    if current is None:
        return None  # revoking, relabelling, lifting or reaffirming nothing changes nothing
    if action == "withdraw":
        return None
    if action == "revoke_group":
        assert effect.value is not None
        designated = not current.value.get("declined")
        same = current.value["category"] == effect.value["category"]
        return None if designated and same else current
    if action == "relabel_group":
        assert effect.value is not None
        return replace(current, value={**current.value, **effect.value}, acts=(*current.acts, act))
    if action == "reaffirm":
        return replace(current, acts=(*current.acts, act))
    if action == "lift_moratorium":
        return None
    if action == "lapse":
        return None if current.origin == effect.origin else current
    raise ValueError(f"unknown action {action}")  # pragma: no cover
