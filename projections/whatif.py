"""What-if: the policy answer with draft amendments applied in memory only, never stored.

A policy maker sees how the policy would read before anything is adopted (and, through
POST /audits with drafts, which audited decisions it would turn: projections.audit.drafts
holds the drafted states both read).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from domain.fold import Chronicle, Segment, attestations, attested_later, attests_after, pending_on
from domain.instants import END_OF_TIME, iso
from projections.audit.drafts import WhatIfStates
from projections.audit.judging import segment_snapshot
from projections.index import EMPTY_SECTIONS
from projections.queries import (
    amendment_summary,
    attested_doc,
    policy_header,
    policy_sections,
    version_spans,
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
        elements = segment_snapshot(segment).elements
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
