"""What-if: draft amendments applied in memory only, never stored.

A policy maker sees how the policy would read, and which audited decisions a proposed
change would turn, before anything is adopted. Drafts are checked by the same domain rules
on an unsaved copy of the country's policy; they change present knowledge only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from domain.commands import AmendmentDraft
from domain.domainmodel import CountryPolicy
from domain.errors import LedgerError
from domain.fold import Chronicle, Segment, attestations, attested_later, attests_after, pending_on
from domain.instants import END_OF_TIME, iso
from domain.records import AmendmentRecord
from projections.audit import NO_POLICY, Snapshot, StoredStates
from projections.index import EMPTY_SECTIONS, ReadIndex
from projections.queries import (
    amendment_summary,
    attested_doc,
    policy_header,
    policy_sections,
    version_spans,
)
from projections.timeline import Timeline, ValueChanges, value_changes


class WhatIfStates(StoredStates):
    """The stored states, with draft amendments applied in memory to what is known now.

    Nothing of a draft is stored. Drafts change the present knowledge only: what was
    recorded at an earlier moment stays as it was.
    """

    def __init__(
        self,
        index: ReadIndex,
        drafts: Iterable[tuple[str, AmendmentDraft]],
        load_policy: Callable[[str], CountryPolicy],
    ) -> None:
        super().__init__(index)
        self._load_policy = load_policy
        self._records: dict[str, dict[str, AmendmentRecord]] = {}
        self._chronicles: dict[str, Chronicle] = {}
        self._timelines: dict[str, Timeline] = {}
        self._snapshots: dict[int, Snapshot] = {}
        self._drafts: dict[str, list[str]] = {}
        by_country: dict[str, list[AmendmentDraft]] = {}
        for country, draft in drafts:
            by_country.setdefault(country, []).append(draft)
        for country, country_drafts in by_country.items():
            self._apply(country, country_drafts)

    def _apply(self, country: str, drafts: list[AmendmentDraft]) -> None:
        policy = self._load_policy(country)  # an unsaved copy: drafts never reach the store
        moment = dt.datetime.now(dt.UTC)
        ids = self._drafts.setdefault(policy.country, [])
        for n, draft in enumerate(drafts):
            try:
                ids.append(policy.record_amendment(draft, "what-if", moment))
            except LedgerError as error:
                error.field = f"drafts.{n}.{error.field}" if error.field else f"drafts.{n}"
                raise
        records = list(policy.amendments.values())
        self._records[policy.country] = {r.id: r for r in records}
        self._chronicles[policy.country] = Chronicle.build(policy.country, records, END_OF_TIME)

    def now(self, country: str, on: str) -> Snapshot:
        chronicle = self._chronicles.get(country)
        if chronicle is None:
            return super().now(country, on)
        segment = chronicle.segment_on(dt.date.fromisoformat(on))
        return NO_POLICY if segment is None else self.snapshot(segment)

    def timeline(self, country: str) -> Timeline:
        chronicle = self._chronicles.get(country)
        if chronicle is None:
            return super().timeline(country)
        found = self._timelines.get(country)
        if found is None:
            found = self._timelines[country] = _drafted_timeline(chronicle)
        return found

    def records(self, country: str) -> dict[str, AmendmentRecord]:
        return self._records.get(country) or super().records(country)

    def value_changes(self, country: str) -> ValueChanges:
        records = self._records.get(country)
        return (
            super().value_changes(country) if records is None else value_changes(records.values())
        )

    def chronicle(self, country: str) -> Chronicle:
        return self._chronicles[country]

    def draft_ids(self, country: str) -> list[str]:
        return self._drafts.get(country, [])

    def snapshot(self, segment: Segment) -> Snapshot:
        cached = self._snapshots.get(id(segment))
        if cached is None:
            elements = {k: s.to_json() for k, s in segment.state.items()}
            start = segment.valid_from.isoformat()
            cached = Snapshot(segment.version_id, segment.state_id, start, partial(dict, elements))
            self._snapshots[id(segment)] = cached
        return cached


def _drafted_timeline(chronicle: Chronicle) -> Timeline:
    segments = chronicle.segments
    # Element states are shared by every segment they stay unchanged in: their identity is
    # their content key, and this map keeps them (and so their ids) alive.
    held = {id(s): s for segment in segments for s in segment.state.values()}
    return Timeline(
        chronicle.country,
        [s.valid_from.isoformat() for s in segments],
        [s.valid_to.isoformat() if s.valid_to else None for s in segments],
        [s.version_id for s in segments],
        [s.state_id for s in segments],
        lambda: (((k, id(s)) for k, s in segment.state.items()) for segment in segments),
        lambda key: held[key].value,  # type: ignore[index]
    )


def what_if_policy(
    states: WhatIfStates, country: str, on: dt.date, now: dt.datetime
) -> dict[str, Any]:
    """The answer of GET /countries/{code}/policy for `on`, with the drafts applied."""
    chronicle = states.chronicle(country)
    records = states.records(country)
    segment = chronicle.segment_on(on)
    version = None
    if segment is not None:
        version = (segment.version_id, *_version_span(chronicle, segment))
    # The ledger digest of the stored ledger the drafts were applied to.
    doc = policy_header(chronicle.country, on, now, version, states.index.digest)
    if segment is not None:
        elements = states.snapshot(segment).elements
        doc.update(policy_sections(dict(elements), records))
    else:
        doc.update(EMPTY_SECTIONS)
    doc["pending"] = [amendment_summary(r) for r in pending_on(records.values(), on, END_OF_TIME)]
    later = []
    if attests_after(records.values(), on, END_OF_TIME):
        values = {k: s.value for k, s in (segment.state.items() if segment else ())}
        later = attested_later(attestations(records.values(), END_OF_TIME), values, on)
    doc["attested_later"] = [attested_doc(a) for a in later]
    doc["drafts"] = [amendment_summary(records[i]) for i in states.draft_ids(country)]
    return doc


def _version_span(chronicle: Chronicle, segment: Segment) -> tuple[str, str | None]:
    segments = chronicle.segments
    spans = version_spans([(s.version_id, s.valid_from, s.valid_to) for s in segments])
    start, end = spans[segments.index(segment)]
    return start.isoformat(), iso(end)
