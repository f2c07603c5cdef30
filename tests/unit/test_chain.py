"""The hash chain the aggregate writes: each event links to the one before it, and its hash
covers its type, country, position, record time, author and payload."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import rfc8785
from eventsourcing.persistence import StoredEvent

from domain import chain
from domain.application import PolicyLedger
from domain.commands import AmendmentDraft
from domain.domainmodel import CountryPolicy, event_link
from events.vocabulary import DesignateGroup, GroupCategory, Source, SourceKind

DAY = dt.date(2024, 11, 26)
SOURCE = Source(kind=SourceKind.KAMERSTUK, reference="Kamerstuk 19637, nr. 3318", date=DAY)


def designate(group: str) -> AmendmentDraft:
    change = DesignateGroup(
        group=group, category=GroupCategory.RISK_PROFILE, label_nl=group, label_en=group
    )
    return AmendmentDraft(announced_on=DAY, in_force_from=DAY, sources=(SOURCE,), changes=(change,))


def stored_events(app: PolicyLedger, country: str = "PK") -> list[Any]:
    return list(app.repository.event_store.get(CountryPolicy.create_id(country)))


@pytest.fixture
def recorded(app: PolicyLedger) -> PolicyLedger:
    app.record_amendment("PK", designate("pti"), author="alice", expected_version=None)
    app.record_amendment("PK", designate("sikhs"), author="bob", expected_version=2)
    return app


def test_each_event_cites_the_hash_of_the_event_before_it(recorded: PolicyLedger) -> None:
    events = stored_events(recorded)

    assert [type(e).__name__ for e in events] == [
        "Opened",
        "AmendmentRecorded",
        "AmendmentRecorded",
    ]
    assert events[0].previous_hash == chain.GENESIS
    assert [e.previous_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert len({e.hash for e in events}) == 3


def test_a_stored_hash_is_sha256_of_the_rfc8785_link(recorded: PolicyLedger) -> None:
    event = stored_events(recorded)[2]
    document = {
        "author": "bob",
        "country": "PK",
        "event": "AmendmentRecorded",
        "payload": event.payload,
        "position": 3,
        "previous_hash": event.previous_hash,
        "recorded_at": event.timestamp.astimezone(dt.UTC).isoformat(timespec="microseconds"),
    }

    assert event.hash == chain.sha256_hex(rfc8785.dumps(document))


def test_opened_links_the_country_with_no_author(recorded: PolicyLedger) -> None:
    opened = stored_events(recorded)[0]

    link = event_link(opened, "PK", chain.GENESIS)

    assert (link.event, link.position, link.author, link.payload) == (
        "Opened",
        1,
        None,
        {"country": "PK"},
    )
    assert link.hash() == opened.hash


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("event", "AmendmentRetracted"),
        ("country", "AF"),
        ("position", 4),
        ("recorded_at", "2030-01-01T09:00:00.000001+00:00"),
        ("author", "mallory"),
        ("previous_hash", "1" * 64),
    ],
)
def test_changing_any_linked_field_changes_the_hash(
    recorded: PolicyLedger, field: str, value: Any
) -> None:
    event = stored_events(recorded)[2]
    link = event_link(event, "PK", event.previous_hash)
    changed = chain.Link(**{**link.document(), field: value})

    assert link.hash() == event.hash
    assert changed.hash() != event.hash


def test_changing_one_payload_character_changes_the_hash(recorded: PolicyLedger) -> None:
    event = stored_events(recorded)[2]
    payload = json.loads(json.dumps(event.payload).replace("sikhs", "sikhz"))

    link = event_link(event, "PK", event.previous_hash)

    assert chain.Link(**{**link.document(), "payload": payload}).hash() != link.hash()


def test_the_ledger_digest_is_sha256_of_the_sorted_heads() -> None:
    heads = {"PK": "a" * 64, "AF": "b" * 64}

    assert chain.ledger_digest(heads) == chain.ledger_digest(dict(reversed(heads.items())))
    expected = chain.sha256_hex(b'{"AF":"' + b"b" * 64 + b'","PK":"' + b"a" * 64 + b'"}')
    assert chain.ledger_digest(heads) == expected


def test_record_times_without_a_zone_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        chain.moment_text(dt.datetime(2025, 1, 1))


def test_a_version_1_event_reads_with_no_hashes_and_is_linked_by_computing(
    recorded: PolicyLedger,
) -> None:
    """Events stored before the chain (class version 1) still load: the upcaster gives them
    no hashes, and the aggregate computes their links, so the next event commits to them."""
    mapper = recorded.mapper
    originator = CountryPolicy.create_id("PK")
    stored = recorded.recorder.select_events(originator)
    as_v1 = [_without_hashes(mapper, s) for s in stored]
    events = [mapper.to_domain_event(s) for s in as_v1]

    assert [(e.previous_hash, e.hash) for e in events] == [(None, None)] * 3
    policy = None
    for event in events:
        policy = event.mutate(policy)
    assert policy is not None
    assert policy.head == stored_events(recorded)[-1].hash


def _without_hashes(mapper: Any, stored: StoredEvent) -> StoredEvent:
    state = mapper.transcoder.decode(stored.state)
    for key in ("previous_hash", "hash", "class_version"):
        state.pop(key)
    return StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=mapper.transcoder.encode(state),
    )
