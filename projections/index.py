"""An in-process index of the read model: the policy on D as known at T (now or any moment),
and as published by P, answered from memory.

It mirrors each country's segment rows over both axes (the open ones, for the hot question
"as known now", and all of them, for any T: projections.bitemporal), every state's element
fragments, and the amendment records; it refreshes only the countries whose rows moved since
it last looked (whoever projected them). A country is loaded when first asked for, and a
server loads the rest in the background after it starts (`load_all`), so it serves within a
second however large the ledger. Answers are assembled from cached parts: a state is a list
of content-addressed elements, each element's answer fragment is stored once by the
projection and shared by every state it is unchanged in, each state's sections are
serialised once while in use, and the request's own fields are spliced around them. An
answer as published by P folds the country's records in memory (kept per what is known and
published, `PUBLISHED_FOLDS`).

Each answer names the ledger digest of exactly the read model state it was assembled from:
the index takes the digest the projection stored with its position, and swaps its countries
and that digest in one assignment, so a request never pairs one with the other's neighbour;
a country loaded later is checked to be at that position.
"""

from __future__ import annotations

import datetime as dt
import threading
from array import array
from bisect import bisect_right
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from sys import intern
from typing import Any

import orjson

from domain.chain import EMPTY_DIGEST
from domain.countries import country_code
from domain.errors import CountryNotFoundError
from domain.fold import Attested, Chronicle, attestations, attested_later, pending_on
from domain.instants import END_OF_TIME, from_micros, to_micros
from domain.records import AmendmentRecord, as_published, knowledge_moments
from projections.bitemporal import OPEN, Found, SegmentHistory
from projections.fragments import Fragment, assemble_sections, load_fragment
from projections.lru import Lru
from projections.queries import (
    Place,
    amendment_summary,
    attested_doc,
    check_place,
    defined_areas,
    policy_header,
    policy_sections,
    provenance,
    published_answer,
    resolve_sections,
    version_spans,
)
from projections.records import record_from_json
from projections.timeline import Timeline, ValueChanges, value_changes
from projections.views import PolicyViewMixin

Doc = dict[str, Any]
EMPTY_SECTIONS = policy_sections({}, {})
REFRESH_ROUNDS = 3  # loads before settling for a digest newer than the rows (constant writes)
# Folds kept for answers that count only what was published by a date (per country, per
# what is known and published: a few hundred KB each at 100,000 amendments).
PUBLISHED_FOLDS = 64


@dataclass(slots=True)
class Bitemporal:
    """What a country's answers as known at an earlier moment T need beyond the current ones:
    every segment row over both axes, every state's fragments (as indices into `fragments`),
    and the records that were pending at some time, with when."""

    segments: SegmentHistory
    fragments: list[Fragment]  # every element the country has had
    states: list[array[int]]  # per state, the indices of its elements' fragments, in element order
    state_ids: list[str]
    # (known from, known until in µs, announced_on, JSON) of each record pending at some time
    pending: list[tuple[int, int, str, bytes]]
    moments: list[int]  # when what the records say changed (µs), sorted
    published: list[str]  # every date an act was published on (ISO), sorted
    attesting: bool  # whether any record is an attestation
    last_moment: int  # from then on, the answer is the current one (µs)

    def epoch(self, at: int) -> int:
        """Moments with the same epoch know the same: a key for what is folded from them."""
        return bisect_right(self.moments, at)


