"""The policy projection: country policy events -> bitemporal segments, amendments, countries.

Each event is folded into the country's `Chronicle` as known at the event's record time;
the segments it changed are closed (recorded_to = that time) and their successors opened.
A run of events is written in one transaction with one tracking record, so a crash loses
nothing and repeats nothing. The same transaction moves each country's chain head and the
ledger digest over all heads (computed once per run), so every answer can name the digest
of the ledger it was read from without hashing anything, and appends a signed checkpoint of
those heads to the trail that no rebuild drops (projections.checkpoints). The in-memory
chronicles are a
cache of the tables: they are dropped whenever the tables moved on without us (another
process projected first).
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.projection import Projection

from domain import chain
from domain.domainmodel import CountryPolicy, amendment_record, chain_hash
from domain.effects import ElementState
from domain.fold import Chronicle, Segment, State, element_content_id, record_effects
from domain.instants import END_OF_TIME, to_micros
from domain.records import AmendmentRecord
from events import payloads
from projections.checkpoints import CheckpointTable
from projections.fragments import fragment_of
from projections.queries import provenance
from projections.records import record_from_json, record_to_json
from projections.views import MAX_CHAIN, Batch, PolicyViewMixin, SegmentRow


@dataclass
class CountryCache:
    chronicle: Chronicle
    records: dict[str, AmendmentRecord] = field(default_factory=dict)
    version: int = 0


class PolicyProjection(Projection[Any]):  # the view: a PolicyViewMixin tracking recorder
    name = "policy"
    topics = (
        f"{CountryPolicy.__module__}:CountryPolicy.Opened",
        f"{CountryPolicy.__module__}:CountryPolicy.AmendmentRecorded",
        f"{CountryPolicy.__module__}:CountryPolicy.InForceDateRecorded",
        f"{CountryPolicy.__module__}:CountryPolicy.AmendmentRetracted",
    )

    def __init__(
        self,
        view: PolicyViewMixin,
        application_name: str,
        checkpoints: CheckpointTable | None = None,
    ) -> None:
        super().__init__(view)
        self.policy_view = view
        self.application_name = application_name
        self.checkpoints = checkpoints
        self._checkpointed: int | None = None  # the position of our last checkpoint
        self._countries: dict[str, CountryCache] = {}
        # state id -> (its row's number, the length of its chain of bases: 0 when stored
        # whole), of the states this process wrote: the rows its segments name, and the only
        # bases of the states it writes next
        self._known_states: dict[str, tuple[int, int]] = {}
        self._last_state: int | None = None  # the highest state number in the table
        self._known_elements: set[str] = set()
        self._heads: dict[str, tuple[int, str]] | None = None  # country -> (position, head)
        self._position: int | None = None
        self._batch = Batch.empty()

    # The library's entry point: one event, one transaction.
    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.process_events([(domain_event, tracking)])

    def process_events(
        self, events: Sequence[tuple[Any, Tracking]], after: int | None = None
    ) -> None:
        """Projects a run of events in one transaction, tracked by the last one.

        `after` is the position the events were read from. If the tables have moved since
        (another process projected meanwhile), the run is stale: IntegrityError, nothing
        written, as when the position moves while the run is being projected."""
        if not events:
            return
        self._sync_position()
        if after is not None and (self._position or 0) != after:
            stale = IntegrityError(
                f"{self.application_name}: position moved from {after} to {self._position} "
                "after these events were read"
            )
            self.forget()
            raise stale
        first = events[0][1].notification_id
        if first <= (self._position or 0):
            # Read after an older position: another process projected these events since.
            # Projected again on top of its rows they would count twice; the caller resumes
            # after the new position instead.
            raise IntegrityError(
                f"{self.application_name}: events from {first} on were projected meanwhile "
                f"(position {self._position})"
            )
        self._batch = Batch.empty()
        try:
            with collection_paused():
                heads = self._chain_heads()
                for domain_event, tracking in events:
                    self._link(heads, domain_event)
                    self._project(domain_event, tracking.notification_id)
                digest = chain.ledger_digest({c: head for c, (_, head) in heads.items()})
                position = events[-1][1].notification_id
                self._batch.digest = (position, digest)
                self._apply(events[-1][1], heads, digest)
        except BaseException:
            self.forget()
            raise
        self._position = position

    def _apply(self, tracking: Tracking, heads: dict[str, tuple[int, str]], digest: str) -> None:
        """Writes the batch, and the checkpoint of its heads: in the same transaction when
        the trail is in the read model's store, else right after it (every head then)."""
        trail, position = self.checkpoints, tracking.notification_id
        if trail is None:
            self.policy_view.apply(self._batch, tracking, expected=self._position)
            return
        moved = dict(self._batch.heads)
        if trail.datastore is getattr(self.policy_view, "datastore", None):

            def also(c: Any) -> None:
                self._checkpointed = trail.record(
                    c, position, heads, moved, digest, self._checkpointed
                )

            self.policy_view.apply(self._batch, tracking, expected=self._position, also=also)
            return
        self.policy_view.apply(self._batch, tracking, expected=self._position)
        with trail.datastore.transaction(commit=True) as c:
            trail.record(c, position, heads, heads, digest, None)

    def forget(self) -> None:
        """Drops the in-memory cache; the tables stay the truth."""
        self._countries.clear()
        self._known_states.clear()
        self._last_state = None
        self._known_elements.clear()
        self._heads = None
        self._position = None
        self._checkpointed = None

    def _sync_position(self) -> None:
        current = self.policy_view.max_tracking_id(self.application_name)
        if current != self._position:
            self.forget()
            self._position = current

    def _chain_heads(self) -> dict[str, tuple[int, str]]:
        if self._heads is None:
            self._heads = self.policy_view.chain_heads()
        return self._heads

    # Event handling -----------------------------------------------------------------

    def _link(self, heads: dict[str, tuple[int, str]], event: Any) -> None:
        """Moves the country's chain head to the event (computed for version 1 events)."""
        country = _country_of_event(event)
        _, previous = heads.get(country, (0, chain.GENESIS))
        heads[country] = (event.originator_version, chain_hash(event, country, previous))
        self._batch.heads[country] = heads[country]

    def _project(self, event: Any, notification_id: int) -> None:
        if isinstance(event, CountryPolicy.Opened):
            self._country(event.country).version = event.originator_version
            return
        cache = self._country_of(event)
        at = event.timestamp
        record, touched = self._record_after(cache, event)
        cache.records[record.id] = record
        cache.version = event.originator_version
        if touched(cache.chronicle, record, at) is not None:
            self._emit_segments(cache.chronicle, at)
        self._batch.amendments[record.id] = (
            record.country,
            record.position,
            record_to_json(record),
        )
        self._batch.countries[record.country] = (
            cache.version,
            len(cache.records),
            to_micros(at),
            notification_id,
        )

    def _record_after(self, cache: CountryCache, event: Any) -> tuple[AmendmentRecord, Any]:
        if isinstance(event, CountryPolicy.AmendmentRecorded):
            record = amendment_record(event.payload, event.originator_version, event.timestamp)
            return record, _add_effects
        if isinstance(event, CountryPolicy.InForceDateRecorded):
            learned = payloads.InForceDateRecorded.model_validate(event.payload)
            record = cache.records[learned.amendment_id]
            learned_record = record.with_in_force(
                learned.in_force_from, event.timestamp, learned.announced_on
            )
            return learned_record, _add_effects
        retracted = payloads.AmendmentRetracted.model_validate(event.payload)
        record = cache.records[retracted.amendment_id]
        retraction = record.with_retraction(
            retracted.reason, event.timestamp, retracted.source, retracted.announced_on
        )
        return retraction, _remove_effects

    def _country_of(self, event: Any) -> CountryCache:
        country = _country_of_event(event)
        return self._country(country)

    def _country(self, country: str) -> CountryCache:
        cache = self._countries.get(country)
        if cache is None:
            records = [record_from_json(r) for r in self.policy_view.amendment_rows(country)]
            chronicle = Chronicle.build(country, records, END_OF_TIME)
            cache = CountryCache(chronicle, {r.id: r for r in records})
            self._countries[country] = cache
        return cache

    def _emit_segments(self, chronicle: Chronicle, at: dt.datetime) -> None:
        """Closes the rows of the segments the change replaced and opens the new ones (a
        segment it kept as it was keeps its row)."""
        gone, made = chronicle.replaced
        kept = {id(s) for s in gone} & {id(s) for s in made}  # the same object: the same row
        old = {segment_row(s): s for s in gone if id(s) not in kept}
        new = {segment_row(s): s for s in made if id(s) not in kept}
        micros = to_micros(at)
        for row in old:
            if row not in new:
                self._batch.close_row(row.country, row.valid_from, micros)
        previous = None
        for row, segment in new.items():
            if row not in old:
                state = self._remember_state(segment, _base_candidates(segment, gone, previous))
                self._batch.open_row(row, state, micros)
            previous = segment

    def _remember_state(self, segment: Segment, candidates: list[Segment]) -> int:
        """The number of the segment's state row. A state not written yet is stored as its
        differences from a state already stored (the one it replaced, or its neighbour's)
        when there is one near enough, else whole."""
        known = self._known_states.get(segment.state_id)
        if known is not None:
            return known[0]
        changed: Mapping[str, ElementState | None] = segment.state
        base, depth = None, 0
        for candidate in candidates:
            found = self._known_states.get(candidate.state_id)
            if found is not None and found[1] < MAX_CHAIN:
                base, depth = found[0], found[1] + 1
                changed = _changed(segment.state, candidate.state)
                break
        refs: dict[str, str | None] = {}
        for key, element in changed.items():
            if element is None:
                refs[key] = None
                continue
            content_id = refs[key] = element_content_id(key, element)
            if content_id not in self._known_elements:
                self._batch.elements[content_id] = self._element_row(segment.country, key, element)
                self._known_elements.add(content_id)
        if self._last_state is None:
            self._last_state = self.policy_view.last_state_number()
        number = self._last_state = self._last_state + 1
        elements = orjson.dumps(refs, option=orjson.OPT_SORT_KEYS).decode()
        self._batch.states.append(
            (number, segment.state_id, segment.country, segment.version_id, base, elements)
        )
        self._known_states[segment.state_id] = (number, depth)
        return number

    def _element_row(
        self, country: str, key: str, element: ElementState
    ) -> tuple[str, str, str, str]:
        doc = provenance(key, element.to_json(), self._countries[country].records)
        fragment = fragment_of(key, doc).decode()
        return country, key, element.canonical()[1].decode(), fragment


