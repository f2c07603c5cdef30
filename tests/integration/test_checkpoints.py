"""The checkpoint trail on each store: appended, signed, with each projection commit beyond
its end (only the heads that moved, once it holds them all); never added to by a rebuild;
checked against its own digests and signature; copied to a file outside the store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from api.bootstrap import Services, build_services
from api.settings import Settings
from domain import chain
from domain.signing import load_signer, signature_holds
from integration.test_cli import Shell
from integration.test_ledger_digest import designate
from integration.test_trust_cli import key_file, raw_store


@contextmanager
def services(shell: Shell) -> Iterator[Services]:
    """The shell's store opened in process, with its signing key."""
    settings = Settings(
        database_url=shell.env["POLICY_LEDGER_DATABASE_URL"], signing_key_file=key_file(shell)
    )
    ledger = build_services(settings)
    try:
        yield ledger
    finally:
        ledger.close()


def test_the_projection_appends_a_signed_checkpoint_of_the_heads(loaded: Shell) -> None:
    doc = loaded.json("verify")
    [(_, position, heads, digest, signature)] = raw_store(loaded).checkpoint_rows()

    assert heads == {"PK": [4, doc["countries"][0]["head"]]}
    assert digest == doc["digest"] == doc["checkpoint"]["digest"]
    assert position == doc["checkpoint"]["position"]
    signer = load_signer(key_file(loaded))
    assert signer is not None
    assert signature is not None
    assert signature_holds(signer.public_key_b64, digest, signature)


def test_a_rebuild_adds_nothing_and_a_write_adds_the_heads_that_moved(loaded: Shell) -> None:
    before = raw_store(loaded).checkpoint_rows()
    loaded.ok("rebuild")
    assert raw_store(loaded).checkpoint_rows() == before

    with services(loaded) as ledger:
        for group in ("hazaras", "sikhs"):
            version = ledger.app.version_of("AF") if group == "sikhs" else None
            draft = designate(group)
            ledger.app.record_amendment("AF", draft, author="t", expected_version=version)
            ledger.catch_up.run()
        digest = ledger.reads.as_projected.ledger_digest()
    trail = raw_store(loaded).checkpoint_rows()

    assert trail[: len(before)] == before
    first, second = trail[len(before) :]
    # A process's first checkpoint holds every head (it cannot vouch for the one before);
    # its next only what moved.
    assert (sorted(first[2]), sorted(second[2])) == (["AF", "PK"], ["AF"])
    assert second[3] == digest
    assert loaded.ok("verify")


def test_a_checkpoint_edited_in_the_store_is_reported(loaded: Shell) -> None:
    raw = raw_store(loaded)
    raw.execute("UPDATE {checkpoints} SET digest = ?", ("0" * 64,))

    doc = json.loads(loaded.run("verify", "--json").stdout)

    first = doc["first_broken"]
    assert (first["country"], first["reason"]) == ("*", "checkpoint")
    assert "the checkpoints were changed" in first["detail"]


def test_a_trail_rewritten_without_the_key_fails_its_signature(loaded: Shell) -> None:
    """A forger rewrites the chain to its end and the checkpoint to match (its heads and
    digest); without the key, the signature no longer holds over the new digest."""
    raw = raw_store(loaded)
    raw.rehash_from("PK", 2, lambda doc: doc["payload"].update(title="forged"))
    head = json.loads(raw.state("PK", 4))["hash"]
    forged = json.dumps({"PK": [4, head]}, separators=(",", ":"))
    raw.execute("UPDATE {checkpoints} SET heads = ?, digest = ?", (forged, _digest(head)))
    loaded.ok("rebuild", "--accept-broken-chain")  # read model's heads: the forged ones too

    result = loaded.run("verify", "--json")

    assert result.exit_code == 1
    first = json.loads(result.stdout)["first_broken"]
    assert (first["country"], first["reason"]) == ("*", "checkpoint")
    assert "signature" in first["detail"]


def test_the_file_outside_the_store_witnesses_when_the_trail_is_deleted(
    shell: Shell, tmp_path: Path
) -> None:
    from integration.test_cli import DEMO

    copy = tmp_path / "outside" / "checkpoints.jsonl"
    shell.env["POLICY_LEDGER_CHECKPOINT_FILE"] = str(copy)
    shell.ok("init")
    shell.ok("load", str(DEMO), "--author", "tester")
    [line] = copy.read_text().splitlines()
    assert json.loads(line)["heads"]["PK"]["position"] == 4

    raw = raw_store(shell)
    raw.rehash_from("PK", 2, lambda doc: doc["payload"].update(title="forged"))
    raw.execute("DELETE FROM {checkpoints}")
    shell.ok("rebuild", "--accept-broken-chain")

    doc = json.loads(shell.run("verify", "--json").stdout)
    assert (doc["first_broken"]["position"], doc["first_broken"]["reason"]) == (4, "checkpoint")


def _digest(head: str) -> str:
    return chain.ledger_digest({"PK": head})
