"""Export and import: the demo ledger written as JSON Lines with a signed manifest, and read
into a fresh store with the same digest, the same answers, record times and authors; a
tampered export, a non-empty store and a broken ledger are refused. Both stores."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from api.bootstrap import Services, build_services
from api.settings import Settings
from domain.errors import LedgerNotEmptyError
from domain.exchange import (
    EVENTS,
    MANIFEST,
    BrokenLedgerError,
    ExportError,
    export_ledger,
    import_ledger,
)
from domain.loader import record_file
from domain.signing import Signer, create_key, signature_holds
from integration.raw_store import RawStore

DEMO = Path(__file__).parents[2] / "data" / "pakistan.yaml"
DATES = ["2024-11-24", "2024-11-25", "2024-11-26", "2024-12-18", "2025-06-01"]
LOADED = dt.datetime(2025, 1, 1, 9, 0, tzinfo=dt.UTC)
IN_FORCE_LEARNED = dt.datetime(2025, 2, 1, 9, 0, tzinfo=dt.UTC)
RETRACTED = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)
MOMENTS = [
    LOADED - dt.timedelta(seconds=1),
    LOADED,
    IN_FORCE_LEARNED - dt.timedelta(microseconds=1),
    IN_FORCE_LEARNED,
    RETRACTED,
    dt.datetime(2100, 1, 1, tzinfo=dt.UTC),
]


@pytest.fixture
def signer(tmp_path: Path) -> Signer:
    return create_key(tmp_path / "keys" / "signing-key.pem")


@pytest.fixture
def source(store_url: str, signer: Signer, clock: Any) -> Iterator[Services]:
    """The demo, then the decree's in-force date learned, then the attestation retracted:
    every kind of event, at three record times."""
    ledger = build_services(Settings(database_url=store_url, signing_key_file=signer.path), clock)
    clock.set(LOADED)
    attestation, _, decree = (r.amendment_id for r in record_file(ledger.app, DEMO, "loader"))
    clock.set(IN_FORCE_LEARNED)
    version = ledger.app.version_of("PK")
    ledger.app.record_in_force_date(
        "PK", str(decree), dt.date(2025, 1, 1), author="alice", expected_version=version or 0
    )
    clock.set(RETRACTED)
    ledger.app.retract_amendment(
        "PK", str(attestation), reason="superseded", author="bob", expected_version=version + 1
    )
    ledger.catch_up.run()
    yield ledger
    ledger.close()


@pytest.fixture
def open_fresh(other_store_url: str, tmp_path: Path) -> Iterator[Callable[[], Services]]:
    opened: list[Services] = []

    def open_() -> Services:
        key = tmp_path / "imported-key.pem"
        opened.append(build_services(Settings(database_url=other_store_url, signing_key_file=key)))
        return opened[-1]

    yield open_
    for ledger in opened:
        ledger.close()


def answers(ledger: Services) -> list[Any]:
    found: list[Any] = [ledger.reads.as_projected.countries()]
    for moment in MOMENTS:
        found.append(ledger.reads.as_projected.timeline("PK", moment))
        for day in DATES:
            found.append(ledger.reads.as_projected.policy("PK", dt.date.fromisoformat(day), moment))
    return found


def lines(directory: Path) -> list[dict[str, Any]]:
    text = (directory / EVENTS).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.split("\n")[:-1]]


def test_an_import_reproduces_the_digest_and_every_answer(
    source: Services, open_fresh: Callable[[], Services], tmp_path: Path, signer: Signer
) -> None:
    exported = export_ledger(source.app, source.signer, tmp_path / "export")

    target = open_fresh()
    imported = import_ledger(target.app, tmp_path / "export")
    target.catch_up.run()

    assert (exported.events, imported.events) == (6, 6)
    assert imported.digest == exported.digest == source.verify().digest
    assert imported.signed_by == signer.key_id
    assert target.verify().digest == exported.digest
    assert target.reads.as_projected.ledger_digest() == exported.digest
    assert answers(target) == answers(source)


def test_an_import_keeps_record_times_authors_and_hashes(
    source: Services, open_fresh: Callable[[], Services], tmp_path: Path
) -> None:
    export_ledger(source.app, source.signer, tmp_path / "export")
    target = open_fresh()
    import_ledger(target.app, tmp_path / "export")
    target.catch_up.run()

    timeline = target.reads.as_projected.timeline("PK", MOMENTS[-1])["amendments"]
    assert [a["author"] for a in timeline] == ["loader"] * 3
    assert [a["recorded_at"][:19] for a in timeline] == ["2025-01-01T09:00:00"] * 3
    assert timeline[0]["retracted_at"] == RETRACTED.isoformat()
    assert timeline[2]["in_force_recorded_at"] == IN_FORCE_LEARNED.isoformat()
    stored = [(e.country, e.position, e.hash) for e in _entries(target)]
    assert stored == [(e.country, e.position, e.hash) for e in _entries(source)]


def _entries(ledger: Services) -> list[Any]:
    from domain.integrity import read_log

    return list(read_log(ledger.app))


def test_the_export_is_one_line_per_event_with_a_signed_manifest(
    source: Services, tmp_path: Path, signer: Signer
) -> None:
    exported = export_ledger(source.app, source.signer, tmp_path / "export")
    manifest = json.loads((tmp_path / "export" / MANIFEST).read_text())
    events = lines(tmp_path / "export")

    assert [(e["event"], e["position"]) for e in events] == [
        ("Opened", 1),
        ("AmendmentRecorded", 2),
        ("AmendmentRecorded", 3),
        ("AmendmentRecorded", 4),
        ("InForceDateRecorded", 5),
        ("AmendmentRetracted", 6),
    ]
    assert [e["author"] for e in events] == [None, "loader", "loader", "loader", "alice", "bob"]
    assert [e["previous_hash"] for e in events[1:]] == [e["hash"] for e in events[:-1]]
    assert manifest["countries"] == {"PK": {"events": 6, "head": events[-1]["hash"]}}
    assert (manifest["events"], manifest["digest"]) == (6, exported.digest)
    assert manifest["key_id"] == signer.key_id
    assert signature_holds(manifest["public_key"], manifest["digest"], manifest["signature"])


def test_import_into_a_store_that_holds_events_is_refused(source: Services, tmp_path: Path) -> None:
    export_ledger(source.app, source.signer, tmp_path / "export")
    head = source.catch_up.head()

    with pytest.raises(LedgerNotEmptyError, match="already holds 6 events"):
        import_ledger(source.app, tmp_path / "export")
    assert source.catch_up.head() == head


def test_a_tampered_export_is_refused_and_nothing_is_stored(
    source: Services, open_fresh: Callable[[], Services], tmp_path: Path
) -> None:
    export_ledger(source.app, source.signer, tmp_path / "export")
    path = tmp_path / "export" / EVENTS
    path.write_bytes(path.read_bytes().replace(b"Kamerbrief", b"Kamerbriex", 1))
    target = open_fresh()

    with pytest.raises(ExportError, match=r"PK position 3 \(content\)"):
        import_ledger(target.app, tmp_path / "export")
    assert target.catch_up.head() == 0


def test_a_signature_that_does_not_hold_is_refused(
    source: Services, open_fresh: Callable[[], Services], tmp_path: Path
) -> None:
    export_ledger(source.app, source.signer, tmp_path / "export")
    manifest_path = tmp_path / "export" / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    other = create_key(tmp_path / "other.pem")
    manifest["signature"] = other.sign(manifest["digest"])  # another key's signature
    manifest_path.write_text(json.dumps(manifest))

    with pytest.raises(ExportError, match="signature does not hold"):
        import_ledger(open_fresh().app, tmp_path / "export")


def test_a_manifest_that_disagrees_with_the_events_is_refused(
    source: Services, open_fresh: Callable[[], Services], tmp_path: Path
) -> None:
    export_ledger(source.app, source.signer, tmp_path / "export")
    path = tmp_path / "export" / EVENTS
    kept = path.read_bytes().split(b"\n")[:-2]  # the last line gone
    path.write_bytes(b"".join(line + b"\n" for line in kept))

    with pytest.raises(ExportError, match="counts or heads"):
        import_ledger(open_fresh().app, tmp_path / "export")


def test_a_broken_ledger_is_not_exported(source: Services, tmp_path: Path) -> None:
    RawStore(source).edit_byte("PK", 3, b"Kamerbrief", b"Kamerbriex")

    with pytest.raises(BrokenLedgerError, match=r"PK position 3 \(content\)"):
        export_ledger(source.app, source.signer, tmp_path / "export")
    assert list((tmp_path / "export").iterdir()) == []


def test_an_export_does_not_overwrite_another(source: Services, tmp_path: Path) -> None:
    export_ledger(source.app, source.signer, tmp_path / "export")

    with pytest.raises(ExportError, match="export into an empty directory"):
        export_ledger(source.app, source.signer, tmp_path / "export")


def test_version_1_events_export_with_computed_hashes_and_import_sealed(
    source: Services, open_fresh: Callable[[], Services], tmp_path: Path
) -> None:
    digest = source.verify().digest
    RawStore(source).downgrade_to_v1()

    export_ledger(source.app, source.signer, tmp_path / "export")
    target = open_fresh()
    import_ledger(target.app, tmp_path / "export")
    target.catch_up.run()

    assert {e["legacy"] for e in lines(tmp_path / "export")} == {True}
    report = target.verify()
    assert (report.digest, report.legacy_events) == (digest, 0)
