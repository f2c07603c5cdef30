"""Verification recomputes every chain from the raw stored rows and finds rows edited,
deleted or reordered by hand with SQL, on SQLite and on PostgreSQL.

The ledger: the Pakistan demo (PK: Opened at 1, amendments at 2, 3, 4; the letter of 26
November 2024 at 3) and one Afghan amendment recorded after it (AF: 1, 2).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from api.bootstrap import Services
from domain import chain
from domain.domainmodel import CountryPolicy
from domain.integrity import IntegrityReport, read_log, verify_log
from domain.loader import record_file
from integration.raw_store import RawStore
from integration.test_ledger_digest import designate

DEMO = Path(__file__).parents[2] / "data" / "pakistan.yaml"


@pytest.fixture
def recorded(ledger: Services) -> Services:
    record_file(ledger.app, DEMO, "tester")
    ledger.app.record_amendment("AF", designate("hazaras"), author="alice", expected_version=None)
    ledger.catch_up.run()
    return ledger


@pytest.fixture
def raw(recorded: Services) -> RawStore:
    return RawStore(recorded)


def stored_hash(ledger: Services, country: str, position: int) -> str:
    events = ledger.app.repository.event_store.get(CountryPolicy.create_id(country))
    return str(next(e.hash for e in events if e.originator_version == position))


def broken_at(report: IntegrityReport) -> tuple[str, int, str]:
    assert not report.ok
    first = report.first_broken
    assert first is not None
    return first.country, first.position, first.reason


def test_an_untouched_ledger_verifies_with_the_digest_its_answers_name(recorded: Services) -> None:
    report = recorded.verify()

    assert report.ok
    assert report.first_broken is None
    assert report.events == 6
    assert [(c.country, c.events) for c in report.chains] == [("AF", 2), ("PK", 4)]
    assert report.heads() == {
        "AF": stored_hash(recorded, "AF", 2),
        "PK": stored_hash(recorded, "PK", 4),
    }
    assert report.digest == recorded.reads.as_projected.ledger_digest()
    assert report.legacy_events == 0


def test_an_edited_payload_byte_breaks_the_chain_at_that_event(
    recorded: Services, raw: RawStore
) -> None:
    stored = stored_hash(recorded, "PK", 3)

    raw.edit_byte("PK", 3, b"Kamerbrief", b"Kamerbriex")
    report = recorded.verify()

    assert broken_at(report) == ("PK", 3, "content")
    first = report.first_broken
    assert first is not None
    assert first.expected == stored
    assert first.found not in (None, stored)
    assert report.digest is None
    assert [c.country for c in report.chains if c.head is None] == ["PK"]


@pytest.mark.parametrize(
    ("what", "change"),
    [
        ("author", lambda doc: doc["payload"].update(author="mallory")),
        ("record time", lambda doc: doc["timestamp"].update(_data_="2024-01-01T00:00:00+00:00")),
        ("in-force date", lambda doc: doc["payload"].update(in_force_from="2024-01-01")),
    ],
)
def test_an_edited_field_breaks_the_chain_at_that_event(
    recorded: Services, raw: RawStore, what: str, change: Any
) -> None:
    raw.edit_json("PK", 2, change)

    assert broken_at(recorded.verify()) == ("PK", 2, "content"), what


def test_a_deleted_event_breaks_the_chain_where_it_was(recorded: Services, raw: RawStore) -> None:
    raw.delete("PK", 2)
    report = recorded.verify()

    assert broken_at(report) == ("PK", 2, "sequence")
    first = report.first_broken
    assert first is not None
    assert first.expected == stored_hash(recorded, "PK", 1)
    assert first.found != first.expected  # the next event cites the deleted one


def test_swapped_versions_break_the_chain_at_the_first_of_them(
    recorded: Services, raw: RawStore
) -> None:
    raw.swap_versions("PK", 2, 3)

    assert broken_at(recorded.verify()) == ("PK", 2, "sequence")


def test_swapped_rows_break_the_chain_even_in_version_order(
    recorded: Services, raw: RawStore
) -> None:
    """Rows 2 and 3 swap their whole content but keep their places in the log: read in
    version order the event at 2 would cite the hash of 3, so the link is broken there."""
    second, third = raw.state("PK", 2), raw.state("PK", 3)
    raw.set_state("PK", 2, third)
    raw.set_state("PK", 3, second)

    assert broken_at(recorded.verify())[:2] == ("PK", 2)


def test_a_deleted_last_event_is_caught_by_the_read_model_witness(
    recorded: Services, raw: RawStore
) -> None:
    digest = recorded.verify().digest

    raw.delete("PK", 4)
    report = recorded.verify()
    without_witness = verify_log(recorded.app)

    assert broken_at(report) == ("PK", 4, "missing")
    # The log alone holds together without its last event; its digest is another one,
    # which a digest signed earlier (an export, GET /integrity) shows.
    assert without_witness.ok
    assert without_witness.digest != digest


def test_a_row_that_no_longer_decodes_is_a_broken_link(recorded: Services, raw: RawStore) -> None:
    raw.edit_byte("AF", 2, b'{"timestamp"', b'["timestamp"')

    assert broken_at(recorded.verify()) == ("AF", 2, "undecodable")


def test_a_rehashed_edit_is_caught_by_the_next_event(recorded: Services, raw: RawStore) -> None:
    """Someone edits an event and stores its new hash: the event after it still cites the
    old one."""

    def forge(doc: dict[str, Any]) -> None:
        doc["payload"]["rationale"] = "forged"
        at = dt.datetime.fromisoformat(doc["timestamp"]["_data_"])
        previous = doc["previous_hash"]
        doc["hash"] = chain.link("AmendmentRecorded", "PK", 2, at, doc["payload"], previous).hash()

    original = stored_hash(recorded, "PK", 2)
    raw.edit_json("PK", 2, forge)
    report = recorded.verify()

    assert broken_at(report) == ("PK", 3, "link")
    first = report.first_broken
    assert first is not None
    assert first.found == original  # still cited by the next event
    assert first.expected == stored_hash(recorded, "PK", 2) != original  # the forged one


def test_hashes_stripped_after_a_sealed_event_are_reported(
    recorded: Services, raw: RawStore
) -> None:
    """A row rewritten as a version 1 event (no hashes) after events that have them."""
    strip = ("hash", "previous_hash", "class_version")
    raw.edit_json("PK", 4, lambda doc: [doc.pop(k) for k in strip])

    assert broken_at(recorded.verify()) == ("PK", 4, "unsealed")


def test_each_broken_chain_is_reported_first_in_log_order(
    recorded: Services, raw: RawStore
) -> None:
    raw.edit_byte("AF", 2, b"hazaras", b"hazarax")
    raw.edit_byte("PK", 3, b"Kamerbrief", b"Kamerbriex")
    report = recorded.verify()

    assert [(b.country, b.position) for b in report.broken] == [("PK", 3), ("AF", 2)]


def test_version_1_events_verify_and_are_sealed_by_the_next_write(
    recorded: Services, raw: RawStore, open_ledger: Callable[..., Services]
) -> None:
    digest = recorded.verify().digest
    raw.downgrade_to_v1()

    legacy = recorded.verify()
    assert (legacy.ok, legacy.legacy_events, legacy.digest) == (True, 6, digest)

    # Another process reads the version 1 rows (upcast, links computed) and writes after them.
    writer = open_ledger()
    version = writer.app.version_of("PK")
    writer.app.record_amendment("PK", designate("sikhs"), author="alice", expected_version=version)
    sealed = recorded.verify()
    assert (sealed.ok, sealed.legacy_events, sealed.events) == (True, 6, 7)

    # An edit of a version 1 event: the version 2 event after it cites its computed hash,
    # and the read model's head for position 4 (a witness) differs first.
    raw.edit_byte("PK", 2, b"Bestaande", b"Bestaandx")
    assert broken_at(verify_log(recorded.app)) == ("PK", 5, "link")
    assert broken_at(recorded.verify()) == ("PK", 4, "witness")


def test_the_log_is_read_page_by_page_to_its_end(recorded: Services) -> None:
    entries = list(read_log(recorded.app, page=2))

    assert [e.notification_id for e in entries] == sorted(e.notification_id for e in entries)
    assert [(e.country, e.position) for e in entries] == [
        ("PK", 1),
        ("PK", 2),
        ("PK", 3),
        ("PK", 4),
        ("AF", 1),
        ("AF", 2),
    ]


def test_two_writers_on_one_head_cannot_fork_the_chain(
    recorded: Services, open_ledger: Callable[..., Services]
) -> None:
    """Both load PK at position 4 and chain an event onto its head; the store takes one
    event per position, so the second save fails and the chain stays single."""
    other = open_ledger()
    first, second = recorded.app.policy("PK"), other.app.policy("PK")
    first.record_amendment(designate("sikhs"), "alice", dt.datetime.now(dt.UTC))
    second.record_amendment(designate("baloch"), "bob", dt.datetime.now(dt.UTC))
    assert first.pending_events[0].previous_hash == second.pending_events[0].previous_hash

    recorded.app.save(first)
    with pytest.raises(IntegrityError):
        other.app.save(second)

    report = recorded.verify()
    assert (report.ok, report.events) == (True, 7)
    assert report.heads()["PK"] == first.head