@dataclass
class CountryIndex:
    code: str
    records: dict[str, AmendmentRecord]
    starts: list[str]
    rows: list[dict[str, Any]]
    spans: list[tuple[str, str | None]]  # the version interval of each row
    parts: list[tuple[Fragment, ...]]  # the answer fragments of each row's state
    parts_of: dict[str, tuple[Fragment, ...]]  # the same by state id
    pending: list[tuple[str, bytes]] = field(default_factory=list)  # (announced_on, json)
    # What attestations state, by date (ISO dates alongside, to bisect), and each row's values
    # of the elements they attest: `attested_later` of an answer is made from these.
    attested: list[Attested] = field(default_factory=list)
    attested_from: list[str] = field(default_factory=list)
    attested_values: list[dict[str, Any]] = field(default_factory=list)
    _attested_json: dict[tuple[int | None, int], bytes] = field(default_factory=dict)
    bitemporal: Bitemporal | None = None  # None in an index for audits

    @classmethod
    def load(cls, view: PolicyViewMixin, code: str, answers: bool = True) -> CountryIndex:
        """`answers`: also the fragments and the rows over both axes policy answers are
        assembled from (an audit, which reads facts, not answers, does without them)."""
        # Rows first: records read after them include every amendment the rows cite, even
        # when another process projects in between (the reverse order could miss one). The
        # open rows are those of the history: one read, so the two agree.
        history = view.segment_history(code) if answers else []
        rows = [r for r in history if r["recorded_to"] is None]
        records = [record_from_json(r) for r in view.amendment_rows(code)]
        parts: dict[str, tuple[Fragment, ...]] = {}
        attested: list[Attested] = []
        attested_values: list[dict[str, Any]] = []
        bitemporal = None
        if answers:
            # States and elements are only ever added, so those of these rows are all there.
            fragments = {
                c: load_fragment(e, f.encode(), intern(c))
                for c, e, f in view.country_fragments(code)
            }
            by_number = view.states_elements({r["state"] for r in history})
            states = {r["state_id"]: by_number[r["state"]] for r in history}
            current = {r["state_id"] for r in rows}
            parts = {s: tuple(fragments[c] for c in states[s].values()) for s in current}
            bitemporal = _bitemporal(history, states, fragments, records)
            attested = attestations(records, END_OF_TIME)
            if attested:
                bodies = view.country_element_bodies(code)
                wanted = {a.element for a in attested}
                attested_values = [
                    {
                        e: orjson.loads(bodies[c])["value"]
                        for e, c in states[r["state_id"]].items()
                        if e in wanted
                    }
                    for r in rows
                ]
        # In record order, as the SQL answer lists them (pending_on).
        pending = [
            (r.announced_on.isoformat(), orjson.dumps(amendment_summary(r)))
            for r in records
            if r.is_pending_on(dt.date.max, END_OF_TIME)
        ]
        return cls(
            code=code,
            records={r.id: r for r in records},
            starts=[r["valid_from"] for r in rows],
            rows=rows,
            spans=version_spans([(r["version_id"], r["valid_from"], r["valid_to"]) for r in rows]),
            parts=[parts.get(r["state_id"], ()) for r in rows],
            parts_of=parts,
            pending=pending,
            attested=attested,
            attested_from=[a.attested_from.isoformat() for a in attested],
            attested_values=attested_values,
            bitemporal=bitemporal,
        )

    def row_on(self, on: str) -> int | None:
        i = bisect_right(self.starts, on) - 1
        if i < 0:
            return None
        valid_to = self.rows[i]["valid_to"]
        return i if valid_to is None or on < valid_to else None

    def attested_json(self, i: int | None, on: dt.date) -> bytes:
        """`attested_later` of the answer for `on` (row `i`, None: no coverage), as JSON."""
        k = bisect_right(self.attested_from, on.isoformat())
        if k == len(self.attested):
            return b"[]"
        found = self._attested_json.get((i, k))
        if found is None:
            values = self.attested_values[i] if i is not None else {}
            later = attested_later(self.attested[k:], values, on)
            found = orjson.dumps([attested_doc(a) for a in later])
            self._attested_json[(i, k)] = found
        return found


def _bitemporal(
    history: list[dict[str, Any]],
    states: Mapping[str, Mapping[str, str]],
    fragments: Mapping[str, Fragment],
    records: list[AmendmentRecord],
) -> Bitemporal:
    order = {c: i for i, c in enumerate(fragments)}
    state_ids = list(states)
    segments = SegmentHistory.build(history, {s: i for i, s in enumerate(state_ids)})
    moments = [to_micros(m) for m in knowledge_moments(records)]
    published = {r.announced_on for r in records}
    published.update(r.in_force_published_on for r in records if r.in_force_published_on)
    published.update(r.retraction_published_on for r in records if r.retraction_published_on)
    return Bitemporal(
        segments=segments,
        fragments=list(fragments.values()),
        states=[array("I", (order[c] for c in states[s].values())) for s in state_ids],
        state_ids=[intern(s) for s in state_ids],
        pending=[_pending_span(r) for r in records if r.in_force_from is None],
        moments=moments,
        published=sorted(d.isoformat() for d in published),
        attesting=any(r.attestation for r in records),
        last_moment=max([segments.last_moment, *moments[-1:]]),
    )


