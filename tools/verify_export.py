#!/usr/bin/env python3
"""Check a Policy Ledger export with nothing but the Python standard library.

Written for Python 3.8 and later (tested on 3.11); copy this one file anywhere.

    python3 verify_export.py EXPORT_DIR [--key-id HEX] [--require-signature]
                             [--checkpoint FILE]

EXPORT_DIR holds `events.jsonl` and `manifest.json`, written by `policy-ledger export`.
This script recomputes, from the file alone:
- each event's hash: SHA-256 (hex) of the RFC 8785 canonical JSON of the object with the
  line's keys author, country, event, payload, position, previous_hash, recorded_at;
- each country's chain: positions 1, 2, 3, ... in file order, the first citing 64 zeros as
  its previous hash, every other citing the hash of the event before it;
- the manifest's counts and head hash per country, and the ledger digest: SHA-256 of the
  RFC 8785 JSON of {country: head hash};
- the consistency of the other fields: the stream id (a UUID 5 of the country), the topic.
Ed25519 is not in the standard library: the signature over the digest is checked only when
the `cryptography` package can be imported, and the output says whether it was. The key id
(the first 16 hex digits of SHA-256 of the raw public key) is checked either way; pass the
key id the service publishes (GET /integrity, `policy-ledger verify`) as --key-id to know
the export was signed by that service and not by whoever wrote the manifest.

A chain rewritten to its end holds together, and so does an export of it, signed by a
service that was deceived: what shows it is a head recorded earlier. With --checkpoint FILE
(a checkpoint the service published: the `checkpoint` member of `policy-ledger verify
--json` or GET /integrity, that whole document, or the JSON lines of
POLICY_LEDGER_CHECKPOINT_FILE, each checked) every head the checkpoint names must be the
hash of that event in the export, and the digest of the export's heads at the checkpoint's
log position (notification id) must be the checkpoint's; its signature is checked with the
manifest's key when it names the same key id.

Exit status: 0 all checks held; 1 a check failed (the first failure is named, with the
country and position of a broken event); 2 the export could not be read.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import sys
import uuid
from pathlib import Path

GENESIS = "0" * 64
SIGNATURE_CONTEXT = b"policy-ledger/ledger-digest/v1\n"
STREAMS = uuid.uuid5(uuid.NAMESPACE_URL, "https://policy-ledger.example/country-policy")
TOPIC_PREFIX = "domain.domainmodel:CountryPolicy."
LINK_KEYS = ("author", "country", "event", "payload", "position", "previous_hash", "recorded_at")
LINE_KEYS = frozenset((*LINK_KEYS, "hash", "legacy", "notification_id", "originator_id", "topic"))
MAX_SAFE_INTEGER = 2**53 - 1
ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


class UnreadableError(Exception):
    """The export cannot be read at all (exit 2)."""


class CheckFailedError(Exception):
    """A check did not hold (exit 1)."""


# RFC 8785 for the JSON a ledger holds: no floats ------------------------------------------


def canonical(value: object) -> bytes:
    """RFC 8785 canonical JSON of strings, integers, booleans, null, arrays and objects."""
    return _canonical(value).encode("utf-8")


def _canonical(value: object) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise ValueError(f"integer {value} is outside the range JSON numbers hold exactly")
        return str(value)
    if isinstance(value, float):
        raise ValueError(f"a float ({value!r}): the ledger never stores one")
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ",".join(_canonical(v) for v in value) + "]"
    if isinstance(value, dict):
        # RFC 8785 orders members by the UTF-16 code units of their names.
        members = sorted(value.items(), key=lambda item: item[0].encode("utf-16-be"))
        return "{" + ",".join(_string(k) + ":" + _canonical(v) for k, v in members) + "}"
    raise ValueError(f"not a JSON value: {type(value).__name__}")


def _string(text: str) -> str:
    out = ['"']
    for char in text:
        if char in ESCAPES:
            out.append(ESCAPES[char])
        elif char < " ":
            out.append(f"\\u{ord(char):04x}")
        elif "\ud800" <= char <= "\udfff":
            raise ValueError("a lone surrogate in a string")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# Reading -------------------------------------------------------------------------------------


def strict_json(text: str) -> object:
    """JSON with no floats, NaN, infinities or repeated keys."""

    def refuse_number(number: str) -> object:
        raise ValueError(f"a number that is not an integer: {number}")

    def unique(pairs: list) -> dict:
        found = dict(pairs)
        if len(found) != len(pairs):
            raise ValueError("a repeated key")
        return found

    return json.loads(
        text, parse_float=refuse_number, parse_constant=refuse_number, object_pairs_hook=unique
    )


def read_manifest(directory: Path) -> dict:
    try:
        manifest = strict_json((directory / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UnreadableError(f"manifest.json: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != "policy-ledger-export/1":
        raise UnreadableError("manifest.json is not a policy-ledger-export/1 manifest")
    return manifest


def read_lines(directory: Path) -> list:
    try:
        text = (directory / "events.jsonl").read_text(encoding="utf-8")
    except (OSError, ValueError) as error:
        raise UnreadableError(f"events.jsonl: {error}") from None
    lines = []
    # Lines end at "\n" only: RFC 8785 leaves U+2028, U+0085 and the like unescaped.
    for number, line in enumerate(text.split("\n")[:-1] if text else [], start=1):
        try:
            event = strict_json(line)
        except ValueError as error:
            raise CheckFailedError(f"events.jsonl line {number}: {error}") from None
        if not well_formed(event):
            raise CheckFailedError(f"events.jsonl line {number}: not an exported event")
        lines.append(event)
    if text and not text.endswith("\n"):
        raise CheckFailedError("events.jsonl: the last line is cut short (no line feed)")
    return lines


def well_formed(event: object) -> bool:
    return (
        isinstance(event, dict)
        and set(event) == LINE_KEYS
        and isinstance(event["country"], str)
        and type(event["position"]) is int
        and isinstance(event["hash"], str)
        and isinstance(event["previous_hash"], str)
    )


# Checking --------------------------------------------------------------------------------------


def check_chains(lines: list) -> dict:
    """Every chain holds; returns {country: (events, head hash)}."""
    chains: dict = {}
    for number, event in enumerate(lines, start=1):
        country, position = event["country"], event["position"]
        where = f"{country} position {position} (events.jsonl line {number})"
        events, head = chains.get(country, (0, GENESIS))
        if position != events + 1:
            raise CheckFailedError(
                f"{where}: position {events + 1} is due: an event is missing or moved"
            )
        if event["previous_hash"] != head:
            raise CheckFailedError(
                f"{where}: broken link: expected previous hash {head}, "
                f"found {event['previous_hash']}"
            )
        try:
            found = sha256_hex(canonical({key: event[key] for key in LINK_KEYS}))
        except ValueError as error:
            raise CheckFailedError(f"{where}: {error}") from None
        if found != event["hash"]:
            raise CheckFailedError(
                f"{where}: content changed: expected hash {event['hash']}, found {found}"
            )
        check_other_fields(event, where)
        chains[country] = (position, found)
    return chains


def check_other_fields(event: dict, where: str) -> None:
    if event["originator_id"] != str(uuid.uuid5(STREAMS, str(event["country"]))):
        raise CheckFailedError(f"{where}: originator_id is not the stream of {event['country']}")
    if event["topic"] != TOPIC_PREFIX + str(event["event"]):
        raise CheckFailedError(f"{where}: topic {event['topic']} is not that of {event['event']}")


def check_manifest(manifest: dict, lines: list, chains: dict) -> str:
    """The manifest's counts, heads and digest are those of the lines; returns the digest."""
    found = {c: {"events": n, "head": head} for c, (n, head) in chains.items()}
    if manifest.get("countries") != found:
        raise CheckFailedError("manifest: its counts or head hashes are not those of events.jsonl")
    if manifest.get("events") != len(lines):
        raise CheckFailedError(
            f"manifest: {manifest.get('events')} events, events.jsonl holds {len(lines)}"
        )
    digest = sha256_hex(canonical({c: head for c, (_, head) in chains.items()}))
    if manifest.get("digest") != digest:
        raise CheckFailedError(
            f"manifest: digest {manifest.get('digest')}, events.jsonl gives {digest}"
        )
    return digest


