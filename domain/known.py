"""What an official could know on each date: the policy on D as published by D.

An audit asks, for a decision taken on D, what the policy said on D by the acts published
on or before D (domain.records.as_published): amendments announced later, in-force dates
and retractions published later do not count. That is a third reading beside "on D as
known now" and "on D as recorded at T", and it changes only where an act is published or
comes into force. Here it is made in one pass over the publication dates: a chronicle of
the published acts grows date by date (domain.fold.Chronicle adds and removes amendments
incrementally), and each publication interval [P, next P) keeps the chronicle's segments
as they stand at P. The result is a list of segments over valid time whose state on D is
`state_on(as_published(records, D), D)` (the audit property test holds the facts read
from them equal). Only on the dates where that can differ from the policy as known now
(`unpublished_spans`) does an audit need them; elsewhere it reads the stored rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from bisect import bisect_right
from collections.abc import Iterable

from domain.canonical import canonical_json
from domain.fold import Chronicle, Segment, record_effects
from domain.instants import END_OF_TIME
from domain.records import AmendmentRecord


def publication_days(record: AmendmentRecord) -> set[dt.date]:
    """The days an act about the record was published."""
    days = {record.announced_on}
    for day in (record.in_force_published_on, record.retraction_published_on):
        if day is not None:
            days.add(day)
    return days


def published_by(record: AmendmentRecord, day: dt.date) -> bool:
    """Whether the record was published by `day` with an in-force date published too."""
    seen = record.as_published(day)
    return seen is not None and seen.applies_as_of(END_OF_TIME) is not None


Span = tuple[dt.date, dt.date]  # [from, to)


def unpublished_spans(records: Iterable[AmendmentRecord]) -> list[Span]:
    """The dates on which what was published by then may differ from what is known now,
    merged and in order: from an amendment's in-force date until it and its in-force date
    were published, and for a retracted one, from when it applied as published until its
    retraction was. On any other date D the records that apply on D are the same both
    ways, and so is the policy on D."""
    spans: list[Span] = []
    for record in records:
        in_force = record.in_force_as_of(END_OF_TIME)
        if in_force is None:
            continue  # pending now: no in-force date was published either
        published = max(record.announced_on, record.in_force_published_on or in_force)
        retracted = record.retraction_published_on
        applied = max(in_force, published)  # as published, it applied from then
        if record.is_retracted(END_OF_TIME) and retracted is not None and applied < retracted:
            spans.append((applied, retracted))
        if in_force < published:
            spans.append((in_force, published))
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def known_segments(
    country: str, records: Iterable[AmendmentRecord], within: list[Span] | None = None
) -> list[Segment]:
    """The policy on each date as published by that date, as segments over valid time;
    with `within`, only on those spans of dates (the others may be read as known now)."""
    records = list(records)
    by_day: dict[dt.date, list[AmendmentRecord]] = {}
    for record in records:
        for day in publication_days(record):
            by_day.setdefault(day, []).append(record)
    days = sorted(by_day)
    chronicle = Chronicle(country)
    applied: dict[str, dt.date | None] = {}
    found: list[Segment] = []
    for k, day in enumerate(days):
        for record in by_day[day]:
            _publish(chronicle, applied, record, day)
        until = days[k + 1] if k + 1 < len(days) else None
        overlaps = _overlaps(within, day, until)
        if overlaps:  # only then are the segments read: rebuilt once for the days before
            chronicle.settle()
        for start, end in overlaps:
            for segment in _clipped(chronicle.segments, start, end):
                _append(found, segment)
    return found


def _overlaps(
    within: list[Span] | None, start: dt.date, end: dt.date | None
) -> list[tuple[dt.date, dt.date | None]]:
    """The parts of [start, end) within the spans (all of it without spans)."""
    if within is None:
        return [(start, end)]
    parts: list[tuple[dt.date, dt.date | None]] = []
    i = max(bisect_right(within, (start,)) - 1, 0)
    for lower, upper in within[i:]:
        if end is not None and lower >= end:
            break
        if upper <= start:
            continue
        parts.append((max(lower, start), _earlier(upper, end)))
    return parts


def _publish(
    chronicle: Chronicle, applied: dict[str, dt.date | None], record: AmendmentRecord, day: dt.date
) -> None:
    """Brings the chronicle to what the acts about `record` published by `day` say."""
    published = record.as_published(day)
    in_force = published.applies_as_of(END_OF_TIME) if published is not None else None
    if applied.get(record.id) == in_force:
        return
    if applied.get(record.id) is not None:
        chronicle.remove_later(record.id)
    if published is not None and in_force is not None:
        chronicle.add_later(record_effects(published, END_OF_TIME))
    applied[record.id] = in_force


def version_ids(country: str, segments: list[Segment]) -> list[str]:
    """Each segment's version id (as Segment.version_id: the SHA-256 of its values
    document), from its elements' value bytes alone: what an official could know needs no
    provenance, and an element's annotated bytes (its acts) are most of a state's size."""
    head = b'{"country":' + canonical_json(country) + b',"elements":{'
    made: dict[int, bytes] = {}  # by element state, alive in the segments meanwhile
    found = []
    for segment in segments:
        members = []
        for key in sorted(segment.state):
            element = segment.state[key]
            value = made.get(id(element))
            if value is None:
                value = made[id(element)] = canonical_json(element.value)
            members.append(canonical_json(key) + b":" + value)
        found.append(hashlib.sha256(head + b",".join(members) + b"}}").hexdigest())
    return found


def _clipped(segments: list[Segment], start: dt.date, end: dt.date | None) -> list[Segment]:
    """The segments' parts within [start, end)."""
    i = max(bisect_right(segments, start, key=lambda s: s.valid_from) - 1, 0)
    parts = []
    for segment in segments[i:]:
        if end is not None and segment.valid_from >= end:
            break
        if segment.valid_to is not None and segment.valid_to <= start:
            continue
        lower = max(segment.valid_from, start)
        upper = _earlier(segment.valid_to, end)
        parts.append(Segment(segment.country, lower, upper, segment.state))
    return parts


def _earlier(first: dt.date | None, second: dt.date | None) -> dt.date | None:
    if first is None:
        return second
    if second is None:
        return first
    return min(first, second)


def _append(found: list[Segment], segment: Segment) -> None:
    """Adds a segment, joined to the last when it continues it with the same state."""
    if found:
        last = found[-1]
        if last.valid_to == segment.valid_from and last.state == segment.state:
            found[-1] = Segment(last.country, last.valid_from, segment.valid_to, last.state)
            return
    found.append(segment)