def _pending_span(record: AmendmentRecord) -> tuple[int, int, str, bytes]:
    """When a record without an in-force date of its own counts as pending (record time: from
    its recording until its in-force date is learned or it is retracted), and its summary."""
    ends = [m for m in (record.in_force_learned_at, record.retracted_at) if m is not None]
    until = min(to_micros(m) for m in ends) if ends else OPEN
    summary = orjson.dumps(amendment_summary(record))
    return to_micros(record.recorded_at), until, record.announced_on.isoformat(), summary


def _header_json(
    code: str, on: dt.date, known_at: dt.datetime, found: Found | None, digest: str
) -> bytes:
    version = None if found is None else (found.version_id, found.valid_from, found.valid_to)
    fields = policy_header(code, on, known_at, version, digest)
    fields["known_at"] = route_moment(known_at)
    return orjson.dumps(fields)


def route_moment(moment: dt.datetime) -> str:
    """A moment as the API writes a stated one (pydantic: UTC as `Z`)."""
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


Folded = tuple[list[AmendmentRecord], Chronicle]


@dataclass(frozen=True, slots=True)
class Loaded:
    """What the index holds: the countries as of a read model position, and its digest."""

    position: int
    digest: str
    # None: a country not loaded yet (loaded when first asked for, or by `load_all`). Entries
    # are only ever filled in, with rows of this position; a refresh copies the map.
    countries: dict[str, CountryIndex | None]


