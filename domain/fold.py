"""The temporal fold: amendment records -> the policy on date D as known at moment T.

`state_on` is the plain definition (filter what was published by P and known at T, apply
every effect in force on or before D in order). `Chronicle` computes the same answer for
every D at once, as segments of valid time, and keeps them current as records arrive,
re-sweeping only from the earliest date a new fact touches.
Property tests hold the two to each other.

A whole-list replacement is one category-wide effect that `apply` expands over the state at
its point of the fold (see domain.effects): the sweep always carries the full state of the
date it starts from, so a re-sweep from any date meets the replacement with exactly the
designations the plain fold meets, and ends the same ones. `transitions` and the element
histories expand it the same way, so history and diff show each end it makes with its
amendment.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import rfc8785

from domain.effects import (
    Effect,
    ElementState,
    Value,
    apply,
    apply_single,
    effects_of,
    element_ids,
    expand,
    is_category_wide,
)
from domain.records import AmendmentRecord, as_published
from events.vocabulary import Change, ReplaceGroups

State = dict[str, ElementState]


def record_effects(
    record: AmendmentRecord, at: dt.datetime, only: frozenset[str] | None = None
) -> Iterator[Effect]:
    in_force = record.applies_as_of(at)
    if in_force is not None:
        yield from effects_of(record.id, record.position, in_force, record.changes, only)


def visible_effects(
    records: Iterable[AmendmentRecord], at: dt.datetime, only: frozenset[str] | None = None
) -> list[Effect]:
    return sorted((e for r in records for e in record_effects(r, at, only)), key=lambda e: e.key)


def state_on(
    records: Iterable[AmendmentRecord],
    on: dt.date,
    at: dt.datetime,
    only: frozenset[str] | None = None,
    *,
    published_by: dt.date | None = None,
) -> State | None:
    """The policy state on `on` as known at `at`; None when nothing was in force yet.

    With `only`, just those elements are folded (coverage then means nothing). With
    `published_by`, only the acts published on or before that date count (`as_published`).
    """
    visible = as_published(records, published_by)
    effects = [e for e in visible_effects(visible, at, only) if e.on <= on]
    if not effects:
        return None
    state: State = {}
    for effect in effects:
        apply(state, effect)
    return state


def pending_on(
    records: Iterable[AmendmentRecord],
    on: dt.date,
    at: dt.datetime,
    *,
    published_by: dt.date | None = None,
) -> list[AmendmentRecord]:
    return [r for r in as_published(records, published_by) if r.is_pending_on(on, at)]


def values_document(country: str, state: State) -> dict[str, Any]:
    return {"country": country, "elements": {k: s.value for k, s in sorted(state.items())}}


def annotated_document(country: str, state: State) -> dict[str, Any]:
    return {"country": country, "elements": {k: s.to_json() for k, s in sorted(state.items())}}


@cache
def _canonical_key(key: str) -> bytes:
    return rfc8785.dumps(key)


def canonical_documents(country: str, state: State) -> tuple[bytes, bytes]:
    """RFC 8785 bytes of `values_document` and `annotated_document`, from cached parts.

    RFC 8785 serialises an object as its members sorted by key, each member's value in
    canonical form, so a document can be assembled from the canonical bytes of its
    elements. Element ids and field names are ASCII, where UTF-16 order (the RFC's) and
    code-point order (Python's) agree. A test holds this equal to rfc8785.dumps.
    """
    head = b'{"country":' + rfc8785.dumps(country) + b',"elements":{'
    values, annotated = [], []
    for key in sorted(state):
        value, element = state[key].canonical()
        name = _canonical_key(key) + b":"
        values.append(name + value)
        annotated.append(name + element)
    return head + b",".join(values) + b"}}", head + b",".join(annotated) + b"}}"


def element_content_id(key: str, element: ElementState) -> str:
    """The content id of one annotated element under its element id: 128 bits of SHA-256
    (states are still identified by the full hash of their whole document)."""
    return hashlib.sha256(_canonical_key(key) + b":" + element.canonical()[1]).hexdigest()[:32]


@dataclass(slots=True)
class Segment:
    """A maximal interval [valid_from, valid_to) of valid time with one annotated state.

    `version_id` hashes what the policy says (values only); `state_id` also covers the
    provenance (which acts made and confirmed each value), so a reaffirmation starts a new
    segment but not a new version.
    """

    country: str
    valid_from: dt.date
    valid_to: dt.date | None
    state: State
    _ids: tuple[str, str] | None = field(default=None, repr=False)

    def contains(self, on: dt.date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on < self.valid_to)

    def _compute_ids(self) -> tuple[str, str]:
        if self._ids is None:
            values, annotated = canonical_documents(self.country, self.state)
            self._ids = (
                hashlib.sha256(values).hexdigest(),
                hashlib.sha256(annotated).hexdigest(),
            )
        return self._ids

    @property
    def version_id(self) -> str:
        return self._compute_ids()[0]

    @property
    def state_id(self) -> str:
        return self._compute_ids()[1]

    def ending(self, valid_to: dt.date | None) -> Segment:
        if valid_to == self.valid_to:
            return self
        return Segment(self.country, self.valid_from, valid_to, self.state, self._ids)

    def identity(self) -> tuple[dt.date, dt.date | None, str]:
        return self.valid_from, self.valid_to, self.state_id


def _start(segment: Segment) -> dt.date:
    return segment.valid_from


def sweep(effects: Sequence[Effect], start: State) -> Iterator[tuple[dt.date, State]]:
    """Yields (date, state after every effect of that date) for each date with effects."""
    state = dict(start)
    i = 0
    while i < len(effects):
        day = effects[i].on
        while i < len(effects) and effects[i].on == day:
            apply(state, effects[i])
            i += 1
        yield day, dict(state)


class Chronicle:
    """A country's policy over all valid time, as known at the latest fact added."""

    def __init__(self, country: str) -> None:
        self.country = country
        self._effects: list[Effect] = []
        self._keys: list[tuple[dt.date, int, int, int]] = []
        self.segments: list[Segment] = []

    @classmethod
    def build(cls, country: str, records: Iterable[AmendmentRecord], at: dt.datetime) -> Chronicle:
        chronicle = cls(country)
        effects = visible_effects(records, at)
        chronicle._effects = effects
        chronicle._keys = [e.key for e in effects]
        if effects:
            chronicle._resweep(effects[0].on)
        return chronicle

    def add(self, effects: Iterable[Effect]) -> dt.date | None:
        """Adds effects; returns the earliest date whose state may have changed."""
        earliest: dt.date | None = None
        for effect in effects:
            i = bisect_left(self._keys, effect.key)
            self._keys.insert(i, effect.key)
            self._effects.insert(i, effect)
            earliest = effect.on if earliest is None else min(earliest, effect.on)
        if earliest is not None:
            self._resweep(earliest)
        return earliest

    def remove(self, amendment_id: str) -> dt.date | None:
        gone = [e for e in self._effects if e.amendment_id == amendment_id]
        if not gone:
            return None
        self._effects = [e for e in self._effects if e.amendment_id != amendment_id]
        self._keys = [e.key for e in self._effects]
        earliest = min(e.on for e in gone)
        self._resweep(earliest)
        return earliest

    def segment_on(self, on: dt.date) -> Segment | None:
        i = bisect_right(self.segments, on, key=_start) - 1
        if i >= 0 and self.segments[i].contains(on):
            return self.segments[i]
        return None

    def _resweep(self, start: dt.date) -> None:
        i = bisect_left(self.segments, start, key=_start)
        head = self.segments[:i]
        open_from: dt.date | None = None
        open_state: State | None = None
        if head:
            last = head.pop()
            open_from, open_state = last.valid_from, last.state
            carried: Segment | None = last
        else:
            carried = None
        tail = self._effects[bisect_left(self._keys, (start,)) :]
        for day, state in sweep(tail, open_state or {}):
            if open_state is None or open_from is None:
                open_from, open_state = day, state
                continue
            if state == open_state:
                continue
            head.append(self._segment(carried, open_from, day, open_state))
            carried = None
            open_from, open_state = day, state
        if open_from is not None and open_state is not None:
            head.append(self._segment(carried, open_from, None, open_state))
        self.segments = head

    def _segment(
        self, carried: Segment | None, valid_from: dt.date, valid_to: dt.date | None, state: State
    ) -> Segment:
        if carried is not None and carried.valid_from == valid_from and carried.state is state:
            return carried.ending(valid_to)
        return Segment(self.country, valid_from, valid_to, state)


@dataclass(frozen=True, slots=True)
class Transition:
    """An effect that changed one element: what it was before and after."""

    effect: Effect
    before: ElementState | None
    after: ElementState | None

    @property
    def changes_value(self) -> bool:
        """False for a confirmation (a reaffirmation or the same value stated again)."""
        if self.before is None or self.after is None:
            return True
        return self.before.value != self.after.value


def transitions(effects: Iterable[Effect]) -> Iterator[Transition]:
    """Every state change the (sorted) effects make, element by element."""
    state: State = {}
    for effect in effects:
        for single in list(expand(state, effect)):
            before = state.get(single.element)
            if apply_single(state, single):
                yield Transition(single, before, state.get(single.element))


def element_history(
    records: Iterable[AmendmentRecord], element: str, at: dt.datetime
) -> list[Transition]:
    return list(transitions(visible_effects(records, at, frozenset({element}))))


def element_histories(
    records: Iterable[AmendmentRecord], at: dt.datetime
) -> dict[str, list[Transition]]:
    """`element_history` of every element, from one pass over the effects."""
    by_element: dict[str, list[Effect]] = {}
    for effect in visible_effects(records, at):
        if is_category_wide(effect):
            # It can end any group seen so far (a later one is not designated yet).
            for element, effects in by_element.items():
                if element.startswith("group:"):
                    effects.append(effect)
            continue
        by_element.setdefault(effect.element, []).append(effect)
    return {element: list(transitions(effects)) for element, effects in by_element.items()}


@dataclass(frozen=True, slots=True)
class ElementDiff:
    element: str
    kind: str  # added | removed | changed
    before: ElementState | None
    after: ElementState | None
    cause: Effect | None  # the last effect between the two dates that changed the element


def diff(
    records: Sequence[AmendmentRecord], first: dt.date, second: dt.date, at: dt.datetime
) -> list[ElementDiff]:
    before = state_on(records, first, at) or {}
    after = state_on(records, second, at) or {}
    low, high = min(first, second), max(first, second)
    causes: dict[str, Effect] = {}
    for t in transitions(visible_effects(records, at)):
        if t.changes_value and low < t.effect.on <= high:
            causes[t.effect.element] = t.effect
    result = []
    for element in sorted(before.keys() | after.keys()):
        old, new = before.get(element), after.get(element)
        if old is not None and new is not None and old.value == new.value:
            continue
        kind = "added" if old is None else "removed" if new is None else "changed"
        result.append(ElementDiff(element, kind, old, new, causes.get(element)))
    return result


@dataclass(frozen=True, slots=True)
class Attested:
    """An element an attestation states: the value it holds at the end of the attestation's
    in-force date, while that value carries the attestation's act (so a later change of the
    same date that overrides it leaves nothing attested)."""

    element: str
    value: Value
    attested_from: dt.date
    amendment_id: str


def attested_elements(changes: Iterable[Change]) -> set[str]:
    """The elements an amendment's changes speak about (a replacement: its listed groups)."""
    found: set[str] = set()
    for change in changes:
        if isinstance(change, ReplaceGroups):
            suffixes = [f":{p}" for p in change.scope.places()] if change.scope else [""]
            found.update(f"group:{g.group}{at}" for g in change.groups for at in suffixes)
        else:
            found.update(element_ids(change))
    return found


def attestations(records: Iterable[AmendmentRecord], at: dt.datetime) -> list[Attested]:
    """What every attestation known at `at` (not retracted, in force) states, by date."""
    records = list(records)
    by_date: dict[dt.date, list[AmendmentRecord]] = {}
    for record in records:
        in_force = record.applies_as_of(at)
        if record.attestation and in_force is not None:
            by_date.setdefault(in_force, []).append(record)
    if not by_date:
        return []
    found: list[Attested] = []
    state: State = {}
    effects = visible_effects(records, at)
    i = 0
    while i < len(effects):
        day = effects[i].on
        while i < len(effects) and effects[i].on == day:
            apply(state, effects[i])
            i += 1
        for record in by_date.get(day, ()):
            for element in sorted(attested_elements(record.changes)):
                held = state.get(element)
                if held is not None and any(a.amendment_id == record.id for a in held.acts):
                    found.append(Attested(element, held.value, day, record.id))
    return sorted(found, key=lambda a: (a.attested_from, a.element, a.amendment_id))


def attested_later(
    attested: Iterable[Attested], values: Mapping[str, Value], on: dt.date
) -> list[Attested]:
    """The attested elements an answer for `on` lists: attested from a later date, and not
    already holding the same value on `on` (`values`: the element values on `on`).

    An annotation of the answer, not part of the state: version ids do not change."""
    return sorted(
        (a for a in attested if a.attested_from > on and values.get(a.element) != a.value),
        key=lambda a: (a.element, a.attested_from, a.amendment_id),
    )


def attests_after(records: Iterable[AmendmentRecord], on: dt.date, at: dt.datetime) -> bool:
    """Whether any attestation known at `at` comes into force after `on` (cheap)."""
    for record in records:
        in_force = record.applies_as_of(at) if record.attestation else None
        if in_force is not None and in_force > on:
            return True
    return False
