"""An in-process index of the read model for the hot question: the policy on D, as known now.

It mirrors the open (current) segment rows and the amendment records of each country, and
refreshes only the countries whose rows moved since it last looked (whoever projected
them). Answers are assembled from cached parts: a state is a map of content-addressed
elements, each element is parsed and annotated once while in use (it is shared by every state
it is unchanged in), each state's sections are serialised once, and the request's own fields
are spliced around them. Questions about earlier moments go to the SQL tables
(PolicyQueries).

Each answer names the ledger digest of exactly the read model state it was assembled from:
the index takes the digest the projection stored with its position, and swaps its countries
and that digest in one assignment, so a request never pairs one with the other's neighbour.
"""

from __future__ import annotations

import datetime as dt
import threading
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
from domain.fold import Attested, attestations, attested_later, pending_on
from domain.instants import END_OF_TIME
from domain.records import AmendmentRecord
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
    resolve_sections,
    version_spans,
)
from projections.records import record_from_json
from projections.timeline import Timeline, ValueChanges, value_changes
from projections.views import PolicyViewMixin

Doc = dict[str, Any]
EMPTY_SECTIONS = policy_sections({}, {})
REFRESH_ROUNDS = 3  # loads before settling for a digest newer than the rows (constant writes)


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

    @classmethod
    def load(cls, view: PolicyViewMixin, code: str, answers: bool = True) -> CountryIndex:
        """`answers`: also the fragments policy answers are assembled from (an audit, which
        reads facts, not answers, does without them)."""
        # Rows first: records read after them include every amendment the rows cite, even
        # when another process projects in between (the reverse order could miss one).
        rows = view.open_segments(code) if answers else []
        records = [record_from_json(r) for r in view.amendment_rows(code)]
        parts: dict[str, tuple[Fragment, ...]] = {}
        attested: list[Attested] = []
        attested_values: list[dict[str, Any]] = []
        if answers:
            # States and elements are only ever added, so those of these rows are all there.
            fragments = {
                c: load_fragment(e, f.encode(), intern(c))
                for c, e, f in view.country_fragments(code)
            }
            states = view.states_elements({r["state_id"] for r in rows})
            parts = {s: tuple(fragments[c] for c in refs.values()) for s, refs in states.items()}
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


@dataclass(frozen=True, slots=True)
class Loaded:
    """What the index holds: the countries as of a read model position, and its digest."""

    position: int
    digest: str
    countries: dict[str, CountryIndex]  # never changed once published: copied to refresh


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
        self._value_changes: dict[str, ValueChanges] = {}
        self._lock = threading.Lock()

    @property
    def position(self) -> int:
        return self._loaded.position

    @property
    def digest(self) -> str:
        """The ledger digest of the read model state the index holds."""
        return self._loaded.digest

    def refresh(self) -> None:
        """Reloads the countries whose rows changed since the index last looked.

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
        self, countries: dict[str, CountryIndex], since: int
    ) -> dict[str, CountryIndex]:
        fresh = dict(countries)
        for code in self.view.countries_changed_since(since):
            fresh[code] = CountryIndex.load(self.view, code, self.answers)
            self._timelines.pop(code, None)
            self._value_changes.pop(code, None)
        return fresh

    def country(self, raw: str) -> CountryIndex:
        return self._country(self._loaded, raw)

    def has_country(self, code: str) -> bool:
        """Whether a policy is recorded for the country (`code`: ISO alpha-2, upper case)."""
        return code in self._loaded.countries

    @staticmethod
    def _country(loaded: Loaded, raw: str) -> CountryIndex:
        code = country_code(raw)
        found = loaded.countries.get(code)
        if found is None:
            raise CountryNotFoundError(f"no policy is recorded for {code}", field="country")
        return found

    def policy_json(self, raw: str, on: dt.date, known_at: dt.datetime) -> bytes:
        """The same document as PolicyQueries.policy for the current knowledge, as bytes."""
        loaded = self._loaded  # one read: the country and the digest belong together
        index = self._country(loaded, raw)
        day = on.isoformat()
        i = index.row_on(day)
        version = None
        if i is not None:
            version = (index.rows[i]["version_id"], *index.spans[i])
        head = policy_header(index.code, on, known_at, version, loaded.digest)
        sections = self._sections_json(index, i)
        pending = b",".join(p for announced, p in index.pending if announced <= day)
        attested = index.attested_json(i, on)
        return b"".join(
            (
                orjson.dumps(head)[:-1],
                b",",
                sections,
                b',"pending":[',
                pending,
                b'],"attested_later":',
                attested,
                b"}",
            )
        )

    def place_policy(self, raw: str, on: dt.date, known_at: dt.datetime, place: Place) -> Doc:
        """`PolicyQueries.policy` with a place, for the current knowledge: resolved from the
        same state the whole-country answer is assembled from."""
        loaded = self._loaded
        index = self._country(loaded, raw)
        i = index.row_on(on.isoformat())
        version = None
        elements: Mapping[str, dict[str, Any]] = {}
        if i is not None:
            row = index.rows[i]
            version = (row["version_id"], *index.spans[i])
            elements = self.elements(index.code, row["state_id"])
        records = list(index.records.values())
        check_place(index.code, place, defined_areas(elements, records, on, END_OF_TIME))
        provenances = {k: provenance(k, elements[k], index.records) for k in sorted(elements)}
        sections = resolve_sections(provenances, place.region, place.areas)
        pending = [amendment_summary(r) for r in pending_on(records, on, END_OF_TIME)]
        head = policy_header(index.code, on, known_at, version, loaded.digest)
        later = orjson.loads(index.attested_json(i, on))
        return {**head, **sections, "pending": pending, "attested_later": later}

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

    def state_refs(self, code: str, state_id: str) -> dict[str, str]:
        """A state's element ids mapped to the content ids of their annotated elements."""
        refs = self._refs.get(state_id)
        if refs is None:
            country = self._loaded.countries.get(code)
            current = country.parts_of.get(state_id) if country else None
            if current is not None:
                refs = {f.element: f.content_id for f in current}
            else:
                found = self.view.state_elements(state_id)
                assert found is not None, state_id
                # Interned: the same ids recur in thousands of states held at once.
                refs = {intern(k): intern(c) for k, c in found.items()}
            self._refs.put(state_id, refs)
        return refs

    def elements(self, code: str, state_id: str) -> StateElements:
        """A state's annotated elements (value, since, acts), each parsed when first asked for."""
        return StateElements(self.state_refs(code, state_id), partial(self.element, code))

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
            records = self._loaded.countries[code].records.values()
            found = self._value_changes[code] = value_changes(records)
        return found

    def _timeline(self, code: str) -> Timeline:
        rows = self.view.segment_history(code)
        state_ids = [r["state_id"] for r in rows]

        def elements() -> Iterator[Iterable[tuple[str, Hashable]]]:
            # Every state of the country in one query, dropped once the columns are built.
            maps = self.view.states_elements(set(state_ids))
            return (maps[s].items() for s in state_ids)

        return Timeline(
            code,
            [r["valid_from"] for r in rows],
            [r["valid_to"] for r in rows],
            [r["version_id"] for r in rows],
            state_ids,
            elements,
            lambda content_id: self.element(code, str(content_id))["value"],
            recorded=([r["recorded_from"] for r in rows], [r["recorded_to"] for r in rows]),
            changes=lambda: self.value_changes(code),
        )


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
