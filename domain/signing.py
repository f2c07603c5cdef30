"""Ed25519 signatures over ledger digests, so a digest can be shown to come from this service.

The key is an unencrypted PKCS#8 PEM file, readable by its owner only (`policy-ledger init`
creates one with mode 0600 where none exists). What is signed is
`domain.chain.signed_message(digest)`: a fixed context line, then the digest's hex. A
signature is the 64 raw bytes in base64; a public key is its 32 raw bytes in base64; the key
id is the first 16 hex digits of the SHA-256 of those 32 bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from domain.chain import signed_message


class SigningKeyError(ValueError):
    """A signing key file that cannot be used."""


def key_id(public_key: bytes) -> str:
    return hashlib.sha256(public_key).hexdigest()[:16]


@dataclass(frozen=True)
class Signer:
    key: Ed25519PrivateKey
    path: Path

    @property
    def public_key(self) -> bytes:
        return self.key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def public_key_b64(self) -> str:
        return base64.b64encode(self.public_key).decode()

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def sign(self, digest: str) -> str:
        return base64.b64encode(self.key.sign(signed_message(digest))).decode()


@dataclass(frozen=True)
class Seal:
    """A digest with the service's signature over it (None fields: no key configured)."""

    digest: str
    signature: str | None
    key_id: str | None
    public_key: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "digest": self.digest,
            "signature": self.signature,
            "key_id": self.key_id,
            "public_key": self.public_key,
        }


def seal(signer: Signer | None, digest: str) -> Seal:
    if signer is None:
        return Seal(digest, None, None, None)
    return Seal(digest, signer.sign(digest), signer.key_id, signer.public_key_b64)


def load_signer(path: Path) -> Signer | None:
    """The signer whose key is at `path`; None when there is no file there."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise SigningKeyError(f"cannot read the signing key {path}: {error}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as error:
        raise SigningKeyError(f"{path} is not an unencrypted PEM private key: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return Signer(key, path)


def create_key(path: Path) -> Signer:
    """Writes a new Ed25519 key to `path`, readable by its owner only; never overwrites."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: a key that appeared meanwhile is not replaced; 0600 from the start, not after.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    path.chmod(0o600)  # the umask may have cleared bits, never added them; be explicit
    return Signer(key, path)


def signature_holds(public_key_b64: str, digest: str, signature_b64: str) -> bool:
    """Whether the signature is the key's over the digest."""
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64, validate=True))
        public.verify(base64.b64decode(signature_b64, validate=True), signed_message(digest))
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True
