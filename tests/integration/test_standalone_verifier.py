"""tools/verify_export.py run as a third party would: a separate process, on an export of
each store; without site-packages (-S) it has the standard library only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from api.bootstrap import Services, build_services
from api.settings import Settings
from domain.exchange import EVENTS, MANIFEST, export_ledger
from domain.loader import record_file
from domain.signing import Signer, create_key

TOOL = Path(__file__).parents[2] / "tools" / "verify_export.py"
DEMO = Path(__file__).parents[2] / "data" / "pakistan.yaml"


@pytest.fixture
def signer(tmp_path: Path) -> Signer:
    return create_key(tmp_path / "signing-key.pem")


@pytest.fixture
def export(store_url: str, signer: Signer, tmp_path: Path) -> Path:
    ledger: Services = build_services(
        Settings(database_url=store_url, signing_key_file=signer.path)
    )
    try:
        record_file(ledger.app, DEMO, "tester")
        export_ledger(ledger.app, ledger.signer, tmp_path / "export")
    finally:
        ledger.close()
    return tmp_path / "export"


def run(export: Path, *args: str, stdlib_only: bool = False) -> subprocess.CompletedProcess[str]:
    isolation = ["-I", "-S"] if stdlib_only else ["-I"]
    return subprocess.run(
        [sys.executable, *isolation, str(TOOL), str(export), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def edit_events(export: Path, old: bytes, new: bytes) -> None:
    path = export / EVENTS
    data = path.read_bytes()
    assert old in data
    path.write_bytes(data.replace(old, new, 1))


def test_an_untouched_export_passes_with_the_signature_checked(
    export: Path, signer: Signer
) -> None:
    result = run(export, "--key-id", signer.key_id, "--require-signature")
    digest = json.loads((export / MANIFEST).read_text())["digest"]

    assert result.returncode == 0, result.stdout + result.stderr
    assert "chains: ok (4 events, 1 country)" in result.stdout
    assert f"digest: ok {digest}" in result.stdout
    assert f"signature: ok, Ed25519 by key id {signer.key_id}" in result.stdout


def test_with_the_standard_library_only_it_checks_chains_and_digest_and_says_so(
    export: Path,
) -> None:
    result = run(export, stdlib_only=True)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "chains: ok" in result.stdout
    assert "signature: NOT checked" in result.stdout
    assert "standard library only" in result.stdout


def test_the_signature_can_be_required(export: Path) -> None:
    result = run(export, "--require-signature", stdlib_only=True)

    assert result.returncode == 1
    assert "cryptography package is not installed" in result.stdout


def test_an_edited_line_fails_naming_country_and_position(export: Path) -> None:
    edit_events(export, b"Kamerbrief", b"Kamerbriex")

    result = run(export, stdlib_only=True)

    assert result.returncode == 1
    assert result.stdout.startswith("FAILED: PK position 3 (events.jsonl line 3): content changed")


def test_a_removed_line_fails_at_the_position_it_held(export: Path) -> None:
    path = export / EVENTS
    kept = path.read_bytes().split(b"\n")
    path.write_bytes(b"\n".join([*kept[:1], *kept[2:]]))

    result = run(export)

    assert result.returncode == 1
    assert "PK position 3" in result.stdout
    assert "position 2 is due" in result.stdout


def test_a_signature_over_another_digest_fails(export: Path, tmp_path: Path) -> None:
    manifest = json.loads((export / MANIFEST).read_text())
    impostor = create_key(tmp_path / "impostor.pem")
    manifest["signature"] = impostor.sign(manifest["digest"])
    (export / MANIFEST).write_text(json.dumps(manifest))

    result = run(export)

    assert result.returncode == 1
    assert "signature does not hold" in result.stdout


def test_a_manifest_signed_by_another_key_fails_against_the_published_key_id(
    export: Path, tmp_path: Path, signer: Signer
) -> None:
    """Whoever rewrites the export can sign it with a key of their own: the key id the
    service publishes is what tells them apart."""
    manifest = json.loads((export / MANIFEST).read_text())
    impostor = create_key(tmp_path / "impostor.pem")
    manifest.update(
        signature=impostor.sign(manifest["digest"]),
        key_id=impostor.key_id,
        public_key=impostor.public_key_b64,
    )
    (export / MANIFEST).write_text(json.dumps(manifest))

    assert run(export).returncode == 0  # consistent in itself
    result = run(export, "--key-id", signer.key_id)
    assert result.returncode == 1
    assert f"not the expected {signer.key_id}" in result.stdout


def test_a_float_in_a_line_fails(export: Path) -> None:
    edit_events(export, b'"position":2', b'"position":2.0')

    result = run(export, stdlib_only=True)

    assert result.returncode == 1
    assert "line 2: a number that is not an integer: 2.0" in result.stdout


def test_a_missing_manifest_is_unreadable(export: Path) -> None:
    (export / MANIFEST).unlink()

    result = run(export)

    assert result.returncode == 2
    assert result.stdout.startswith("UNREADABLE: manifest.json")


def forge_export(export: Path, signer: Signer, drop_last: bool = False) -> None:
    """What a deceived service used to sign: PK rewritten from position 2 to its end with
    every hash recomputed (or its last event dropped), the manifest made to match and
    signed with the service's own key."""
    import rfc8785

    from domain import chain

    lines = [json.loads(line) for line in (export / EVENTS).read_text().splitlines()]
    if drop_last:
        lines = lines[:-1]
    previous = chain.GENESIS
    for line in lines:
        if line["position"] == 2:
            line["payload"]["title"] = "forged"
        if line["position"] >= 2:
            line["previous_hash"] = previous
            link = {k: line[k] for k in ("author", "country", "event", "payload", "position")}
            link.update(previous_hash=previous, recorded_at=line["recorded_at"])
            line["hash"] = chain.sha256_hex(rfc8785.dumps(link))
        previous = line["hash"]
    (export / EVENTS).write_bytes(b"".join(rfc8785.dumps(line) + b"\n" for line in lines))
    manifest = json.loads((export / MANIFEST).read_text())
    manifest["events"] = len(lines)
    manifest["countries"] = {"PK": {"events": len(lines), "head": previous}}
    manifest["digest"] = chain.ledger_digest({"PK": previous})
    manifest["signature"] = signer.sign(manifest["digest"])
    (export / MANIFEST).write_text(json.dumps(manifest))


