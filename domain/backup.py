"""Backups: an export (JSON Lines and a signed manifest) packed into one file, and restored
into an empty store only when the restored log verifies to the manifest's digest.

Built on `domain.exchange`, so a backup is checked whole before anything is stored, and the
standalone verifier can check its unpacked contents.
"""

from __future__ import annotations

import os
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

from domain.application import PolicyLedger
from domain.exchange import EVENTS, MANIFEST, Exported, ExportError, Imported, export_ledger
from domain.exchange import import_ledger as import_export
from domain.integrity import ChainVerifier, IntegrityReport
from domain.signing import Signer

MEMBERS = (MANIFEST, EVENTS)


def backup(
    app: PolicyLedger, signer: Signer | None, file: Path, verifier: ChainVerifier | None = None
) -> Exported:
    """Writes the verified ledger to `file` (a gzipped tar of an export, its digest signed
    by `signer` when there is one), atomically; checked by `verifier` with its witnesses,
    nothing written at a broken link."""
    if file.exists():
        raise ExportError(f"{file} exists: a backup never overwrites a file")
    file.parent.mkdir(parents=True, exist_ok=True)
    partial = file.with_name(f".{file.name}.partial")
    with tempfile.TemporaryDirectory(prefix="policy-ledger-backup-") as tmp:
        exported = export_ledger(app, signer, Path(tmp), verifier, "not backed up")
        try:
            with tarfile.open(partial, "w:gz") as archive:
                for name in MEMBERS:
                    archive.add(Path(tmp) / name, arcname=name)
            os.replace(partial, file)
        finally:
            partial.unlink(missing_ok=True)
    return exported


def restore(app: PolicyLedger, file: Path, verify: Callable[[], IntegrityReport]) -> Imported:
    """Checks the backup in `file` whole, stores it into the application's (empty) store,
    and verifies that the stored log has the backup's digest: `verify` reports on the
    stored log (the CLI's catches the read model up first and uses its chain heads as
    witnesses)."""
    with tempfile.TemporaryDirectory(prefix="policy-ledger-restore-") as tmp:
        _unpack(file, Path(tmp))
        imported = import_export(app, Path(tmp))
    stored = verify()
    if stored.digest != imported.digest:
        raise ExportError(f"restored log has digest {stored.digest}, the backup {imported.digest}")
    return imported


def _unpack(file: Path, directory: Path) -> None:
    # Only the two regular files an export holds are read: no links, paths or devices.
    try:
        with tarfile.open(file, "r:gz") as archive:
            for name in MEMBERS:
                member = archive.getmember(name)
                if not member.isfile():
                    raise ExportError(f"{file}: {name} is not a regular file")
                source = archive.extractfile(member)
                assert source is not None
                (directory / name).write_bytes(source.read())
    except FileNotFoundError:
        raise ExportError(f"{file} does not exist") from None
    except KeyError as error:
        raise ExportError(f"{file} is not a Policy Ledger backup: {error}") from None
    except (tarfile.TarError, EOFError, OSError) as error:
        raise ExportError(f"{file} is not a readable backup: {error}") from None
