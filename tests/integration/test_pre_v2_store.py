"""A store written before policy model v2 reads back unchanged (issue 14), on both stores.

tests/fixtures/pre_v2_store holds an export the code before v2 (commit 5db8e08) wrote: the
Pakistan demo and amendments of every old change type, pending ones, in-force dates learned
later and retractions with and without a source, with that code's own answers (see its
README). The current code imports it, verifies it with the same digest, stores every payload
as it was and re-dumps it to the same document (what keeps the hashes valid), and answers
as the old code did: every key the old answer had, with the same value; v2 may only add keys
(`declined_groups`, `attested_later`, a moratorium's `through`, ...).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from api.bootstrap import build_services
from api.settings import Settings
from domain.domainmodel import CountryPolicy
from domain.exchange import PAYLOADS
from integration.raw_store import RawStore
from integration.test_cli import Shell

FIXTURE = Path(__file__).parents[1] / "fixtures" / "pre_v2_store"
MANIFEST = json.loads((FIXTURE / "manifest.json").read_text(encoding="utf-8"))
ANSWERS = json.loads((FIXTURE / "answers.json").read_text(encoding="utf-8"))
LINES = [
    json.loads(line) for line in (FIXTURE / "events.jsonl").read_text(encoding="utf-8").splitlines()
]
# Fields every answer must keep exactly, whatever v2 added around them.
EXACT = ("version_id", "coverage", "valid_from", "valid_to", "ledger_digest")


def differences(old: Any, new: Any, where: str = "$") -> list[str]:
    """Where `new` does not hold `old`: every key of an old object with the same value in
    the new one (which may hold more keys); lists the same length, compared elementwise."""
    if isinstance(old, dict):
        if not isinstance(new, dict):
            return [f"{where}: {old!r} became {new!r}"]
        found: list[str] = []
        for key, value in old.items():
            if key not in new:
                found.append(f"{where}.{key}: missing (was {value!r})")
            else:
                found.extend(differences(value, new[key], f"{where}.{key}"))
        return found
    if isinstance(old, list):
        if not isinstance(new, list) or len(new) != len(old):
            return [f"{where}: {old!r} became {new!r}"]
        pairs = enumerate(zip(old, new, strict=True))
        return [d for i, (o, n) in pairs for d in differences(o, n, f"{where}[{i}]")]
    if old != new or type(old) is not type(new):
        return [f"{where}: {old!r} became {new!r}"]
    return []


@pytest.fixture
def imported(shell: Shell) -> Shell:
    """The pre-v2 export imported into the test's empty store with the current code."""
    result = shell.ok("import", str(FIXTURE))
    assert MANIFEST["digest"] in result.stdout
    return shell


def test_the_fixture_holds_every_old_change_type_and_event_kind() -> None:
    """Guards the fixture itself: what the test below relies on is in it."""
    kinds = {line["event"] for line in LINES}
    assert kinds == {"Opened", "AmendmentRecorded", "InForceDateRecorded", "AmendmentRetracted"}
    changes = {
        change["type"]
        for line in LINES
        if line["event"] == "AmendmentRecorded"
        for change in line["payload"]["changes"]
    }
    assert changes == {
        "designate_group",
        "revoke_group",
        "relabel_group",
        "set_protection",
        "set_internal_protection_alternative",
        "set_article_15c",
        "set_unaccompanied_minors_reception",
        "impose_moratorium",
        "lift_moratorium",
        "reaffirm",
        "note",
    }
    retractions = [line["payload"] for line in LINES if line["event"] == "AmendmentRetracted"]
    assert {r["source"] is None for r in retractions} == {True, False}
    recorded = [line["payload"] for line in LINES if line["event"] == "AmendmentRecorded"]
    assert any(r["in_force_from"] is None for r in recorded)
    assert any(r["attestation"] for r in recorded)


def test_the_imported_store_verifies_with_the_digest_the_old_code_computed(
    imported: Shell,
) -> None:
    doc = imported.json("verify")
    old = ANSWERS["verify"]
    assert doc["ok"] is True
    assert doc["digest"] == MANIFEST["digest"] == old["digest"]
    assert doc["events"] == old["events"] == MANIFEST["events"]
    assert doc["legacy_events"] == old["legacy_events"]
    assert doc["countries"] == old["countries"]
    assert doc["first_broken"] is None
    assert doc["broken"] == []


def test_every_stored_payload_is_the_exported_one_and_re_dumps_unchanged(
    imported: Shell, store_url: str
) -> None:
    ledger = build_services(Settings(database_url=store_url))
    try:
        rows = RawStore(ledger).rows()
    finally:
        ledger.close()
    streams = {CountryPolicy.create_id(country): country for country in MANIFEST["countries"]}
    exported = {(line["country"], line["position"]): line for line in LINES}
    assert len(rows) == len(exported)
    redumped = 0
    for originator_id, position, _, state in rows:
        country = streams[UUID(originator_id)]
        line = exported[(country, position)]
        stored = json.loads(state)
        assert stored["hash"] == line["hash"], (country, position)
        assert stored["previous_hash"] == line["previous_hash"], (country, position)
        if line["event"] == "Opened":
            continue
        assert stored["payload"] == line["payload"], (country, position)
        model = PAYLOADS[line["event"]]
        again = model.model_validate(stored["payload"]).model_dump(mode="json")
        assert again == stored["payload"], (country, position, line["event"])
        redumped += 1
    assert redumped == sum(1 for line in LINES if line["event"] != "Opened")


def test_the_current_code_answers_as_the_old_code_did(imported: Shell) -> None:
    found: list[str] = []

    def compare(name: str, old: dict[str, Any], new: dict[str, Any]) -> None:
        for key in EXACT:
            if key in old and old[key] != new.get(key):
                found.append(f"{name}: {key} {old[key]!r} became {new.get(key)!r}")
        found.extend(f"{name}: {d}" for d in differences(old, new))

    for case in ANSWERS["policy"]:
        args = ("policy", case["country"], "--on", case["on"], "--known-at", case["known_at"])
        compare(" ".join(args), case["answer"], imported.json(*args))
    for case in ANSWERS["timeline"]:
        args = ("timeline", case["country"], "--known-at", case["known_at"])
        compare(" ".join(args), case["answer"], imported.json(*args))
    for case in ANSWERS["history"]:
        args = ("history", case["country"], case["element"], "--known-at", case["known_at"])
        compare(" ".join(args), case["answer"], imported.json(*args))
    assert not found, f"{len(found)} differences:\n" + "\n".join(found[:60])
