"""Signing keys on real files: created readable by their owner only, never overwritten,
and signatures that hold for their digest and no other."""

from __future__ import annotations

import base64
import hashlib
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key

from domain.chain import ledger_digest
from domain.signing import SigningKeyError, create_key, load_signer, signature_holds

DIGEST = ledger_digest({"PK": "a" * 64})
OTHER = ledger_digest({"PK": "b" * 64})


def test_a_new_key_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    signer = create_key(tmp_path / "keys" / "signing-key.pem")

    mode = stat.S_IMODE(signer.path.stat().st_mode)
    assert mode == 0o600
    assert signer.path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")


def test_an_existing_key_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "signing-key.pem"
    first = create_key(path)

    with pytest.raises(FileExistsError):
        create_key(path)
    loaded = load_signer(path)
    assert loaded is not None
    assert loaded.key_id == first.key_id


def test_the_key_id_is_the_start_of_sha256_of_the_raw_public_key(tmp_path: Path) -> None:
    signer = create_key(tmp_path / "k.pem")

    assert len(signer.public_key) == 32
    assert signer.key_id == hashlib.sha256(signer.public_key).hexdigest()[:16]
    assert base64.b64decode(signer.public_key_b64) == signer.public_key


def test_a_signature_holds_for_its_digest_only(tmp_path: Path) -> None:
    signer = create_key(tmp_path / "k.pem")
    other_key = create_key(tmp_path / "other.pem")
    signature = signer.sign(DIGEST)

    assert signature_holds(signer.public_key_b64, DIGEST, signature)
    assert not signature_holds(signer.public_key_b64, OTHER, signature)
    assert not signature_holds(other_key.public_key_b64, DIGEST, signature)
    assert not signature_holds(signer.public_key_b64, DIGEST, "not base64!")


def test_no_file_means_no_signer(tmp_path: Path) -> None:
    assert load_signer(tmp_path / "missing.pem") is None


def test_a_key_of_another_kind_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ec.pem"
    path.write_bytes(
        generate_private_key(SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )

    with pytest.raises(SigningKeyError, match="not an Ed25519 key"):
        load_signer(path)


def test_a_file_that_is_no_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "junk.pem"
    path.write_text("not a key")

    with pytest.raises(SigningKeyError, match="not an unencrypted PEM private key"):
        load_signer(path)
