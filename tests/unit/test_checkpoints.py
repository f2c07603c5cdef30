"""The checkpoint trail checked on its own (domain.checkpoints.witnessed): heads folded in
order, every head a witness, the latest digest and the latest signature of this key."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from domain import chain
from domain.checkpoints import TRAIL, Checkpoint, checkpoint, witnessed
from domain.signing import Signer, create_key

A, B, C = "a" * 64, "b" * 64, "c" * 64


def trail(signer: Signer | None) -> list[Checkpoint]:
    """PK then AF recorded: the second checkpoint holds only the head that moved."""
    first = checkpoint(signer, 4, {"PK": (4, A)}, chain.ledger_digest({"PK": A}))
    second = checkpoint(signer, 6, {"AF": (2, B)}, chain.ledger_digest({"PK": A, "AF": B}))
    return [replace(first, id=1), replace(second, id=2)]


def test_every_head_is_a_witness_and_the_fold_makes_the_latest_digest(tmp_path: Path) -> None:
    signer = create_key(tmp_path / "key.pem")

    found = witnessed(trail(signer), signer)

    assert found.broken == []
    assert {
        c: [(w.position, w.head, w.reason) for w in ws] for c, ws in found.witnesses.items()
    } == {
        "PK": [(4, A, "checkpoint")],
        "AF": [(2, B, "checkpoint")],
    }
    whole = found.latest_whole()
    assert whole is not None
    assert (whole.position, dict(whole.heads)) == (6, {"AF": (2, B), "PK": (4, A)})


def test_a_later_checkpoint_never_hides_an_earlier_head() -> None:
    points = trail(None)
    later = checkpoint(None, 9, {"PK": (5, C)}, chain.ledger_digest({"PK": C, "AF": B}))

    found = witnessed([*points, replace(later, id=3)], None)

    assert [(w.position, w.head) for w in found.witnesses["PK"]] == [(4, A), (5, C)]
    assert found.broken == []


def test_a_changed_digest_or_head_is_a_problem_of_the_trail() -> None:
    first, second = trail(None)

    edited = witnessed([first, replace(second, heads={"AF": (2, C)})], None)

    [problem] = edited.broken
    assert (problem.country, problem.position, problem.reason) == (TRAIL, 6, "checkpoint")
    assert "the checkpoints were changed" in problem.detail


def test_a_resigned_trail_fails_this_keys_signature(tmp_path: Path) -> None:
    signer = create_key(tmp_path / "key.pem")
    forger = create_key(tmp_path / "forger.pem")
    first, second = trail(signer)
    digest = chain.ledger_digest({"PK": A, "AF": C})
    forged = replace(second, heads={"AF": (2, C)}, digest=digest, signature=forger.sign(digest))

    [problem] = witnessed([first, forged], signer).broken

    assert "signature of checkpoint 2 (log position 6) does not hold" in problem.detail


def test_checkpoints_of_another_key_or_none_are_witnesses_left_unchecked(tmp_path: Path) -> None:
    other = create_key(tmp_path / "other.pem")
    signer = create_key(tmp_path / "key.pem")

    assert witnessed(trail(other), signer).broken == []
    assert witnessed(trail(None), signer).broken == []
