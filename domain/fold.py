"""The temporal fold: amendment records -> the policy on date D as known at moment T.

`state_on` is the plain definition (filter what was published by P and known at T, apply
every effect in force on or before D in order). `Chronicle` computes the same answer for
every D at once, as segments of valid time over `ElementLines` (each element's states over
valid time), and keeps them current as records arrive: a new fact refolds only the lines of
the elements it touches, each only until it is back on the states it had, and rebuilds only
the segments in between, so its cost does not grow with the history behind it.
Property tests hold the two to each other.

A whole-list replacement is one category-wide effect that `apply` expands over the state at
its point of the fold (see domain.effects): it sits in the line of every group of its place
(and of any group designated later), so a refold of a group's line meets the replacement
with exactly the state the plain fold meets, and ends the same designations. `transitions`
and the element histories expand it the same way, so history and diff show each end it
makes with its amendment.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from domain.canonical import canonical_json
from domain.effects import (
    CATEGORY_WIDE,
    Effect,
    EffectKey,
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
    return canonical_json(key)


def canonical_documents(country: str, state: State) -> tuple[bytes, bytes]:
    """RFC 8785 bytes of `values_document` and `annotated_document`, from cached parts.

    RFC 8785 serialises an object as its members sorted by key, each member's value in
    canonical form, so a document can be assembled from the canonical bytes of its
    elements. Element ids and field names are ASCII, where UTF-16 order (the RFC's) and
    code-point order (Python's) agree. A test holds this equal to rfc8785.dumps.
    """
    head = b'{"country":' + canonical_json(country) + b',"elements":{'
    values, annotated = [], []
    for key in sorted(state):
        element = state[key]
        made = element._members
        if not made or made[0] != key:
            element_members(key, element)  # made once per element state (fills `made`)
        values.append(made[1])
        annotated.append(made[2])
    return head + b",".join(values) + b"}}", head + b",".join(annotated) + b"}}"


def element_members(key: str, element: ElementState) -> tuple[bytes, bytes, str]:
    """(`"key":value`, `"key":annotated element`, content id) of an element, made once per
    element state object (every state it is unchanged in shares it)."""
    made = element._members
    if not made or made[0] != key:
        value, annotated = element.canonical()
        name = _canonical_key(key) + b":"
        member = name + annotated
        made[:] = [key, name + value, member, hashlib.sha256(member).hexdigest()[:32]]
    return made[1], made[2], made[3]


def element_content_id(key: str, element: ElementState) -> str:
    """The content id of one annotated element under its element id: 128 bits of SHA-256
    (states are still identified by the full hash of their whole document)."""
    return element_members(key, element)[2]


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


def _group_place(element: str) -> str | None:
    """The place of a group element (`group:pti` -> "", `group:pti:IQ-BG` -> "IQ-BG"), None
    for any other element: the designations a category-wide effect of that place can end."""
    if not element.startswith("group:"):
        return None
    return element[6:].partition(":")[2]


def _wide_place(effect: Effect) -> str:
    return effect.element[len(CATEGORY_WIDE) :].partition(":")[2]


class _Line:
    """One element's effects in key order, and its state from each day it changed on."""

    __slots__ = ("days", "effects", "keys", "states")

    def __init__(self) -> None:
        self.keys: list[EffectKey] = []
        self.effects: list[Effect] = []
        self.days: list[dt.date] = []
        self.states: list[ElementState | None] = []

    def copy(self) -> _Line:
        line = _Line()
        line.keys, line.effects = list(self.keys), list(self.effects)
        line.days, line.states = list(self.days), list(self.states)
        return line

    def state_on(self, on: dt.date) -> ElementState | None:
        i = bisect_right(self.days, on) - 1
        return self.states[i] if i >= 0 else None

    def insert(self, effect: Effect) -> None:
        i = bisect_right(self.keys, effect.key)
        self.keys.insert(i, effect.key)
        self.effects.insert(i, effect)

    def discard(self, effect: Effect) -> None:
        i = bisect_left(self.keys, effect.key)
        while self.effects[i] is not effect:
            i += 1
        del self.keys[i], self.effects[i]

    def refold(self, element: str, start: dt.date, last: dt.date) -> dt.date | None:
        """Folds the element again from `start` after effects dated `start`..`last` came or
        went; returns the day from which its states are again the ones it had (None: they
        may differ to the end of time). A state equal to the one it had keeps its object
        (and the canonical bytes made for it). The new states replace the old ones in place
        (a splice): a change costs what it changes, not a copy of the element's line."""
        old_days, old_states = self.days, self.states
        first = bisect_left(old_days, start)
        days: list[dt.date] = []
        states: list[ElementState | None] = []
        held = old_states[first - 1] if first else None
        effects, i = self.effects, bisect_left(self.keys, (start,))
        while i < len(effects):
            day = effects[i].on
            if day > last:
                # Past every effect that changed: from here on the same effects meet the
                # same state, so once the states agree the old ones hold again.
                k = bisect_left(old_days, day)
                if (old_states[k - 1] if k else None) == held:
                    old_days[first:k], old_states[first:k] = days, states
                    return day
            scratch = {element: held} if held is not None else {}
            while i < len(effects) and effects[i].on == day:
                apply(scratch, effects[i])
                i += 1
            state = scratch.get(element)
            if state is held or state == held:
                continue
            k = bisect_right(old_days, day)
            had = old_states[k - 1] if k else None
            if had is not None and had == state:
                state = had
            days.append(day)
            states.append(state)
            held = state
        del old_days[first:], old_states[first:]
        old_days.extend(days)
        old_states.extend(states)
        return None


Window = tuple[dt.date, dt.date | None]  # [from, to) of valid time; to None: no end


class ElementLines:
    """Every element's states over valid time, kept current as effects come and go.

    Elements evolve on their own (domain.effects: a category-wide effect ends a group by
    that group's own state), so an effect refolds only its element's line, and only until
    that line is back on the states it had: a change costs what it changes, not the length
    of the history behind it. A copy shares its lines until it changes one (copy on write).
    """

    def __init__(self) -> None:
        self._lines: dict[str, _Line] = {}
        self._owned: set[str] = set()  # lines this instance made, so may change in place
        self._wide: dict[str, list[Effect]] = {}  # place -> category-wide effects, key order
        self._by_amendment: dict[str, list[Effect]] = {}
        self._days: list[dt.date] = []  # the date of every effect (enactments too), sorted

    def __deepcopy__(self, memo: dict[int, Any]) -> ElementLines:
        copy = ElementLines()
        copy._lines = dict(self._lines)
        self._owned.clear()  # the lines are shared now: each side copies before changing one
        copy._wide = {place: list(effects) for place, effects in self._wide.items()}
        copy._by_amendment = dict(self._by_amendment)
        copy._days = list(self._days)
        return copy

    @property
    def first_day(self) -> dt.date | None:
        return self._days[0] if self._days else None

    def state_on(self, on: dt.date, only: Iterable[str] | None = None) -> State:
        """The state on `on` (with `only`, of just those elements)."""
        found: State = {}
        for element in self._lines if only is None else only:
            line = self._lines.get(element)
            state = line.state_on(on) if line is not None else None
            if state is not None:
                found[element] = state
        return found

    def elements(self) -> list[str]:
        """Every element that has a line (some may hold no state on a given date)."""
        return list(self._lines)

    def add(self, effects: Iterable[Effect]) -> dict[str, Window]:
        """Adds effects; returns, for each element they may have changed, where."""
        touched: dict[str, tuple[dt.date, dt.date]] = {}
        for effect in effects:
            self._by_amendment.setdefault(effect.amendment_id, []).append(effect)
            insort(self._days, effect.on)
            for element in self._elements_of(effect):
                self._line(element).insert(effect)
                _touch(touched, element, effect.on)
        return self._refold(touched)

    def remove(self, amendment_id: str) -> tuple[dt.date | None, dict[str, Window]]:
        """Removes an amendment's effects; returns the earliest date they had (None: it had
        none) and, for each element that may have changed, where."""
        gone = self._by_amendment.pop(amendment_id, [])
        touched: dict[str, tuple[dt.date, dt.date]] = {}
        for effect in gone:
            del self._days[bisect_left(self._days, effect.on)]
            for element in self._elements_of(effect, removing=True):
                self._line(element).discard(effect)
                _touch(touched, element, effect.on)
        earliest = min((e.on for e in gone), default=None)
        return earliest, self._refold(touched)

    def _elements_of(self, effect: Effect, *, removing: bool = False) -> list[str]:
        if not effect.element:
            return []  # an enactment: it covers its date, alters no element
        if not is_category_wide(effect):
            return [effect.element]
        place = _wide_place(effect)
        wide = self._wide.setdefault(place, [])
        if removing:
            wide.remove(effect)
        else:
            insort(wide, effect, key=_key)
        return [e for e in self._lines if _group_place(e) == place]

    def _line(self, element: str) -> _Line:
        line = self._lines.get(element)
        if line is None:
            line = _Line()
            place = _group_place(element)
            for effect in self._wide.get(place, ()) if place is not None else ():
                line.insert(effect)  # a later designation meets earlier replacements
        elif element not in self._owned:
            line = line.copy()
        self._lines[element] = line
        self._owned.add(element)
        return line

    def _refold(self, touched: dict[str, tuple[dt.date, dt.date]]) -> dict[str, Window]:
        windows: dict[str, Window] = {}
        for element, (start, last) in touched.items():
            line = self._lines[element]
            windows[element] = (start, line.refold(element, start, last))
            if not line.effects:
                del self._lines[element]
        return windows


def _key(effect: Effect) -> EffectKey:
    return effect.key


def _touch(touched: dict[str, tuple[dt.date, dt.date]], element: str, on: dt.date) -> None:
    low, high = touched.get(element, (on, on))
    touched[element] = (min(low, on), max(high, on))


class Chronicle:
    """A country's policy over all valid time, as known at the latest fact added: segments
    (maximal runs of one state) over the element lines. A change rebuilds only the segments
    over the valid time its elements' states changed in (`replaced` says which)."""

    def __init__(self, country: str) -> None:
        self.country = country
        self.lines = ElementLines()
        self.segments: list[Segment] = []
        self.replaced: tuple[list[Segment], list[Segment]] = ([], [])  # by the last change
        self._pending: tuple[dt.date, dict[str, Window]] | None = None  # see add_later

    @classmethod
    def build(cls, country: str, records: Iterable[AmendmentRecord], at: dt.datetime) -> Chronicle:
        chronicle = cls(country)
        chronicle.add(visible_effects(records, at))
        return chronicle

    def add(self, effects: Iterable[Effect]) -> dt.date | None:
        """Adds effects; returns the earliest date whose state may have changed."""
        effects = list(effects)
        if not effects:
            self.replaced = ([], [])
            return None
        earliest = min(e.on for e in effects)
        self._rebuild(earliest, self.lines.add(effects))
        return earliest

    def remove(self, amendment_id: str) -> dt.date | None:
        earliest, windows = self.lines.remove(amendment_id)
        if earliest is None:
            self.replaced = ([], [])
            return None
        self._rebuild(earliest, windows)
        return earliest

    def add_later(self, effects: Iterable[Effect]) -> None:
        """`add`, with the segments rebuilt once by `settle` for a run of changes whose
        segments in between nobody reads (the element lines change at once)."""
        effects = list(effects)
        if effects:
            self._pend(min(e.on for e in effects), self.lines.add(effects))

    def remove_later(self, amendment_id: str) -> None:
        """`remove`, with the segments rebuilt by `settle` (see add_later)."""
        earliest, windows = self.lines.remove(amendment_id)
        if earliest is not None:
            self._pend(earliest, windows)

    def settle(self) -> None:
        """Rebuilds the segments over every change added or removed later since."""
        if self._pending is not None:
            earliest, windows = self._pending
            self._pending = None
            self._rebuild(earliest, windows)

    def _pend(self, earliest: dt.date, windows: dict[str, Window]) -> None:
        # The segments still show the state before the first pending change, so each
        # element's window is the union of its windows since.
        if self._pending is None:
            self._pending = (earliest, dict(windows))
            return
        first, pending = self._pending
        for element, (start, end) in windows.items():
            if element in pending:
                low, high = pending[element]
                end = None if end is None or high is None else max(end, high)
                start = min(start, low)
            pending[element] = (start, end)
        self._pending = (min(first, earliest), pending)

    def segment_on(self, on: dt.date) -> Segment | None:
        i = bisect_right(self.segments, on, key=_start) - 1
        if i >= 0 and self.segments[i].contains(on):
            return self.segments[i]
        return None

    def _rebuild(self, earliest: dt.date, windows: dict[str, Window]) -> None:
        """Rebuilds the segments over the valid time the change may have altered: from the
        segment before the one holding its first date (it may merge) to the segment after
        the one holding the date its elements are back on their old states."""
        segments, first = self.segments, self.lines.first_day
        low = min([earliest, *(start for start, _ in windows.values())])
        ends = [end for _, end in windows.values()]
        high = None if None in ends else max([earliest, *ends])  # type: ignore[type-var]
        r = max(bisect_right(segments, low, key=_start) - 2, 0)
        if high is None:
            e = len(segments)
        else:
            e = min(bisect_right(segments, high, key=_start) + 1, len(segments))
        old = segments[r:e]
        if first is None:
            self.segments, self.replaced = [], (segments, [])
            return
        begin = old[0].valid_from if old and r > 0 else first
        stop = old[-1].valid_to if old and e < len(segments) else None
        days = {begin}
        days.update(s.valid_from for s in old if s.valid_from > begin)
        for element in windows:
            line = self.lines._lines.get(element)
            for day in line.days if line is not None else ():
                if begin < day and (stop is None or day < stop):
                    days.add(day)
        new = self._segments_over(sorted(days), stop, old, windows)
        self.segments = [*segments[:r], *new, *segments[e:]]
        self.replaced = (old, new)

    def _segments_over(
        self,
        days: list[dt.date],
        stop: dt.date | None,
        old: list[Segment],
        windows: dict[str, Window],
    ) -> list[Segment]:
        runs: list[tuple[dt.date, State]] = []
        at = 0  # the old segment holding the day
        for day in days:
            while at + 1 < len(old) and old[at + 1].valid_from <= day:
                at += 1
            base = old[at].state if old and old[at].contains(day) else {}
            state = dict(base)
            for element in windows:
                line = self.lines._lines.get(element)
                value = line.state_on(day) if line is not None else None
                if value is None:
                    state.pop(element, None)
                else:
                    state[element] = value
            if state == base:
                state = base
            if runs and runs[-1][1] == state:
                continue
            runs.append((day, state))
        by_start = {s.valid_from: s for s in old}
        new = []
        for i, (day, state) in enumerate(runs):
            valid_to = runs[i + 1][0] if i + 1 < len(runs) else stop
            had = by_start.get(day)
            if had is not None and (had.state is state or had.state == state):
                new.append(had.ending(valid_to))
            else:
                new.append(Segment(self.country, day, valid_to, state))
        return new


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
