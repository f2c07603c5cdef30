"""Amendment records as the read model stores them (JSON with their knowledge timeline)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import orjson

from domain.instants import iso
from domain.records import AmendmentRecord
from events.payloads import AmendmentRecorded
from events.vocabulary import Source


def record_to_json(record: AmendmentRecord) -> str:
    row = {
        # The payload as pydantic writes it (the same JSON as model_dump, a third the time).
        "payload": orjson.Fragment(record.payload().model_dump_json()),
        "position": record.position,
        "recorded_at": record.recorded_at.isoformat(),
        "in_force_learned": iso(record.in_force_learned),
        "in_force_learned_at": iso(record.in_force_learned_at),
        "retracted_at": iso(record.retracted_at),
        "retraction_reason": record.retraction_reason,
        "retraction_source": _source(record.retraction_source),
    }
    # Publication dates only when stated, so the rows of earlier events stay as they were.
    if record.in_force_announced_on is not None:
        row["in_force_announced_on"] = record.in_force_announced_on.isoformat()
    if record.retraction_announced_on is not None:
        row["retraction_announced_on"] = record.retraction_announced_on.isoformat()
    return orjson.dumps(row).decode()


def record_from_json(text: str) -> AmendmentRecord:
    data: dict[str, Any] = json.loads(text)
    record = AmendmentRecord.from_payload(
        AmendmentRecorded.model_validate(data["payload"]),
        position=data["position"],
        recorded_at=dt.datetime.fromisoformat(data["recorded_at"]),
    )
    if data["in_force_learned_at"]:
        record = record.with_in_force(
            dt.date.fromisoformat(data["in_force_learned"]),
            dt.datetime.fromisoformat(data["in_force_learned_at"]),
            _date(data.get("in_force_announced_on")),
        )
    if data["retracted_at"]:
        # Rows projected before AmendmentRetracted v2 have no source: none was cited.
        source = data.get("retraction_source")
        record = record.with_retraction(
            data["retraction_reason"],
            dt.datetime.fromisoformat(data["retracted_at"]),
            Source.model_validate(source) if source else None,
            _date(data.get("retraction_announced_on")),
        )
    return record


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _source(source: Source | None) -> dict[str, Any] | None:
    return source.model_dump(mode="json") if source is not None else None
