"""A country's policy as known now, read fact by fact along valid time.

An audit asks the same few facts (a group's designation, a region's Article 15(c) level, a
moratorium, …) of thousands of decisions spread over a country's segments. Read state by
state, that means materialising thousands of states, most of them once; here each fact an
audit asks about becomes a column over the segments, kept as the rows where its value
changes, built once from each element's changes. Judging a decision is then a few bisects.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from typing import Any

from domain.facts import Fact, FactSpec, not_stated, read_fact
from domain.fold import Segment, element_histories
from domain.instants import END_OF_TIME
from domain.records import AmendmentRecord

# What an element holds in one state: its content (a content id; any hashable for drafts).
ContentKey = Hashable
Changes = tuple[list[int], list[ContentKey | None]]  # rows where it changes, content from each
# element -> the days its value changed as known now (ISO), the amendments that did, and
# for each change that removed the element the action that did ("" for one that set it)
ValueChanges = dict[str, tuple[list[str], list[str], list[str]]]
MAX_COLUMNS = 20_000  # per country; a file of endless distinct groups must not grow memory


class FactColumn:
    """One fact along a country's rows: `starts[k]` is the first row of run k, whose fact is
    `facts[k]`. Run -1 stands for "no policy on that date" (nothing stated)."""

    __slots__ = ("facts", "nothing", "spec", "starts")

    def __init__(self, spec: FactSpec, starts: list[int], facts: list[Fact]) -> None:
        self.spec = spec
        self.starts = starts
        self.facts = facts
        self.nothing = not_stated(spec)

    def run(self, row: int) -> int:
        return bisect_right(self.starts, row) - 1 if row >= 0 else -1

    def fact(self, run: int) -> Fact:
        return self.facts[run] if run >= 0 else self.nothing


class Timeline:
    """The segment rows of one country: `starts`/`ends` (ISO dates, end exclusive or None),
    each row's version and state id, and its elements on demand. The rows may span both
    time axes (every row ever recorded, for audits of what was known when); `current` lists
    those that hold now, in valid-time order."""

    def __init__(
        self,
        code: str,
        starts: list[str],
        ends: list[str | None],
        version_ids: list[str],
        state_ids: list[str],
        elements: Callable[[], Iterable[Iterable[tuple[str, ContentKey]]]],
        value_of: Callable[[ContentKey], Mapping[str, Any]],
        recorded: tuple[list[int], list[int | None]] | None = None,
        changes: Callable[[], ValueChanges] | None = None,
    ) -> None:
        """`recorded`: each row's record interval (micros, end exclusive or None) where the
        rows span both axes; without it every row holds now (a present with drafts).
        `changes`: each element's value changes as known now, which tell a stated end (a
        revocation, a lifted moratorium) from a removal that states nothing (whether a side
        of an audit sees the act behind such an end is for the auditor to say)."""
        self.code = code
        self.starts = starts
        self.ends = ends
        self.version_ids = version_ids
        self.versions = [*version_ids, None]  # by row, where row -1 (no policy) has none
        self.state_ids = state_ids
        self.recorded_from, self.recorded_to = recorded or ([], [])
        self.current = (
            [i for i, end in enumerate(self.recorded_to) if end is None]
            if recorded
            else list(range(len(starts)))
        )
        self._current_starts = [starts[i] for i in self.current]
        self._elements = elements
        self._value_of = value_of
        self._value_changes = changes
        self.segments: list[Segment] | None = None  # the rows' segments, when held in memory
        # Or, for a compact timeline (segment_timeline), an element state by content key:
        # a row's state is read back from the element changes (`state_keys`).
        self.element_state: Callable[[ContentKey], Any] | None = None
        self._every: ValueChanges | None = None
        self._changes: dict[str, Changes] | None = None
        self._shared: dict[FactSpec, FactColumn] = {}
        self._values: dict[ContentKey, Mapping[str, Any]] = {}

    def row_on(self, day: str) -> int:
        """The row in force on `day` (ISO) as known now, or -1 when no policy is."""
        i = bisect_right(self._current_starts, day) - 1
        if i < 0:
            return -1
        row = self.current[i]
        end = self.ends[row]
        return row if end is None or day < end else -1

    def index_at(self, on: str, at: int) -> int:
        """The row in force on `on` as recorded at `at` (micros); -1 if none was."""
        # Rows that start later cannot contain `on`; walk back from the last that may. Rows
        # superseded before `at` or recorded after it are passed over (usually few).
        starts, ends, since, until = self.starts, self.ends, self.recorded_from, self.recorded_to
        i = bisect_right(starts, on) - 1
        while i >= 0:
            end, last = ends[i], until[i]
            if (end is None or on < end) and since[i] <= at and (last is None or at < last):
                return i
            i -= 1
        return -1

    def column(self, spec: FactSpec) -> FactColumn:
        """The fact along the rows. Candidates the country never had cannot answer: specs
        that differ only in those (the same group in regions without a regional element)
        share a column, kept by the spec without them (callers keep their own specs)."""
        (known,) = self.known((spec,))
        found = self._shared.get(known)
        if found is None:
            if len(self._shared) >= MAX_COLUMNS:
                self._shared.clear()
            found = self._shared[known] = self._build(known, self._element_changes())
        return found

    def known(self, specs: Iterable[FactSpec]) -> tuple[FactSpec, ...]:
        """The specs with only the candidates the country has ever had: in these rows, or,
        for a stated end that may hold in them, anywhere in its history known now."""
        changes = self._element_changes()
        every = self._every_change()
        found = []
        for spec in specs:
            candidates = tuple(c for c in spec.candidates if c in changes or c in every)
            exempt = spec.exempt if self._has_exceptions(candidates, changes) else ()
            if candidates != spec.candidates or exempt != spec.exempt:
                spec = FactSpec(spec.key, spec.field, candidates, exempt)
            found.append(spec)
        return tuple(found)

    def _has_exceptions(self, candidates: tuple[str, ...], changes: dict[str, Changes]) -> bool:
        """Whether any value these elements ever had names exceptions (else a profile's
        exemptions cannot matter, and profiles share the column)."""
        for element in candidates:
            for key in changes.get(element, NO_CHANGES)[1]:
                if key is not None and self._value(key).get("exceptions"):
                    return True
        return False

    def _build(self, spec: FactSpec, changes: dict[str, Changes]) -> FactColumn:
        if not self.starts:  # no rows: every date reads "no policy"
            return FactColumn(spec, [], [])
        rows = sorted({0, *(i for c in spec.candidates for i in changes.get(c, NO_CHANGES)[0])})
        ends = self._ends(spec)
        if ends is not None:
            # Where a stated end holds depends on a row's first day too: read also each row
            # whose first day falls between other change days than the row before's (rows
            # of both axes are not in date order).
            marks = sorted({day for days, _, _ in ends.values() for day in days})
            crossing: set[int] = set()
            last = -1
            for i, start in enumerate(self.starts):
                position = bisect_right(marks, start)
                if position != last:
                    crossing.add(i)
                    last = position
            rows = sorted(crossing.union(rows))
        starts: list[int] = []
        facts: list[Fact] = []
        for i in rows:
            at = _EndsAt(ends, self.starts[i]) if ends is not None else None
            fact = read_fact(spec, _ValuesAt(changes, i, self._value), at)
            if not facts or facts[-1] != fact:
                starts.append(i)
                facts.append(fact)
        return FactColumn(spec, starts, facts)

    def _ends(self, spec: FactSpec) -> dict[str, tuple[list[str], list[str], list[str]]] | None:
        """For the spec's elements, the days each changed as known now, the amendments that
        changed it and the action of each removal (None: no element of it was removed)."""
        every = self._every_change()
        found = {}
        for element in spec.candidates:
            days, amendments, actions = every.get(element, NO_VALUE_CHANGES)
            if any(actions):
                found[element] = (days, amendments, actions)
        return found or None

    def _every_change(self) -> ValueChanges:
        """Each element's value changes as known now (none without them)."""
        if self._every is None:
            self._every = self._value_changes() if self._value_changes is not None else {}
        return self._every

    def _value(self, key: ContentKey) -> Mapping[str, Any]:
        found = self._values.get(key)
        if found is None:
            found = self._values[key] = self._value_of(key)
        return found

    def state_keys(self, row: int) -> dict[str, ContentKey]:
        """The content of each element a row holds (from the element changes)."""
        found: dict[str, ContentKey] = {}
        for element, (rows, keys) in self._element_changes().items():
            j = bisect_right(rows, row) - 1
            if j >= 0 and keys[j] is not None:
                found[element] = keys[j]
        return found

    def settle_elements(self) -> None:
        """Reads the element changes now and lets go of what they were read from."""
        self._element_changes()
        self._elements = _no_elements

    def _element_changes(self) -> dict[str, Changes]:
        """For every element, the rows where its content changes (None: absent from then)."""
        if self._changes is None:
            changes: dict[str, Changes] = {}
            before: dict[str, ContentKey] = {}
            for i, pairs in enumerate(self._elements()):
                now = dict(pairs)
                for element, key in now.items() - before.items():  # added or changed
                    rows, keys = changes.setdefault(element, ([], []))
                    rows.append(i)
                    keys.append(key)
                for element in before.keys() - now.keys():
                    rows, keys = changes[element]
                    rows.append(i)
                    keys.append(None)
                before = now
            self._changes = changes
        return self._changes


