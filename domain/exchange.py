"""Verifiable exports: the whole ledger as JSON Lines plus a signed manifest, and imports.

An export directory holds two files:
- `events.jsonl`: one stored event a line, in commit order, each line RFC 8785 JSON:
  `notification_id`, `originator_id`, `topic`, `legacy` (true: stored before the chain, its
  hashes computed), and the link its hash covers (domain.chain): `event`, `country`,
  `position`, `recorded_at`, `author`, `payload`, `previous_hash`, with its `hash`;
- `manifest.json`: the format, counts and head hash per country, the ledger digest, and
  the service's Ed25519 signature over it with the key id and public key.

Exports are taken only from a ledger whose chains all hold. An import checks the export
whole (every line, every chain, the manifest, the signature) before it writes anything,
then stores the events as they were recorded (streams, positions, record times, authors,
payloads, hashes) into an empty store: the same digest, the same answers. The standalone
`tools/verify_export.py` checks an export with the Python standard library alone.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

import rfc8785
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from domain import chain
from domain.application import PolicyLedger
from domain.domainmodel import CountryPolicy
from domain.integrity import (
    TOPICS,
    BrokenLink,
    ChainVerifier,
    IntegrityReport,
    LogEntry,
    read_log,
    restore_log,
)
from domain.signing import Signer, key_id, seal, signature_holds
from events import payloads

FORMAT = "policy-ledger-export/1"
EVENTS = "events.jsonl"
MANIFEST = "manifest.json"
HASH = r"^[0-9a-f]{64}$"
SIGNATURE_SCHEME = (
    "Ed25519 over the ASCII bytes 'policy-ledger/ledger-digest/v1', a line feed, and the "
    "digest in hex; signature and public key (raw 32 bytes) in base64; key id: the first 16 "
    "hex digits of SHA-256 of the raw public key"
)
PAYLOADS: dict[str, type[BaseModel]] = {
    "AmendmentRecorded": payloads.AmendmentRecorded,
    "InForceDateRecorded": payloads.InForceDateRecorded,
    "AmendmentRetracted": payloads.AmendmentRetracted,
}


class ExportError(ValueError):
    """An export cannot be written, or a directory does not hold a valid export."""


class BrokenLedgerError(ExportError):
    """The ledger's chains do not hold: it is not exported (`refused` says how)."""

    def __init__(self, broken: BrokenLink, refused: str = "not exported") -> None:
        super().__init__(f"{refused}: {broken.describe()}; run policy-ledger verify")
        self.broken = broken


@dataclass(frozen=True)
class Exported:
    events: int
    digest: str
    manifest: dict[str, Any]


# Export -----------------------------------------------------------------------------------


