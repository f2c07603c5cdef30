"""Backups: `policy-ledger backup FILE` and `restore FILE` through the CLI, on both stores.
A restore into an empty store reproduces the digest and every answer; a tampered or
foreign file and a non-empty store are refused with nothing stored."""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from api.bootstrap import Services, build_services
from api.cli import cli
from api.settings import Settings
from integration.test_exchange import answers

DEMO = Path(__file__).parents[2] / "data" / "pakistan.yaml"


def run(url: str, key: Path, *args: str) -> Any:
    env = {"POLICY_LEDGER_DATABASE_URL": url, "POLICY_LEDGER_SIGNING_KEY_FILE": str(key)}
    return CliRunner().invoke(cli, list(args), env=env)


def loaded(store_url: str, tmp_path: Path) -> Path:
    key = tmp_path / "source-key.pem"
    assert run(store_url, key, "init").exit_code == 0
    assert run(store_url, key, "load", str(DEMO), "--author", "t").exit_code == 0
    return key


def test_a_restore_into_an_empty_store_reproduces_the_digest_and_every_answer(
    store_url: str,
    other_store_url: str,
    open_ledger: Callable[..., Services],
    tmp_path: Path,
) -> None:
    key = loaded(store_url, tmp_path)
    file = tmp_path / "ledger.tar.gz"

    backed_up = run(store_url, key, "backup", str(file))
    restored = run(other_store_url, tmp_path / "target-key.pem", "restore", str(file))

    assert backed_up.exit_code == 0, backed_up.output
    assert restored.exit_code == 0, restored.output
    source = open_ledger()
    digest = source.verify().digest
    assert digest is not None
    assert f"digest: {digest}" in backed_up.output
    assert f"digest: {digest} (verified)" in restored.output
    assert run(store_url, key, "backup", str(file)).exit_code == 2  # never overwritten
    target = build_services(
        Settings(database_url=other_store_url, signing_key_file=tmp_path / "target-key.pem")
    )
    try:
        target.catch_up.run()
        assert target.verify().digest == digest
        assert answers(target) == answers(source)
    finally:
        target.close()


def test_a_tampered_backup_a_foreign_file_and_a_non_empty_store_are_refused(
    store_url: str, other_store_url: str, tmp_path: Path
) -> None:
    key = loaded(store_url, tmp_path)
    file = tmp_path / "ledger.tar.gz"
    assert run(store_url, key, "backup", str(file)).exit_code == 0
    tampered = tmp_path / "tampered.tar.gz"
    tampered.write_bytes(_edited(file, b"Kamerstuk", b"Kamerstik"))
    foreign = tmp_path / "foreign.tar.gz"
    foreign.write_bytes(gzip.compress(b"not a tar file"))
    target_key = tmp_path / "target-key.pem"

    for bad in (tampered, foreign, tmp_path / "missing.tar.gz"):
        refused = run(other_store_url, target_key, "restore", str(bad))
        assert refused.exit_code == 2, refused.output
        assert "nothing restored" in refused.output
    assert run(other_store_url, target_key, "countries", "--json").output.strip() == "[]"
    into_itself = run(store_url, key, "restore", str(file))
    assert into_itself.exit_code == 2
    assert "nothing restored" in into_itself.output


def _edited(file: Path, old: bytes, new: bytes) -> bytes:
    """The backup with one string of its events changed (the archive itself stays valid)."""
    out = io.BytesIO()
    with tarfile.open(file, "r:gz") as source, tarfile.open(fileobj=out, mode="w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "events.jsonl":
                assert old in data
                data = data.replace(old, new, 1)
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    return out.getvalue()