@contextmanager
def collection_paused() -> Iterator[None]:
    """Pauses Python's cyclic garbage collector while a run of events is projected. Its full
    passes walk every object the process holds, and the chronicles of a large ledger are
    millions of them, so with it on each event cost more the longer the history (a third of
    a rebuild at 20,000 amendments). What a run drops is freed by reference counting as
    before (the fold makes no cycles); the collector runs again after the run."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _base_candidates(
    segment: Segment, gone: list[Segment], previous: Segment | None
) -> list[Segment]:
    """States a new segment's state likely differs little from: that of the segment it
    replaced on its first day (its state plus the change), then its predecessor's."""
    found = [s for s in gone if s.contains(segment.valid_from)]
    return [*found, previous] if previous is not None else found


def _changed(state: State, base: State) -> dict[str, ElementState | None]:
    """The elements of `state` not in `base` as they are, and those only in `base` as None."""
    changed: dict[str, ElementState | None] = {
        k: e for k, e in state.items() if base.get(k) is not e
    }
    changed.update((k, None) for k in base if k not in state)
    return changed


def _add_effects(chronicle: Chronicle, record: AmendmentRecord, at: dt.datetime) -> dt.date | None:
    return chronicle.add(record_effects(record, at))


def _remove_effects(
    chronicle: Chronicle, record: AmendmentRecord, at: dt.datetime
) -> dt.date | None:
    return chronicle.remove(record.id)


def _country_of_event(event: Any) -> str:
    if isinstance(event, CountryPolicy.Opened):
        return str(event.country)
    return str(event.payload["country"])


def segment_row(segment: Segment) -> SegmentRow:
    return SegmentRow(
        country=segment.country,
        valid_from=segment.valid_from.toordinal(),
        valid_to=segment.valid_to.toordinal() if segment.valid_to is not None else None,
        version_id=segment.version_id,
        state_id=segment.state_id,
    )
