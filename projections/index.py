"""An in-process index of the read model for the hot question: the policy on D, as known now.

It mirrors the open (current) segment rows and the amendment records of each country, and
refreshes only the countries whose rows moved since it last looked (whoever projected
them). Answers are assembled from cached, pre-serialised parts: the sections of a state
are serialised once per state, the request's own fields are spliced around them. Questions
about earlier moments go to the SQL tables (PolicyQueries).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from bisect import bisect_right
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import orjson

from domain.countries import country_code, country_name
from domain.errors import CountryNotFoundError
from domain.records import AmendmentRecord
from projections.queries import amendment_summary, policy_sections
from projections.records import record_from_json
from projections.views import PolicyViewMixin

EMPTY_SECTIONS = policy_sections({}, {})


@dataclass
class CountryIndex:
    code: str
    records: dict[str, AmendmentRecord]
    starts: list[str]
    rows: list[dict[str, Any]]
    spans: list[tuple[str, str | None]]  # the version interval of each row
    pending: list[tuple[str, bytes]] = field(default_factory=list)  # (announced_on, json)

    @classmethod
    def load(cls, view: PolicyViewMixin, code: str) -> CountryIndex:
        # Rows first: records read after them include every amendment the rows cite, even
        # when another process projects in between (the reverse order could miss one).
        rows = view.open_segments(code)
        records = [record_from_json(r) for r in view.amendment_rows(code)]
        far_future = dt.datetime.max.replace(tzinfo=dt.UTC)
        pending = sorted(
            (r.announced_on.isoformat(), orjson.dumps(amendment_summary(r)))
            for r in records
            if r.is_pending_on(dt.date.max, far_future)
        )
        return cls(
            code=code,
            records={r.id: r for r in records},
            starts=[r["valid_from"] for r in rows],
            rows=rows,
            spans=_version_spans(rows),
            pending=pending,
        )

    def row_on(self, on: str) -> int | None:
        i = bisect_right(self.starts, on) - 1
        if i < 0:
            return None
        valid_to = self.rows[i]["valid_to"]
        return i if valid_to is None or on < valid_to else None


def _version_spans(rows: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    spans: list[tuple[str, str | None]] = []
    i = 0
    while i < len(rows):
        j = i
        while j + 1 < len(rows) and rows[j + 1]["version_id"] == rows[i]["version_id"]:
            j += 1
        spans += [(rows[i]["valid_from"], rows[j]["valid_to"])] * (j - i + 1)
        i = j + 1
    return spans


class ReadIndex:
    def __init__(self, view: PolicyViewMixin, application_name: str, cache_size: int = 4096):
        self.view = view
        self.application_name = application_name
        self.position = 0
        self._countries: dict[str, CountryIndex] = {}
        self._sections: OrderedDict[str, bytes] = OrderedDict()
        self._elements: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._history: dict[str, Bitemporal] = {}
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def refresh(self) -> None:
        """Reloads the countries whose rows changed since the index last looked."""
        with self._lock:
            position = self.view.max_tracking_id(self.application_name) or 0
            if position == self.position:
                return
            changed = self.view.countries_changed_since(self.position)
            for code in changed:
                self._countries[code] = CountryIndex.load(self.view, code)
                self._history.pop(code, None)
            self.position = position

    def country(self, raw: str) -> CountryIndex:
        code = country_code(raw)
        found = self._countries.get(code)
        if found is None:
            raise CountryNotFoundError(f"no policy is recorded for {code}", field="country")
        return found

    def policy_json(self, raw: str, on: dt.date, known_at: dt.datetime) -> bytes:
        """The same document as PolicyQueries.policy for the current knowledge, as bytes."""
        index = self.country(raw)
        day = on.isoformat()
        i = index.row_on(day)
        head: dict[str, Any] = {
            "country": index.code,
            "name": country_name(index.code),
            "on": day,
            "known_at": known_at.isoformat(),
            "coverage": i is not None,
            "version_id": None,
            "valid_from": None,
            "valid_to": None,
        }
        sections = self._sections_json(index, i)
        if i is not None:
            row = index.rows[i]
            head["version_id"] = row["version_id"]
            head["valid_from"], head["valid_to"] = index.spans[i]
        pending = b",".join(p for announced, p in index.pending if announced <= day)
        return b"".join((orjson.dumps(head)[:-1], b",", sections, b',"pending":[', pending, b"]}"))

    def _sections_json(self, index: CountryIndex, i: int | None) -> bytes:
        if i is None:
            return orjson.dumps(EMPTY_SECTIONS)[1:-1]
        state_id = index.rows[i]["state_id"]
        cached = self._sections.get(state_id)
        if cached is not None:
            self._sections.move_to_end(state_id)
            return cached
        body = self.view.state_body(state_id)
        assert body is not None
        sections = policy_sections(json.loads(body)["elements"], index.records)
        cached = orjson.dumps(sections)[1:-1]
        self._sections[state_id] = cached
        if len(self._sections) > self._cache_size:
            self._sections.popitem(last=False)
        return cached

    # For audits: any moment, and states as element dictionaries -------------------------

    def history(self, code: str) -> Bitemporal:
        found = self._history.get(code)
        if found is None:
            found = Bitemporal(self.view.segment_history(code))
            self._history[code] = found
        return found

    def elements(self, state_id: str) -> dict[str, Any]:
        """A state's annotated elements (value, since, acts), parsed once while in use."""
        cached = self._elements.get(state_id)
        if cached is not None:
            self._elements.move_to_end(state_id)
            return cached
        body = self.view.state_body(state_id)
        assert body is not None
        elements: dict[str, Any] = json.loads(body)["elements"]
        self._elements[state_id] = elements
        # Parsed states are large (every element with its acts): keep fewer of them.
        if len(self._elements) > self._cache_size // 4:
            self._elements.popitem(last=False)
        return elements


class Bitemporal:
    """A country's rows over both axes: which row answered (D, T)."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = [
            (r["valid_from"], r["valid_to"], r["recorded_from"], r["recorded_to"], r) for r in rows
        ]
        self.starts = [r[0] for r in self.rows]

    def row_at(self, on: str, at: int) -> dict[str, Any] | None:
        # Rows that start later cannot contain `on`; walk back from the last that may. Rows
        # superseded before `at` or recorded after it are passed over (usually few).
        i = bisect_right(self.starts, on) - 1
        while i >= 0:
            _, valid_to, recorded_from, recorded_to, row = self.rows[i]
            if (
                (valid_to is None or on < valid_to)
                and recorded_from <= at
                and (recorded_to is None or at < recorded_to)
            ):
                return row
            i -= 1
        return None