def _no_elements() -> Iterable[Iterable[tuple[str, ContentKey]]]:
    return ()


NO_VALUE_CHANGES: tuple[list[str], list[str], list[str]] = ([], [], [])
NO_CHANGES: Changes = ([], [])


class _EndsAt(Mapping[str, str]):
    """For elements removed by `day`: the action that last changed each (for `read_fact`)."""

    __slots__ = ("_day", "_ends")

    def __init__(self, ends: dict[str, tuple[list[str], list[str], list[str]]], day: str) -> None:
        self._ends = ends
        self._day = day

    def __getitem__(self, element: str) -> str:
        days, _, actions = self._ends[element]
        j = bisect_right(days, self._day) - 1
        if j < 0 or not actions[j]:
            raise KeyError(element)
        # The end is the last day on which the element went from stated (at the end of the
        # day before) to not stated; an element imposed and lifted within one day was
        # never stated, and so is not ended by that day.
        while True:
            k = bisect_left(days, days[j]) - 1
            if k < 0:
                raise KeyError(element)
            if not actions[k]:
                return actions[j]
            j = k

    def __iter__(self) -> Iterator[str]:
        return (e for e in self._ends if e in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _ValuesAt(Mapping[str, Any]):
    """The element values of one row, read from the element changes (for `read_fact`)."""

    __slots__ = ("_changes", "_row", "_value_of")

    def __init__(
        self,
        changes: dict[str, Changes],
        row: int,
        value_of: Callable[[ContentKey], Mapping[str, Any]],
    ) -> None:
        self._changes = changes
        self._row = row
        self._value_of = value_of

    def _key(self, element: object) -> ContentKey | None:
        found = self._changes.get(element) if isinstance(element, str) else None
        if found is None:
            return None
        rows, keys = found
        j = bisect_right(rows, self._row) - 1
        return keys[j] if j >= 0 else None

    def __getitem__(self, element: str) -> Any:
        key = self._key(element)
        if key is None:
            raise KeyError(element)
        return self._value_of(key)

    def __contains__(self, element: object) -> bool:
        return self._key(element) is not None

    def __iter__(self) -> Iterator[str]:
        return (e for e in self._changes if e in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def value_changes(records: Iterable[AmendmentRecord]) -> ValueChanges:
    """For each element, when its value changed as known now, by which amendment, and for a
    removal the action that removed it, in date order (from one pass over the records'
    effects)."""
    changes: ValueChanges = {}
    for element, history in element_histories(records, END_OF_TIME).items():
        days, amendments, actions = changes[element] = ([], [], [])
        for t in history:
            if t.changes_value:
                days.append(t.effect.on.isoformat())
                amendments.append(t.effect.amendment_id)
                actions.append(t.effect.action if t.after is None else "")
    return changes


def segment_timeline(
    code: str,
    segments: list[Segment],
    changes: Callable[[], ValueChanges] | None = None,
    ids: tuple[list[str], list[str]] | None = None,
    compact: bool = False,
) -> Timeline:
    """A timeline over segments held in memory (drafts applied, or what was published by
    each date), every row holding now; `ids`: the rows' version and state ids, when not
    the segments' own. `compact`: the segments' states are not kept (thousands of maps of
    every element, for what was published by each date): a row's state is read back from
    the element changes."""
    # Element states are shared by every segment they stay unchanged in: their identity is
    # their content key, and this map keeps them (and so their ids) alive.
    held = {id(s): s for segment in segments for s in segment.state.values()}
    versions, states = ids or ([s.version_id for s in segments], [s.state_id for s in segments])
    timeline = Timeline(
        code,
        [s.valid_from.isoformat() for s in segments],
        [s.valid_to.isoformat() if s.valid_to else None for s in segments],
        versions,
        states,
        lambda: (((k, id(s)) for k, s in segment.state.items()) for segment in segments),
        lambda key: held[key].value,  # type: ignore[index]
        changes=changes,
    )
    if compact:
        timeline.settle_elements()
        timeline.element_state = lambda key: held[key]  # type: ignore[index]
    else:
        timeline.segments = segments
    return timeline
