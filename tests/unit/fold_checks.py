"""Checks of the temporal fold that several property-test modules hold over their own
history strategies: one definition each, written against the production fold's public API."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from domain.fold import Chronicle, record_effects
from domain.records import AmendmentRecord, knowledge_moments


def as_known_at(record: AmendmentRecord, at: dt.datetime) -> AmendmentRecord:
    """The record as a projection holds it at `at`: later facts not yet arrived."""
    if record.in_force_learned_at is not None and record.in_force_learned_at > at:
        record = replace(record, in_force_learned=None, in_force_learned_at=None)
    if record.retracted_at is not None and record.retracted_at > at:
        record = replace(record, retracted_at=None, retraction_reason=None)
    return record


def assert_fed_fact_by_fact_equals_built(country: str, records: list[AmendmentRecord]) -> None:
    """A Chronicle fed each fact as it arrives has, at every moment, the segments of one
    built from scratch as known then (the incremental re-sweep loses nothing)."""
    chronicle = Chronicle(country)
    for moment in knowledge_moments(records):
        for record in records:
            if moment in (record.recorded_at, record.in_force_learned_at):
                chronicle.add(record_effects(as_known_at(record, moment), moment))
            if record.retracted_at == moment:
                chronicle.remove(record.id)
        from_scratch = Chronicle.build(country, records, moment)
        assert [s.identity() for s in chronicle.segments] == [
            s.identity() for s in from_scratch.segments
        ]