@pytest.mark.parametrize("drop_last", [False, True], ids=["rehashed", "last dropped"])
def test_a_forged_export_signed_by_the_service_fails_against_a_checkpoint(
    store_url: str, tmp_path: Path, drop_last: bool
) -> None:
    from domain.signing import load_signer
    from integration.test_cli import Shell
    from integration.test_trust_cli import key_file

    shell = Shell(store_url, tmp_path)
    shell.ok("init")
    shell.ok("load", str(DEMO), "--author", "tester")
    published = tmp_path / "integrity.json"
    published.write_text(shell.ok("verify", "--json").stdout)
    shell.ok("export", str(tmp_path / "export"))
    service = load_signer(key_file(shell))
    assert service is not None
    key_id = json.loads(published.read_text())["key_id"]
    assert run(tmp_path / "export", "--checkpoint", str(published)).returncode == 0

    forge_export(tmp_path / "export", service, drop_last)
    alone = run(tmp_path / "export", "--key-id", key_id, "--require-signature")
    against = run(tmp_path / "export", "--key-id", key_id, "--checkpoint", str(published))

    assert alone.returncode == 0, alone.stdout  # the forgery holds together and is signed
    assert against.returncode == 1, against.stdout
    if drop_last:
        assert "the export ends at log position" in against.stdout
    else:
        assert "FAILED: PK position 4: checkpoint" in against.stdout
        assert "the chain was rewritten" in against.stdout


def test_the_checkpoint_file_outside_the_store_is_read_line_by_line(
    store_url: str, tmp_path: Path
) -> None:
    from integration.test_cli import Shell

    shell = Shell(store_url, tmp_path)
    copy = tmp_path / "checkpoints.jsonl"
    shell.env["POLICY_LEDGER_CHECKPOINT_FILE"] = str(copy)
    shell.ok("init")
    shell.ok("load", str(DEMO), "--author", "tester")
    shell.ok("export", str(tmp_path / "export"))

    result = run(tmp_path / "export", "--checkpoint", str(copy), stdlib_only=True)

    assert result.returncode == 0, result.stdout
    assert "checkpoint: ok" in result.stdout