def export_ledger(
    app: PolicyLedger,
    signer: Signer | None,
    directory: Path,
    verifier: ChainVerifier | None = None,
    refused: str = "not exported",
) -> Exported:
    """Writes the application's ledger to `directory` (created if missing, refused if it
    holds an export), its digest signed by `signer` (unsigned when None). Every chain is
    checked by `verifier` (with its witnesses: the heads recorded earlier) as it is
    written; at a broken link nothing is kept and BrokenLedgerError says `refused`."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in (EVENTS, MANIFEST):
        if (directory / name).exists():
            raise ExportError(f"{directory / name} exists: export into an empty directory")
    partial = directory / f".{EVENTS}.partial"
    try:
        with partial.open("wb") as out:
            report = _write_events(app, out, verifier or ChainVerifier(), refused)
        manifest = _manifest(signer, report)
        os.replace(partial, directory / EVENTS)
    finally:
        partial.unlink(missing_ok=True)
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return Exported(report.events, manifest["digest"], manifest)


def _write_events(
    app: PolicyLedger, out: IO[bytes], verifier: ChainVerifier, refused: str
) -> IntegrityReport:
    for entry in read_log(app):
        verified = verifier.add(entry)
        if verified is None:
            break
        out.write(rfc8785.dumps(export_line(entry, verified.link, verified.hash)) + b"\n")
    report = verifier.report()
    if report.first_broken is not None:
        raise BrokenLedgerError(report.first_broken, refused)
    return report


def export_line(entry: LogEntry, link: chain.Link, hash_: str) -> dict[str, Any]:
    return {
        "notification_id": entry.notification_id,
        "originator_id": str(CountryPolicy.create_id(entry.country)),
        "topic": entry.topic,
        "legacy": entry.legacy,
        **link.document(),
        "hash": hash_,
    }


def _manifest(signer: Signer | None, report: IntegrityReport) -> dict[str, Any]:
    assert report.digest is not None
    sealed = seal(signer, report.digest)
    return {
        "format": FORMAT,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(),
        "events_file": EVENTS,
        "events": report.events,
        "legacy_events": report.legacy_events,
        "countries": {c.country: {"events": c.events, "head": c.head} for c in report.chains},
        "digest": report.digest,
        "signature": sealed.signature,
        "key_id": sealed.key_id,
        "public_key": sealed.public_key,
        "signature_scheme": SIGNATURE_SCHEME,
    }


# Import -----------------------------------------------------------------------------------


class ExportLine(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    notification_id: int = Field(ge=1)
    originator_id: str
    topic: str
    legacy: bool
    event: Literal["Opened", "AmendmentRecorded", "InForceDateRecorded", "AmendmentRetracted"]
    country: str
    position: int = Field(ge=1, le=2**53 - 1)
    recorded_at: str
    author: str | None
    payload: dict[str, Any]
    previous_hash: str = Field(pattern=HASH)
    hash: str = Field(pattern=HASH)


class CountryHead(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    events: int
    head: str


class Manifest(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    format: Literal["policy-ledger-export/1"]
    events_file: Literal["events.jsonl"]
    events: int
    countries: dict[str, CountryHead]
    digest: str = Field(pattern=HASH)
    signature: str | None
    key_id: str | None
    public_key: str | None


@dataclass(frozen=True)
class Imported:
    events: int
    digest: str
    signed_by: str | None  # the key id whose signature held; None: the export was unsigned


def import_ledger(app: PolicyLedger, directory: Path) -> Imported:
    """Checks the export in `directory` whole, then stores it into the application's (empty)
    store. Its read model is the caller's to bring up to date (a projection's catch-up)."""
    manifest = read_manifest(directory)
    entries = list(read_entries(directory / EVENTS))
    report = check_export(entries, manifest)
    restore_log(app, entries)
    assert report.digest is not None
    return Imported(report.events, report.digest, manifest.key_id if manifest.signature else None)


def read_manifest(directory: Path) -> Manifest:
    path = directory / MANIFEST
    try:
        return Manifest.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        raise ExportError(f"{directory} holds no {MANIFEST}: not an export") from None
    except ValidationError as error:
        raise ExportError(f"{path}: {_first_error(error)}") from None


def read_entries(path: Path) -> Iterator[LogEntry]:
    try:
        lines = path.open("rb")
    except FileNotFoundError:
        raise ExportError(f"{path} is missing") from None
    with lines:
        for number, text in enumerate(lines, start=1):
            yield entry_of(path, number, text)


def entry_of(path: Path, number: int, text: bytes) -> LogEntry:
    try:
        line = ExportLine.model_validate(_strict_json(text))
        _check_consistent(line)
    except (ValueError, ValidationError) as error:
        message = _first_error(error) if isinstance(error, ValidationError) else str(error)
        raise ExportError(f"{path}:{number}: {message}") from None
    link = chain.Link(
        line.event,
        line.country,
        line.position,
        line.recorded_at,
        line.author,
        line.payload,
        line.previous_hash,
    )
    return LogEntry(line.notification_id, line.country, line.position, line.topic, link, line.hash)


def _strict_json(text: bytes) -> Any:
    """JSON without floats, NaN or infinities (the ledger stores none)."""

    def refuse(value: str) -> Any:
        raise ValueError(f"a number that is not an integer: {value}")

    return json.loads(text, parse_float=refuse, parse_constant=refuse)


def _check_consistent(line: ExportLine) -> None:
    """The fields outside the hash agree with those inside it, and the payload is valid."""
    if line.originator_id != str(CountryPolicy.create_id(line.country)):
        raise ValueError(f"originator_id is not the stream of {line.country}")
    if line.topic != TOPICS[line.event]:
        raise ValueError(f"topic {line.topic} is not that of {line.event}")
    moment = dt.datetime.fromisoformat(line.recorded_at)
    if chain.moment_text(moment) != line.recorded_at:
        raise ValueError("recorded_at is not a UTC time with microseconds")
    if line.event == "Opened":
        if line.payload != chain.opened_payload(line.country) or line.author is not None:
            raise ValueError("an Opened event holds only its country")
        return
    payload = PAYLOADS[line.event].model_validate(line.payload)
    if getattr(payload, "author", None) != line.author:
        raise ValueError("author is not the payload's author")
    if getattr(payload, "country", None) != line.country:
        raise ValueError("the payload's country is not the line's")


def check_export(entries: list[LogEntry], manifest: Manifest) -> IntegrityReport:
    """Every chain of the export holds, and the manifest and its signature agree with them."""
    verifier = ChainVerifier()
    for entry in entries:
        verifier.add(entry)
    report = verifier.report()
    first = report.first_broken
    if first is not None:
        raise ExportError(
            f"{first.country} position {first.position} ({first.reason}): {first.detail}"
        )
    found = {c.country: CountryHead(events=c.events, head=c.head or "") for c in report.chains}
    if report.events != manifest.events or found != manifest.countries:
        raise ExportError("the manifest's counts or heads are not those of events.jsonl")
    if report.digest != manifest.digest:
        raise ExportError("the manifest's digest is not that of events.jsonl")
    _check_signature(manifest)
    return report


def _check_signature(manifest: Manifest) -> None:
    """A signature, when given, must hold (an unsigned export is imported as unsigned)."""
    if manifest.signature is None:
        return
    public_key = manifest.public_key or ""
    if not signature_holds(public_key, manifest.digest, manifest.signature):
        raise ExportError("the manifest's signature does not hold for its digest")
    try:
        raw = base64.b64decode(public_key, validate=True)
    except binascii.Error:
        raw = b""
    if key_id(raw) != manifest.key_id:
        raise ExportError("the manifest's key id is not that of its public key")


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return f"{where}: {first['msg']}" if where else str(first["msg"])