class ReadIndex:
    def __init__(
        self,
        view: PolicyViewMixin,
        application_name: str,
        cache_size: int = 4096,
        answers: bool = True,
    ) -> None:
        """`answers=False`: an index for audits only, without the answer fragments."""
        self.view = view
        self.application_name = application_name
        self.answers = answers
        self._loaded = Loaded(0, EMPTY_DIGEST, {})
        # Whole answers per state; states as element maps; elements, parsed and as provenance.
        # An element is shared by every state it is unchanged in, so its caches hit often.
        self._sections: Lru[str, bytes] = Lru(cache_size)
        self._refs: Lru[str, dict[str, str]] = Lru(cache_size * 2)
        self._bodies: dict[str, dict[str, str]] = {}
        self._elements: Lru[str, dict[str, Any]] = Lru(cache_size)
        self._timelines: dict[str, Timeline] = {}
        # Per country, its states' numbers by state id (states are read by number).
        self._numbers: dict[str, dict[str, int]] = {}
        self._value_changes: dict[str, ValueChanges] = {}
        # Attestations as known in an epoch, and folds as published by a date (per country).
        self._attestations: Lru[tuple[str, int], list[Attested]] = Lru(cache_size)
        self._published: Lru[tuple[str, int, int], Folded] = Lru(PUBLISHED_FOLDS)
        self._lock = threading.RLock()  # refreshing; loading a country first asked for

    @property
    def position(self) -> int:
        return self._loaded.position

    @property
    def digest(self) -> str:
        """The ledger digest of the read model state the index holds."""
        return self._loaded.digest

    def refresh(self) -> None:
        """Brings the index to the read model's position: the countries whose rows changed
        since it last looked are loaded again (those never loaded stay so, for `country`).

        The digest is read before and after loading: if the read model did not move
        meanwhile, the rows loaded are exactly those of the digest's position. If it moved,
        the countries that moved are loaded again. After REFRESH_ROUNDS the digest read last
        is kept: it covers every event the rows hold (the read model only grows), and the
        index stays at the earlier position, so the next refresh loads what it missed.
        """
        with self._lock:
            loaded = self._loaded
            since, countries = loaded.position, loaded.countries
            position, digest = self.view.ledger_digest()
            for _ in range(REFRESH_ROUNDS):
                if position == since:
                    break
                countries = self._load_changed(countries, since)
                since = position
                position, digest = self.view.ledger_digest()
            if (since, digest) != (loaded.position, loaded.digest):
                self._loaded = Loaded(since, digest, countries)

    def _load_changed(
        self, countries: dict[str, CountryIndex | None], since: int
    ) -> dict[str, CountryIndex | None]:
        fresh = dict(countries)
        for code in self.view.countries_changed_since(since):
            if fresh.get(code) is not None:
                fresh[code] = CountryIndex.load(self.view, code, self.answers)
            else:
                fresh[code] = None  # loaded when first asked for
            self._timelines.pop(code, None)
            self._numbers.pop(code, None)
            self._value_changes.pop(code, None)
        return fresh

    def loaded(self, raw: str) -> bool:
        """Whether answers for this country cost no I/O (it is loaded, or not recorded)."""
        return self._loaded.countries.get(country_code(raw), True) is not None

    def has_country(self, code: str) -> bool:
        """Whether a policy is recorded for the country (`code`: ISO alpha-2, upper case)."""
        return code in self._loaded.countries

    def load_all(self, stop: threading.Event | None = None) -> int:
        """Loads every country not loaded yet (a server's start-up does this in the
        background, answering meanwhile); how many it loaded."""
        count = 0
        for code, found in list(self._loaded.countries.items()):
            if stop is not None and stop.is_set():
                break
            if found is None:
                self._snapshot(code)
                count += 1
        return count

    def country(self, raw: str) -> CountryIndex:
        return self._snapshot(raw)[1]

    def _snapshot(self, raw: str) -> tuple[Loaded, CountryIndex]:
        """A country's index with the snapshot it belongs to (its digest names its rows)."""
        loaded = self._loaded  # one read: the country and the digest belong together
        code = country_code(raw)
        if code not in loaded.countries:
            raise CountryNotFoundError(f"no policy is recorded for {code}", field="country")
        found = loaded.countries[code]
        return (loaded, found) if found is not None else self._load_lazily(code)

    def _load_lazily(self, code: str) -> tuple[Loaded, CountryIndex]:
        """Loads a country first asked for, as of the index's position: if its rows moved
        past it meanwhile, the index is refreshed first (REFRESH_ROUNDS times at most)."""
        with self._lock:
            for _ in range(REFRESH_ROUNDS):
                loaded = self._loaded
                found = loaded.countries.get(code)
                if found is not None:
                    return loaded, found
                index = CountryIndex.load(self.view, code, self.answers)
                # Rows first, then whether they moved: unmoved, they are the position's rows.
                if code not in self.view.countries_changed_since(loaded.position):
                    break
                self.refresh()
            loaded.countries[code] = index
            return loaded, index

    def policy_json(self, raw: str, on: dt.date, known_at: dt.datetime) -> bytes:
        """The same document as PolicyQueries.policy for the current knowledge, as bytes."""
        loaded, index = self._snapshot(raw)
        return self._current_json(loaded, index, on, known_at)

    def policy_json_at(self, raw: str, on: dt.date, known_at: dt.datetime) -> bytes:
        """The policy on `on` as known at `known_at`, from memory: the bytes the SQL answer
        (PolicyQueries.policy) is sent as, `known_at` written as the route writes it."""
        loaded, index = self._snapshot(raw)
        bitemporal = index.bitemporal
        assert bitemporal is not None, "an index for audits answers no policy"
        at = to_micros(known_at)
        if at >= bitemporal.last_moment:  # nothing changed since: the current answer
            return self._current_json(loaded, index, on, known_at, stated=True)
        day = on.isoformat()
        found = bitemporal.segments.find(day, at)
        head = _header_json(index.code, on, known_at, found, loaded.digest)
        sections = orjson.dumps(EMPTY_SECTIONS)[1:-1]
        if found is not None:
            sections = self._state_sections(bitemporal, found.state)
        pending = b",".join(
            p
            for since, until, announced, p in bitemporal.pending
            if since <= at < until and announced <= day
        )
        attested = b"[]"
        if bitemporal.attesting:
            attested = orjson.dumps([attested_doc(a) for a in self._later(index, found, on, at)])
        return _answer(head, sections, pending, attested)

    def _current_json(
        self,
        loaded: Loaded,
        index: CountryIndex,
        on: dt.date,
        known_at: dt.datetime,
        *,
        stated: bool = False,
    ) -> bytes:
        """The answer as known now; `stated`: for a moment asked for (written as such)."""
        day = on.isoformat()
        i = index.row_on(day)
        version = None
        if i is not None:
            version = (index.rows[i]["version_id"], *index.spans[i])
        fields = policy_header(index.code, on, known_at, version, loaded.digest)
        if stated:
            fields["known_at"] = route_moment(known_at)
        head = orjson.dumps(fields)
        sections = self._sections_json(index, i)
        pending = b",".join(p for announced, p in index.pending if announced <= day)
        attested = index.attested_json(i, on)
        return _answer(head, sections, pending, attested)

    def _state_sections(self, bitemporal: Bitemporal, state: int) -> bytes:
        state_id = bitemporal.state_ids[state]
        cached = self._sections.get(state_id)
        if cached is None:
            fragments = bitemporal.fragments
            cached = assemble_sections([fragments[k] for k in bitemporal.states[state]])
            self._sections.put(state_id, cached)
        return cached

    def _state_elements(self, code: str, bitemporal: Bitemporal, state: int) -> StateElements:
        fragments = bitemporal.fragments
        refs = {fragments[k].element: fragments[k].content_id for k in bitemporal.states[state]}
        return StateElements(refs, partial(self.element, code))

    def _later(
        self, index: CountryIndex, found: Found | None, on: dt.date, at: int
    ) -> list[Attested]:
        """`attested_later` of an answer as known at `at` (µs), for the row `found`."""
        bitemporal = index.bitemporal
        assert bitemporal is not None
        key = (index.code, bitemporal.epoch(at))
        attested = self._attestations.get(key)
        if attested is None:
            moment = from_micros(at)
            attested = attestations(index.records.values(), moment)
            self._attestations.put(key, attested)
        values: dict[str, Any] = {}
        if found is not None:
            elements = self._state_elements(index.code, bitemporal, found.state)
            wanted = {a.element for a in attested}
            values = {e: elements[e]["value"] for e in elements if e in wanted}
        return attested_later(attested, values, on)

    def place_policy(
        self, raw: str, on: dt.date, known_at: dt.datetime, place: Place, *, stated: bool = False
    ) -> Doc:
        """`PolicyQueries.policy` with a place, resolved from the same state the whole-country
        answer is assembled from; `stated`: as known at `known_at` (else as known now)."""
        loaded, index = self._snapshot(raw)
        bitemporal = index.bitemporal
        assert bitemporal is not None, "an index for audits answers no policy"
        at = to_micros(known_at)
        moment = known_at if stated else END_OF_TIME
        version = None
        elements: Mapping[str, dict[str, Any]] = {}
        later: list[Any]
        if not stated or at >= bitemporal.last_moment:
            i = index.row_on(on.isoformat())
            if i is not None:
                row = index.rows[i]
                version = (row["version_id"], *index.spans[i])
                elements = self.elements(index.code, row["state_id"], row["state"])
            later = orjson.loads(index.attested_json(i, on))
            moment = END_OF_TIME
        else:
            found = bitemporal.segments.find(on.isoformat(), at)
            if found is not None:
                version = (found.version_id, found.valid_from, found.valid_to)
                elements = self._state_elements(index.code, bitemporal, found.state)
            later = [attested_doc(a) for a in self._later(index, found, on, at)]
        records = list(index.records.values())
        check_place(index.code, place, defined_areas(elements, records, on, moment))
        provenances = {k: provenance(k, elements[k], index.records) for k in sorted(elements)}
        sections = resolve_sections(provenances, place.region, place.areas)
        pending = [amendment_summary(r) for r in pending_on(records, on, moment)]
        head = policy_header(index.code, on, known_at, version, loaded.digest)
        return {**head, **sections, "pending": pending, "attested_later": later}

    def published_policy(
        self,
        raw: str,
        on: dt.date,
        known_at: dt.datetime,
        published_by: dt.date,
        place: Place | None = None,
    ) -> Doc:
        """`PolicyQueries.published_policy` from memory: the country's records folded as
        published by `published_by` and known at `known_at` (each fold kept for the next
        answer that knows and counts the same)."""
        loaded, index = self._snapshot(raw)
        bitemporal = index.bitemporal
        assert bitemporal is not None, "an index for audits answers no policy"
        records = list(index.records.values())
        key = (
            index.code,
            bitemporal.epoch(to_micros(known_at)),
            bisect_right(bitemporal.published, published_by.isoformat()),
        )
        folded = self._published.get(key)
        if folded is None:
            published = as_published(records, published_by)
            folded = (published, Chronicle.build(index.code, published, known_at))
            self._published.put(key, folded)
        return published_answer(
            index.code, records, loaded.digest, on, known_at, published_by, place, folded
        )

    def _sections_json(self, index: CountryIndex, i: int | None) -> bytes:
        if i is None:
            return orjson.dumps(EMPTY_SECTIONS)[1:-1]
        state_id = index.rows[i]["state_id"]
        cached = self._sections.get(state_id)
        if cached is None:
            cached = assemble_sections(index.parts[i])
            self._sections.put(state_id, cached)
        return cached

    # States as maps of elements, elements fetched and parsed one at a time --------------

    def state_refs(self, code: str, state_id: str, number: int | None = None) -> dict[str, str]:
        """A state's element ids mapped to the content ids of their annotated elements (the
        state's `number`, its segment rows' `state`, is looked up when not given)."""
        refs = self._refs.get(state_id)
        if refs is None:
            country = self.country(code)
            current = country.parts_of.get(state_id)
            if current is not None:
                refs = {f.element: f.content_id for f in current}
            else:
                found = self.view.state_elements(
                    self._number_of(code, state_id) if number is None else number
                )
                assert found is not None, state_id
                # Interned: the same ids recur in thousands of states held at once.
                refs = {intern(k): intern(c) for k, c in found.items()}
            self._refs.put(state_id, refs)
        return refs

    def elements(self, code: str, state_id: str, number: int | None = None) -> StateElements:
        """A state's annotated elements (value, since, acts), each parsed when first asked for."""
        refs = self.state_refs(code, state_id, number)
        return StateElements(refs, partial(self.element, code))

    def _number_of(self, code: str, state_id: str) -> int:
        numbers = self._numbers.get(code)
        if numbers is None or state_id not in numbers:  # a row newer than the map
            rows = self.view.segment_history(code)
            numbers = self._numbers[code] = {r["state_id"]: r["state"] for r in rows}
        return numbers[state_id]

    def element(self, code: str, content_id: str) -> dict[str, Any]:
        found = self._elements.get(content_id)
        if found is None:
            found = orjson.loads(self._body(code, content_id))
            self._elements.put(content_id, found)
        return found

    def _body(self, code: str, content_id: str) -> str:
        # A country's elements are read in one query the first time an audit needs one;
        # elements are only ever added, so a missing id means the map is older than it.
        bodies = self._bodies.get(code)
        if bodies is None or content_id not in bodies:
            bodies = self.view.country_element_bodies(code)
            self._bodies[code] = bodies
        return bodies[content_id]

    # For audits: any moment -------------------------------------------------------------

    def timeline(self, code: str) -> Timeline:
        """Every row of a country over both axes, current and superseded, for audits."""
        found = self._timelines.get(code)
        if found is None:
            found = self._timelines[code] = self._timeline(code)
        return found

    def value_changes(self, code: str) -> ValueChanges:
        """When each element's value changed as known now, and by which amendment (for the
        amendment behind a change an audit reports)."""
        found = self._value_changes.get(code)
        if found is None:
            records = self.country(code).records.values()
            found = self._value_changes[code] = value_changes(records)
        return found

    def _timeline(self, code: str) -> Timeline:
        rows = self.view.segment_history(code)
        state_ids = [r["state_id"] for r in rows]
        numbers = [r["state"] for r in rows]
        self._numbers[code] = dict(zip(state_ids, numbers, strict=True))

        def elements() -> Iterator[Iterable[tuple[str, Hashable]]]:
            # Every state of the country in one query, dropped once the columns are built.
            maps = self.view.states_elements(set(numbers))
            return (maps[n].items() for n in numbers)

        # Dates interned: superseded rows repeat the dates of the rows that replaced them.
        return Timeline(
            code,
            [intern(r["valid_from"]) for r in rows],
            [intern(r["valid_to"]) if r["valid_to"] is not None else None for r in rows],
            [r["version_id"] for r in rows],
            state_ids,
            elements,
            lambda content_id: self.element(code, str(content_id))["value"],
            recorded=([r["recorded_from"] for r in rows], [r["recorded_to"] for r in rows]),
            changes=lambda: self.value_changes(code),
        )


def _answer(head: bytes, sections: bytes, pending: bytes, attested: bytes) -> bytes:
    """A policy answer's bytes: its header fields, then its sections, pending amendments and
    attestations spliced in (each serialised once while in use)."""
    parts = (head[:-1], b",", sections, b',"pending":[', pending, b'],"attested_later":')
    return b"".join((*parts, attested, b"}"))


class StateElements(Mapping[str, dict[str, Any]]):
    """One state's annotated elements by element id, read on demand."""

    __slots__ = ("_fetch", "_refs")

    def __init__(self, refs: dict[str, str], fetch: Callable[[str], dict[str, Any]]) -> None:
        self._refs = refs
        self._fetch = fetch

    def __getitem__(self, element: str) -> dict[str, Any]:
        return self._fetch(self._refs[element])

    def content_id(self, element: str) -> str:
        return self._refs[element]

    def __contains__(self, element: object) -> bool:
        return element in self._refs

    def __iter__(self) -> Iterator[str]:
        return iter(self._refs)

    def __len__(self) -> int:
        return len(self._refs)
