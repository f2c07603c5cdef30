"""Publication dates on stored payloads: absent unless stated, so events recorded without
one keep the bytes (and hashes) of every event stored before the field existed, and such
events read as published the day they were recorded."""

from __future__ import annotations

import datetime as dt

from domain.records import AmendmentRecord
from events import payloads

STORED_IN_FORCE = {
    "amendment_id": "a",
    "country": "PK",
    "in_force_from": "2025-01-01",
    "author": "editor",
}
STORED_RETRACTION = {
    "amendment_id": "a",
    "country": "PK",
    "reason": "entered in error",
    "source": None,
    "author": "editor",
}


def test_payloads_stored_before_publication_dates_read_back_unchanged() -> None:
    for model, stored in (
        (payloads.InForceDateRecorded, STORED_IN_FORCE),
        (payloads.AmendmentRetracted, STORED_RETRACTION),
    ):
        payload = model.model_validate(stored)
        assert payload.announced_on is None
        assert payload.model_dump(mode="json") == stored  # same keys, same order, same bytes
        assert list(payload.model_dump(mode="json")) == list(stored)


def test_a_stated_publication_date_is_stored_last() -> None:
    payload = payloads.InForceDateRecorded.model_validate(
        {**STORED_IN_FORCE, "announced_on": "2025-01-20"}
    )
    assert payload.model_dump(mode="json") == {**STORED_IN_FORCE, "announced_on": "2025-01-20"}


def test_unstated_publication_is_the_utc_day_of_recording() -> None:
    record = AmendmentRecord(
        id="a",
        country="PK",
        position=2,
        recorded_at=dt.datetime(2024, 12, 18, tzinfo=dt.UTC),
        announced_on=dt.date(2024, 12, 18),
        in_force_from=None,
        attestation=False,
        title=None,
        sources=(),
        rationale="",
        author="editor",
        changes=(),
    )
    # 23:30 in Amsterdam on 31 January is 22:30 UTC: still 31 January.
    learned_at = dt.datetime(2025, 1, 31, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    learned = record.with_in_force(dt.date(2025, 1, 1), learned_at)
    assert learned.in_force_published_on == dt.date(2025, 1, 31)
    stated = record.with_in_force(dt.date(2025, 1, 1), learned_at, dt.date(2025, 1, 20))
    assert stated.in_force_published_on == dt.date(2025, 1, 20)
    retracted = record.with_retraction("x", dt.datetime(2025, 3, 1, 15, tzinfo=dt.UTC))
    assert retracted.retraction_published_on == dt.date(2025, 3, 1)
    assert record.as_published(dt.date(2024, 12, 17)) is None
    assert learned.as_published(dt.date(2025, 1, 30)) == record  # its date not yet published
