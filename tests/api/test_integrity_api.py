"""GET /integrity over HTTP on both stores: who may ask, the signed digest every answer
names, and a row tampered with by hand reported with its country and position."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from api_support import Demo, amendment, assert_problem, bearer
from fastapi.testclient import TestClient
from integration.raw_store import RawStore

from api.bootstrap import Services
from api.schemas import BrokenLedgerProblem
from domain.signing import Signer, create_key, signature_holds


@pytest.fixture
def signer(tmp_path: Path) -> Signer:
    return create_key(tmp_path / "signing-key.pem")


@pytest.fixture
def signed(make_client: Callable[..., TestClient], signer: Signer) -> TestClient:
    return make_client(signing_key_file=signer.path)


def test_integrity_needs_a_token(signed: TestClient) -> None:
    assert_problem(signed.get("/integrity"), 401)


def test_integrity_is_forbidden_to_readers(signed: TestClient, reader_token: str) -> None:
    assert_problem(signed.get("/integrity", headers=bearer(reader_token)), 403)


@pytest.mark.parametrize("role", ["auditor", "editor"])
def test_auditors_and_editors_get_the_signed_digest(
    request: pytest.FixtureRequest,
    signed: TestClient,
    signer: Signer,
    pakistan: Demo,
    role: str,
) -> None:
    token = request.getfixturevalue(f"{role}_token")

    response = signed.get("/integrity", headers=bearer(token))

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["ok"], body["events"], body["first_broken"], body["broken"]) == (
        True,
        4,
        None,
        [],
    )
    assert [(c["country"], c["events"]) for c in body["countries"]] == [("PK", 4)]
    assert body["key_id"] == signer.key_id
    assert body["public_key"] == signer.public_key_b64
    assert signature_holds(signer.public_key_b64, body["digest"], body["signature"])


def test_every_policy_and_version_answer_names_the_verified_digest(
    signed: TestClient, auditor_token: str, pakistan: Demo
) -> None:
    digest = signed.get("/integrity", headers=bearer(auditor_token)).json()["digest"]

    now = signed.get("/countries/PK/policy", params={"on": "2024-11-26"}).json()
    then = signed.get(
        "/countries/PK/policy", params={"on": "2024-11-26", "known_at": "2100-01-01"}
    ).json()
    version = signed.get(f"/countries/PK/versions/{now['version_id']}").json()
    what_if = signed.post(
        "/countries/PK/policy/what-if", json={"on": "2025-01-10", "drafts": [amendment()]}
    ).json()

    assert now["ledger_digest"] == then["ledger_digest"] == digest
    assert version["ledger_digest"] == what_if["ledger_digest"] == digest


def test_a_write_moves_the_digest_the_answers_name(
    signed: TestClient, editor_token: str, pakistan: Demo
) -> None:
    before = signed.get("/countries/PK/policy").json()["ledger_digest"]
    written = signed.post(
        "/countries/PK/amendments",
        json=amendment(expected_version=pakistan.version),
        headers=bearer(editor_token),
    )
    assert written.status_code == 201, written.text

    after = signed.get("/countries/PK/policy").json()["ledger_digest"]
    verified = signed.get("/integrity", headers=bearer(editor_token)).json()

    assert after != before
    assert verified["digest"] == after


def broken_problem(response: Any) -> dict[str, Any]:
    """A 503 problem naming the broken links (its documented shape, nothing more)."""
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].split(";")[0] == "application/problem+json"
    body: dict[str, Any] = response.json()
    BrokenLedgerProblem.model_validate(body)
    assert body["status"] == 503
    assert "signature" not in body
    return body


def test_a_row_edited_in_the_store_is_reported_with_country_and_position(
    signed: TestClient,
    auditor_token: str,
    pakistan: Demo,
    open_ledger: Callable[..., Services],
) -> None:
    RawStore(open_ledger()).edit_byte("PK", 3, b"Kamerbrief", b"Kamerbriex")

    body = broken_problem(signed.get("/integrity", headers=bearer(auditor_token)))

    first = body["first_broken"]
    assert (first["country"], first["position"], first["reason"]) == ("PK", 3, "content")
    assert first["expected"] != first["found"]
    assert "not signed: PK position 3 (content)" in body["detail"]


@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        (lambda raw: raw.delete("PK", 4), "missing"),
        (
            lambda raw: raw.rehash_from("PK", 2, lambda d: d["payload"].update(title="forged")),
            "witness",
        ),
    ],
    ids=["deleted last event", "rehashed to the end"],
)
def test_a_chain_that_holds_alone_but_contradicts_its_witnesses_is_not_signed(
    signed: TestClient,
    auditor_token: str,
    pakistan: Demo,
    open_ledger: Callable[..., Services],
    forge: Callable[[RawStore], None],
    reason: str,
) -> None:
    ledger = open_ledger()
    ledger.catch_up.run()  # the read model and the checkpoints have seen the ledger
    forge(RawStore(ledger))

    body = broken_problem(signed.get("/integrity", headers=bearer(auditor_token)))

    assert (body["first_broken"]["country"], body["first_broken"]["reason"]) == ("PK", reason)


def test_the_checkpoints_still_witness_after_the_read_model_is_rebuilt(
    signed: TestClient,
    auditor_token: str,
    pakistan: Demo,
    open_ledger: Callable[..., Services],
) -> None:
    ledger = open_ledger()
    ledger.catch_up.run()
    RawStore(ledger).rehash_from("PK", 2, lambda d: d["payload"].update(title="forged"))
    ledger.view.drop_policy_rows(ledger.app.name)  # as a rebuild does, or a forger
    ledger.projection.forget()
    ledger.catch_up.run()

    body = broken_problem(signed.get("/integrity", headers=bearer(auditor_token)))

    first = body["first_broken"]
    assert (first["country"], first["position"], first["reason"]) == ("PK", 4, "checkpoint")
    assert "checkpoint" in first["detail"]


def test_without_a_key_the_digest_is_given_unsigned(
    make_client: Callable[..., TestClient], tmp_path: Path, auditor_token: str, pakistan: Demo
) -> None:
    client = make_client(signing_key_file=tmp_path / "absent.pem")

    body = client.get("/integrity", headers=bearer(auditor_token)).json()

    assert body["ok"] is True
    assert body["digest"] is not None
    assert (body["signature"], body["key_id"], body["public_key"]) == (None, None, None)