def check_key_id(manifest: dict, expected: str | None) -> bytes | None:
    """The manifest's key id is that of its public key (and the one expected, if given)."""
    if manifest.get("signature") is None:
        if expected is not None:
            raise CheckFailedError("the export is not signed, but --key-id was given")
        return None
    try:
        public_key = base64.b64decode(manifest.get("public_key") or "", validate=True)
    except (binascii.Error, TypeError):
        raise CheckFailedError("manifest: public_key is not base64") from None
    if len(public_key) != 32 or sha256_hex(public_key)[:16] != manifest.get("key_id"):
        raise CheckFailedError("manifest: key_id is not that of public_key")
    if expected is not None and manifest.get("key_id") != expected:
        raise CheckFailedError(
            f"signed by key id {manifest.get('key_id')}, not the expected {expected}"
        )
    return public_key


def check_signature(public_key: bytes, digest: str, signature: str) -> bool | None:
    """True if the signature holds; None when `cryptography` is not there to check it."""
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        return None
    try:
        key = Ed25519PublicKey.from_public_bytes(public_key)
        key.verify(base64.b64decode(signature, validate=True), SIGNATURE_CONTEXT + digest.encode())
    except (InvalidSignature, ValueError, binascii.Error):
        raise CheckFailedError("the signature does not hold for the digest") from None
    return True


def read_checkpoints(path: Path) -> list:
    """The checkpoints of a file: one JSON document (a checkpoint, or a verify document
    holding one) or JSON lines of them."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise UnreadableError(f"{path}: {error}") from None
    try:
        documents = [strict_json(text)]  # one document, however it is laid out
    except ValueError:
        try:
            documents = [strict_json(line) for line in text.splitlines() if line.strip()]
        except ValueError as error:
            raise UnreadableError(f"{path}: {error}") from None
    found = []
    for document in documents:
        if isinstance(document, dict) and isinstance(document.get("checkpoint"), dict):
            document = document["checkpoint"]
        if not (
            isinstance(document, dict)
            and type(document.get("position")) is int
            and isinstance(document.get("heads"), dict)
            and isinstance(document.get("digest"), str)
        ):
            raise UnreadableError(f"{path}: not a Policy Ledger checkpoint")
        found.append(document)
    return found


def check_checkpoint(point: dict, lines: list, public_key: bytes | None, key_id: str) -> str:
    """The export agrees with a checkpoint recorded earlier: its heads, and its digest at
    the checkpoint's log position. Returns the report line."""
    number = f" {point['id']}" if point.get("id") is not None else ""
    name = f"checkpoint{number} (log position {point['position']})"
    last = lines[-1]["notification_id"] if lines else 0
    if point["position"] > last:
        raise CheckFailedError(
            f"{name}: the export ends at log position {last}, before it: events are missing "
            "(or the checkpoint is newer than the export)"
        )
    hashes = {(e["country"], e["position"]): e["hash"] for e in lines}
    for country, head in sorted(point["heads"].items()):
        found = hashes.get((country, head.get("position")))
        if found != head.get("head"):
            what = "missing" if found is None else f"hash {found}"
            raise CheckFailedError(
                f"{country} position {head.get('position')}: {name} recorded hash "
                f"{head.get('head')}; the export has {what}: the chain was rewritten"
            )
    heads = {e["country"]: e["hash"] for e in lines if e["notification_id"] <= point["position"]}
    digest = sha256_hex(canonical(heads))
    if digest != point["digest"]:
        raise CheckFailedError(
            f"{name}: digest {point['digest']}, the export's heads there give {digest}"
        )
    signed = point.get("signature")
    if signed and public_key is not None and point.get("key_id") == key_id:
        check_signature(public_key, point["digest"], str(signed))
    return f"checkpoint: ok {name}, digest {digest}"


def verify(
    directory: Path, key_id: str | None, require_signature: bool, checkpoints: list = ()
) -> list:
    """Every check, in order: the report lines, or CheckFailedError / UnreadableError."""
    manifest = read_manifest(directory)
    lines = read_lines(directory)
    chains = check_chains(lines)
    countries = "country" if len(chains) == 1 else "countries"
    report = [f"chains: ok ({len(lines)} events, {len(chains)} {countries})"]
    digest = check_manifest(manifest, lines, chains)
    report.append(f"digest: ok {digest}")
    public_key = check_key_id(manifest, key_id)
    for point in checkpoints:
        report.append(check_checkpoint(point, lines, public_key, manifest.get("key_id")))
    if public_key is None:
        if require_signature:
            raise CheckFailedError("the export is not signed")
        report.append("signature: none (the export is not signed)")
        return report
    held = check_signature(public_key, digest, str(manifest.get("signature")))
    if held is None:
        if require_signature:
            raise CheckFailedError(
                "cannot check the signature: the cryptography package is not installed"
            )
        report.append(
            f"signature: NOT checked (Ed25519 needs the cryptography package, which is not "
            f"installed); chains and digest were checked with the standard library only; "
            f"key id {manifest['key_id']}"
        )
    else:
        report.append(f"signature: ok, Ed25519 by key id {manifest['key_id']}")
    return report


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path, help="the export directory")
    parser.add_argument("--key-id", help="the key id the service publishes; checked if given")
    parser.add_argument(
        "--require-signature",
        action="store_true",
        help="fail unless the signature is present and checked",
    )
    parser.add_argument(
        "--checkpoint",
        type=Path,
        help="a checkpoint the service published (JSON, or JSON lines): the export must agree",
    )
    args = parser.parse_args(argv)
    try:
        points = read_checkpoints(args.checkpoint) if args.checkpoint else []
        report = verify(args.directory, args.key_id, args.require_signature, points)
    except UnreadableError as error:
        print(f"UNREADABLE: {error}")
        return 2
    except CheckFailedError as error:
        print(f"FAILED: {error}")
        return 1
    print("\n".join(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
