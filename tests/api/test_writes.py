"""The write endpoints over HTTP, on SQLite and PostgreSQL: what a write records and returns,
and every way a write is refused, each refusal storing nothing.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from api_support import (
    EDITOR,
    OTHER_EDITOR,
    SEVEN,
    Demo,
    amendment,
    assert_problem,
    bearer,
    group_ids,
    load_demo_via_ledger,
    moment,
    new_token,
    snapshot,
    source,
    utc_now,
)
from fastapi.testclient import TestClient

from api.bootstrap import Services
from api.security import Role


def record(
    client: TestClient, token: str, body: dict[str, Any], code: str = "PK"
) -> dict[str, Any]:
    response = client.post(f"/countries/{code}/amendments", json=body, headers=bearer(token))
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == "application/json"
    return dict(response.json())


def policy(client: TestClient, on: str) -> dict[str, Any]:
    response = client.get("/countries/PK/policy", params={"on": on})
    assert response.status_code == 200, response.text
    return dict(response.json())


def timeline(client: TestClient, code: str = "PK") -> dict[str, dict[str, Any]]:
    return {a["id"]: a for a in client.get(f"/countries/{code}/timeline").json()["amendments"]}


class Refusals:
    """Asserts a refused write answered with the problem and stored nothing."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def check(self, send: Callable[[], Any], status: int, field: str | None = None) -> dict:
        before = snapshot(self.client)
        problem = assert_problem(send(), status, field)
        assert snapshot(self.client) == before, "a refused write stored something"
        return problem

    def post(self, status: int, field: str | None, path: str, **request: Any) -> dict:
        return self.check(lambda: self.client.post(path, **request), status, field)


@pytest.fixture
def refused(client: TestClient) -> Refusals:
    return Refusals(client)


# Recording --------------------------------------------------------------------------


def test_the_first_amendment_opens_the_country(client: TestClient, editor_token: str) -> None:
    before = utc_now()
    body = record(client, editor_token, amendment(announced_on="2024-11-26"))
    assert body["country"] == "PK"
    assert body["version"] == 2
    assert [(e["type"], e["version"]) for e in body["events"]] == [
        ("Opened", 1),
        ("AmendmentRecorded", 2),
    ]
    assert all(moment(e["recorded_at"]) >= before for e in body["events"])

    [row] = client.get("/countries").json()
    assert (row["country"], row["version"], row["amendments"]) == ("PK", 2, 1)
    entry = timeline(client)[body["amendment_id"]]
    assert entry["status"] == "in_force"
    assert moment(entry["recorded_at"]) == moment(body["events"][-1]["recorded_at"])
    assert group_ids(policy(client, "2025-01-10")) == {"sikhs"}


def test_an_amendment_on_the_demo_is_read_back_at_once(
    client: TestClient, editor_token: str, demo: Demo
) -> None:
    body = record(client, editor_token, amendment(expected_version=demo.version))
    assert body["version"] == demo.version + 1
    assert [e["type"] for e in body["events"]] == ["AmendmentRecorded"]
    assert group_ids(policy(client, "2025-01-10")) == {*SEVEN, "sikhs"}
    assert group_ids(policy(client, "2025-01-09")) == SEVEN
    assert client.get("/countries").json()[0]["version"] == demo.version + 1
    assert timeline(client)[body["amendment_id"]]["changes"][0]["group"] == "sikhs"


def test_the_author_is_the_tokens_subject(
    client: TestClient, editor_token: str, other_editor_token: str
) -> None:
    first = record(client, editor_token, amendment())
    second = record(
        client,
        other_editor_token,
        amendment(
            expected_version=first["version"],
            changes=[{"type": "reaffirm", "element": "group:sikhs"}],
        ),
    )
    rows = timeline(client)
    assert rows[first["amendment_id"]]["author"] == EDITOR
    assert rows[second["amendment_id"]]["author"] == OTHER_EDITOR


def test_an_author_in_the_body_is_refused(
    client: TestClient, editor_token: str, refused: Refusals
) -> None:
    refused.post(
        422,
        "body.author",
        "/countries/PK/amendments",
        json=amendment(author="mallory"),
        headers=bearer(editor_token),
    )


def test_a_pending_amendment_then_its_in_force_date(
    client: TestClient, editor_token: str, demo: Demo
) -> None:
    decree = timeline(client)[demo.decree]
    assert decree["status"] == "pending"
    response = client.post(
        f"/countries/PK/amendments/{demo.decree}/in-force",
        json={"in_force_from": "2025-01-01", "expected_version": demo.version},
        headers=bearer(editor_token),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["amendment_id"] == demo.decree
    assert body["version"] == demo.version + 1
    assert [e["type"] for e in body["events"]] == ["InForceDateRecorded"]

    decree = timeline(client)[demo.decree]
    assert decree["status"] == "in_force"
    assert decree["in_force_from"] == "2025-01-01"
    assert moment(decree["in_force_recorded_at"]) == moment(body["events"][0]["recorded_at"])
    lgbti = next(g for g in policy(client, "2025-01-01")["groups"] if g["id"] == "lgbti")
    assert lgbti["label_nl"] == "LHBTIQ+"
    lgbti = next(g for g in policy(client, "2024-12-31")["groups"] if g["id"] == "lgbti")
    assert lgbti["label_nl"] == "LHBTI's"
    assert policy(client, "2025-01-01")["pending"] == []


def test_a_retraction_removes_the_amendment_from_answers(
    client: TestClient, editor_token: str, demo: Demo
) -> None:
    response = client.post(
        f"/countries/PK/amendments/{demo.letter}/retraction",
        json={"reason": "entered in error", "expected_version": demo.version},
        headers=bearer(editor_token),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["version"] == demo.version + 1
    assert [e["type"] for e in body["events"]] == ["AmendmentRetracted"]

    letter = timeline(client)[demo.letter]
    assert letter["status"] == "retracted"
    assert letter["retraction_reason"] == "entered in error"
    assert moment(letter["retracted_at"]) == moment(body["events"][0]["recorded_at"])
    assert "pti" not in group_ids(policy(client, "2024-12-01"))
    history = client.get("/countries/PK/history/group:pti").json()
    assert history["intervals"] == []


# Version conflicts --------------------------------------------------------------------


def test_a_stale_expected_version_is_409(
    client: TestClient, editor_token: str, demo: Demo, refused: Refusals
) -> None:
    problem = refused.post(
        409,
        "body.expected_version",
        "/countries/PK/amendments",
        json=amendment(expected_version=demo.version - 1),
        headers=bearer(editor_token),
    )
    assert str(demo.version) in problem["detail"]


def test_a_missing_expected_version_for_an_existing_country_is_409(
    client: TestClient, editor_token: str, demo: Demo, refused: Refusals
) -> None:
    refused.post(
        409,
        "body.expected_version",
        "/countries/PK/amendments",
        json=amendment(),
        headers=bearer(editor_token),
    )


def test_an_expected_version_for_a_new_country_is_409(
    client: TestClient, editor_token: str, demo: Demo, refused: Refusals
) -> None:
    body = amendment(expected_version=1, changes=[{"type": "note", "topic": "x", "text": "y"}])
    refused.post(
        409,
        "body.expected_version",
        "/countries/NL/amendments",
        json=body,
        headers=bearer(editor_token),
    )


@pytest.mark.parametrize("kind", ["in-force", "retraction"])
def test_a_stale_expected_version_on_other_writes_is_409(
    client: TestClient, editor_token: str, demo: Demo, refused: Refusals, kind: str
) -> None:
    body = {"in-force": {"in_force_from": "2025-01-01"}, "retraction": {"reason": "error"}}[kind]
    refused.post(
        409,
        "body.expected_version",
        f"/countries/PK/amendments/{demo.decree}/{kind}",
        json={**body, "expected_version": demo.version + 5},
        headers=bearer(editor_token),
    )


# Invalid input ------------------------------------------------------------------------


def _without(field: str) -> Callable[[dict[str, Any]], None]:
    return lambda body: body.pop(field)


def _set(**fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda body: body.update(copy.deepcopy(fields))


INVALID: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("unknown change type", _set(changes=[{"type": "abolish_asylum"}]), "body.changes.0"),
    (
        "unknown category",
        _set(
            changes=[
                {
                    "type": "designate_group",
                    "group": "sikhs",
                    "category": "favourite",
                    "label_nl": "Sikhs",
                    "label_en": "Sikhs",
                }
            ]
        ),
        "body.changes.0.designate_group.category",
    ),
    (
        "unknown level",
        _set(
            changes=[
                {
                    "type": "set_article_15c",
                    "region": "PK-BA",
                    "level": "extreme",
                    "armed_conflict": True,
                }
            ]
        ),
        "body.changes.0.set_article_15c.level",
    ),
    (
        "region of another country",
        _set(
            changes=[
                {
                    "type": "set_article_15c",
                    "region": "IN-MH",
                    "level": "lower",
                    "armed_conflict": True,
                }
            ]
        ),
        "body.changes.0.region",
    ),
    (
        "unknown region of the country",
        _set(
            changes=[
                {
                    "type": "set_article_15c",
                    "region": "PK-ZZ",
                    "level": "lower",
                    "armed_conflict": True,
                }
            ]
        ),
        "body.changes.0.region",
    ),
    (
        "malformed region",
        _set(
            changes=[
                {
                    "type": "set_article_15c",
                    "region": "Punjab",
                    "level": "lower",
                    "armed_conflict": True,
                }
            ]
        ),
        "body.changes.0.set_article_15c.region",
    ),
    ("missing sources", _without("sources"), "body.sources"),
    ("empty sources", _set(sources=[]), "body.sources"),
    ("empty changes", _set(changes=[]), "body.changes"),
    ("missing changes", _without("changes"), "body.changes"),
    (
        "bad ECLI",
        _set(sources=[source(kind="ecli", reference="ECLI:rubbish")]),
        "body.sources.0.reference",
    ),
    ("unknown source kind", _set(sources=[source(kind="tweet")]), "body.sources.0.kind"),
    (
        "source url not http",
        _set(sources=[source(url="javascript:alert(1)")]),
        "body.sources.0.url",
    ),
    ("extra unknown field", _set(priority="high"), "body.priority"),
    (
        "extra field in a change",
        _set(changes=[{"type": "note", "topic": "x", "text": "y", "z": 1}]),
        "body.changes.0.note.z",
    ),
    ("malformed announced_on", _set(announced_on="26-11-2024"), "body.announced_on"),
    ("impossible in_force_from", _set(in_force_from="2025-02-30"), "body.in_force_from"),
    ("missing announced_on", _without("announced_on"), "body.announced_on"),
    ("expected_version zero", _set(expected_version=0), "body.expected_version"),
    ("expected_version text", _set(expected_version="four"), "body.expected_version"),
    (
        "reserved group id",
        _set(changes=[{"type": "revoke_group", "group": "general", "category": "risk_profile"}]),
        "body.changes.0.revoke_group.group",
    ),
    (
        "revoking a group never designated",
        _set(changes=[{"type": "revoke_group", "group": "druids", "category": "risk_profile"}]),
        "body.changes.0.group",
    ),
    (
        "moratorium ending before it starts",
        _set(changes=[{"type": "impose_moratorium", "kind": "decision", "until": "2024-01-01"}]),
        "body.changes.0.until",
    ),
    ("blank title", _set(title="   "), "body.title"),
]


@pytest.mark.parametrize(
    ("mutate", "field"),
    [pytest.param(m, f, id=name) for name, m, f in INVALID],
)
def test_an_invalid_amendment_is_422_naming_the_field(
    client: TestClient,
    editor_token: str,
    pakistan: Demo,
    refused: Refusals,
    mutate: Callable[[dict[str, Any]], None],
    field: str,
) -> None:
    body = amendment(expected_version=pakistan.version)
    mutate(body)
    refused.post(
        422,
        field,
        "/countries/PK/amendments",
        json=body,
        headers=bearer(editor_token),
    )


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[]", b"null", b'"text"', b"", b"\xef\xbb\xbf{}", b'{"announced_on": "\xff"}'],
    ids=["broken", "array", "null", "string", "empty", "bom", "invalid-utf8"],
)
def test_a_body_that_is_not_an_amendment_is_refused(
    client: TestClient, editor_token: str, pakistan: Demo, refused: Refusals, content: bytes
) -> None:
    headers = {**bearer(editor_token), "Content-Type": "application/json"}
    before = snapshot(client)
    response = client.post("/countries/PK/amendments", content=content, headers=headers)
    assert 400 <= response.status_code < 500
    assert_problem(response, response.status_code)
    assert snapshot(client) == before


@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [
        ("in-force", {"in_force_from": "someday"}, "body.in_force_from"),
        ("in-force", {"in_force_from": "2025-01-01", "extra": 1}, "body.extra"),
        ("in-force", {}, "body.in_force_from"),
        ("retraction", {"reason": ""}, "body.reason"),
        ("retraction", {}, "body.reason"),
    ],
)
def test_invalid_in_force_and_retraction_bodies_are_422(
    client: TestClient,
    editor_token: str,
    pakistan: Demo,
    refused: Refusals,
    kind: str,
    body: dict[str, Any],
    field: str,
) -> None:
    refused.post(
        422,
        field,
        f"/countries/PK/amendments/{pakistan.decree}/{kind}",
        json={"expected_version": pakistan.version, **body},
        headers=bearer(editor_token),
    )


def test_an_in_force_date_twice_is_422(
    client: TestClient, editor_token: str, pakistan: Demo, refused: Refusals
) -> None:
    path = f"/countries/PK/amendments/{pakistan.decree}/in-force"
    first = client.post(
        path,
        json={"in_force_from": "2025-01-01", "expected_version": pakistan.version},
        headers=bearer(editor_token),
    )
    assert first.status_code == 201
    refused.post(
        422,
        "body.in_force_from",
        path,
        json={"in_force_from": "2025-02-01", "expected_version": first.json()["version"]},
        headers=bearer(editor_token),
    )


def test_an_in_force_date_for_an_amendment_already_in_force_is_422(
    client: TestClient, editor_token: str, pakistan: Demo, refused: Refusals
) -> None:
    refused.post(
        422,
        "body.in_force_from",
        f"/countries/PK/amendments/{pakistan.letter}/in-force",
        json={"in_force_from": "2025-02-01", "expected_version": pakistan.version},
        headers=bearer(editor_token),
    )


@pytest.fixture
def retracted(client: TestClient, editor_token: str, pakistan: Demo) -> int:
    """Retracts the letter; the country's new version."""
    response = client.post(
        f"/countries/PK/amendments/{pakistan.letter}/retraction",
        json={"reason": "entered in error", "expected_version": pakistan.version},
        headers=bearer(editor_token),
    )
    assert response.status_code == 201
    return int(response.json()["version"])


def test_a_retraction_twice_is_422(
    client: TestClient, editor_token: str, pakistan: Demo, retracted: int, refused: Refusals
) -> None:
    problem = refused.post(
        422,
        None,
        f"/countries/PK/amendments/{pakistan.letter}/retraction",
        json={"reason": "again", "expected_version": retracted},
        headers=bearer(editor_token),
    )
    assert pakistan.letter in problem["detail"]


def test_an_in_force_date_for_a_retracted_amendment_is_422(
    client: TestClient, editor_token: str, pakistan: Demo, retracted: int, refused: Refusals
) -> None:
    refused.post(
        422,
        None,
        f"/countries/PK/amendments/{pakistan.letter}/in-force",
        json={"in_force_from": "2025-03-01", "expected_version": retracted},
        headers=bearer(editor_token),
    )


def test_a_retraction_twice_names_the_path_parameter(
    client: TestClient, editor_token: str, pakistan: Demo, retracted: int
) -> None:
    response = client.post(
        f"/countries/PK/amendments/{pakistan.letter}/retraction",
        json={"reason": "again", "expected_version": retracted},
        headers=bearer(editor_token),
    )
    assert_problem(response, 422, "path.amendment_id")


# Not found ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["in-force", "retraction"])
@pytest.mark.parametrize(
    "amendment_id", ["no-such-amendment", "00000000-0000-0000-0000-000000000000"]
)
def test_an_unknown_amendment_is_404(
    client: TestClient,
    editor_token: str,
    pakistan: Demo,
    refused: Refusals,
    kind: str,
    amendment_id: str,
) -> None:
    body = {"in-force": {"in_force_from": "2025-01-01"}, "retraction": {"reason": "error"}}[kind]
    refused.post(
        404,
        None,
        f"/countries/PK/amendments/{amendment_id}/{kind}",
        json={**body, "expected_version": pakistan.version},
        headers=bearer(editor_token),
    )


def test_an_amendment_of_another_country_is_not_found_there(
    client: TestClient, editor_token: str, pakistan: Demo, refused: Refusals
) -> None:
    afghanistan = record(
        client, editor_token, amendment(changes=[{"type": "note", "topic": "x", "text": "y"}]), "AF"
    )
    refused.post(
        404,
        None,
        f"/countries/AF/amendments/{pakistan.letter}/retraction",
        json={"reason": "wrong country", "expected_version": afghanistan["version"]},
        headers=bearer(editor_token),
    )


@pytest.mark.parametrize("code", ["XX", "PAK", "1"])
def test_a_write_for_an_unknown_country_is_404(
    client: TestClient, editor_token: str, pakistan: Demo, refused: Refusals, code: str
) -> None:
    refused.post(
        404,
        None,
        f"/countries/{code}/amendments",
        json=amendment(),
        headers=bearer(editor_token),
    )


# Transport: content type, size ------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
        "application/jsonx",
    ],
)
@pytest.mark.parametrize("kind", ["amendments", "in-force", "retraction"])
def test_a_body_that_is_not_json_is_415(
    client: TestClient,
    editor_token: str,
    pakistan: Demo,
    refused: Refusals,
    content_type: str | None,
    kind: str,
) -> None:
    path, body = {
        "amendments": ("/countries/PK/amendments", amendment(expected_version=pakistan.version)),
        "in-force": (
            f"/countries/PK/amendments/{pakistan.decree}/in-force",
            {"in_force_from": "2025-01-01", "expected_version": pakistan.version},
        ),
        "retraction": (
            f"/countries/PK/amendments/{pakistan.decree}/retraction",
            {"reason": "error", "expected_version": pakistan.version},
        ),
    }[kind]
    headers = bearer(editor_token)
    if content_type:
        headers["Content-Type"] = content_type
    refused.post(415, None, path, content=json.dumps(body), headers=headers)


def test_json_with_a_charset_is_accepted(
    client: TestClient, editor_token: str, pakistan: Demo
) -> None:
    response = client.post(
        "/countries/PK/amendments",
        content=json.dumps(amendment(expected_version=pakistan.version)),
        headers={**bearer(editor_token), "Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 201, response.text


LIMIT = 4096


@pytest.fixture
def small(make_client: Callable[..., TestClient], pakistan: Demo) -> TestClient:
    return make_client(max_body_bytes=LIMIT)


def _padded(version: int, size: int) -> bytes:
    body = amendment(expected_version=version, rationale="")
    base = len(json.dumps(body).encode())
    body["rationale"] = "x" * (size - base)
    encoded = json.dumps(body).encode()
    assert len(encoded) == size
    return encoded


def test_a_body_over_the_limit_is_413(small: TestClient, editor_token: str, pakistan: Demo) -> None:
    refused = Refusals(small)
    content = _padded(pakistan.version, LIMIT + 1)
    headers = {**bearer(editor_token), "Content-Type": "application/json"}
    refused.check(
        lambda: small.post("/countries/PK/amendments", content=content, headers=headers), 413
    )


def test_a_body_at_the_limit_is_accepted(
    small: TestClient, editor_token: str, pakistan: Demo
) -> None:
    content = _padded(pakistan.version, LIMIT)
    headers = {**bearer(editor_token), "Content-Type": "application/json"}
    response = small.post("/countries/PK/amendments", content=content, headers=headers)
    assert response.status_code == 201, response.text


def test_a_chunked_body_over_the_limit_is_413(
    small: TestClient, editor_token: str, pakistan: Demo
) -> None:
    content = _padded(pakistan.version, LIMIT * 3)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(content), 1000):
            yield content[start : start + 1000]

    headers = {**bearer(editor_token), "Content-Type": "application/json"}
    request = small.build_request(
        "POST", "/countries/PK/amendments", content=chunks(), headers=headers
    )
    assert "content-length" not in request.headers
    assert request.headers["transfer-encoding"] == "chunked"
    refused = Refusals(small)
    refused.check(lambda: small.send(request), 413)


def test_a_lying_content_length_is_refused(
    small: TestClient, editor_token: str, pakistan: Demo
) -> None:
    """A small declared length before a large body: the body is counted, not trusted."""
    content = _padded(pakistan.version, LIMIT * 3)
    headers = {
        **bearer(editor_token),
        "Content-Type": "application/json",
        "Content-Length": "100",
    }
    request = small.build_request(
        "POST", "/countries/PK/amendments", content=content, headers=headers
    )
    assert request.headers["content-length"] == "100"
    Refusals(small).check(lambda: small.send(request), 413)


# Authentication and roles -------------------------------------------------------------


def _writes(demo: Demo) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("/countries/PK/amendments", amendment(expected_version=demo.version)),
        (
            f"/countries/PK/amendments/{demo.decree}/in-force",
            {"in_force_from": "2025-01-01", "expected_version": demo.version},
        ),
        (
            f"/countries/PK/amendments/{demo.decree}/retraction",
            {"reason": "error", "expected_version": demo.version},
        ),
    ]


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer plt_not-a-token", "Bearer ", "Basic YWxpY2U6c2VjcmV0", "plt_no-scheme"],
)
def test_a_write_without_a_valid_token_is_401(
    client: TestClient, pakistan: Demo, refused: Refusals, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    for path, body in _writes(pakistan):
        problem = refused.post(401, None, path, json=body, headers=headers)
        assert problem["title"]
        response = client.post(path, json=body, headers=headers)
        assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("role", ["reader", "auditor"])
def test_a_write_with_a_role_that_may_not_write_is_403(
    client: TestClient,
    pakistan: Demo,
    refused: Refusals,
    reader_token: str,
    auditor_token: str,
    role: str,
) -> None:
    token = {"reader": reader_token, "auditor": auditor_token}[role]
    for path, body in _writes(pakistan):
        problem = refused.post(403, None, path, json=body, headers=bearer(token))
        assert role in problem["detail"]


def test_a_token_created_while_serving_works_at_once(
    client: TestClient, tokens_ledger: Services, pakistan: Demo
) -> None:
    token = new_token(tokens_ledger, "late", Role.EDITOR)
    record(client, token, amendment(expected_version=pakistan.version))


# Read-your-writes across apps on one store -------------------------------------------


def test_two_apps_on_one_store_see_and_build_on_each_others_writes(
    make_client: Callable[..., TestClient], editor_token: str, other_editor_token: str
) -> None:
    """Two servers on the same store: each reads the other's writes at once, and each can
    write on top of them with the version it read (its own writer cache is not stale)."""
    one, two = make_client(), make_client()
    first = record(one, editor_token, amendment())
    assert group_ids(two.get("/countries/PK/policy", params={"on": "2025-02-01"}).json()) == {
        "sikhs"
    }
    version = two.get("/countries").json()[0]["version"]
    assert version == first["version"]
    second = record(
        two,
        other_editor_token,
        amendment(
            expected_version=version,
            changes=[{"type": "revoke_group", "group": "sikhs", "category": "risk_profile"}],
            announced_on="2025-02-01",
            in_force_from="2025-02-01",
        ),
    )
    assert one.get("/countries").json()[0]["version"] == second["version"]
    third = record(
        one,
        editor_token,
        amendment(
            expected_version=second["version"],
            changes=[{"type": "note", "topic": "after", "text": "On top of the other server."}],
            announced_on="2025-03-01",
            in_force_from="2025-03-01",
        ),
    )
    assert third["version"] == second["version"] + 1
    answer = two.get("/countries/PK/policy", params={"on": "2025-03-01"}).json()
    assert group_ids(answer) == set()
    assert [n["topic"] for n in answer["notes"]] == ["after"]
    assert len(two.get("/countries/PK/timeline").json()["amendments"]) == 3


def test_a_write_by_another_process_is_built_on_through_the_api(
    client: TestClient, editor_token: str, open_ledger: Callable[..., Services]
) -> None:
    first = record(
        client, editor_token, amendment(announced_on="2024-11-20", in_force_from="2024-11-20")
    )
    assert first["version"] == 2
    # `policy-ledger load` from another process, on top of it.
    other = open_ledger()
    recorded = load_demo_via_ledger(other)
    row = client.get("/countries").json()[0]
    assert row["version"] == recorded.version == 5
    body = record(
        client,
        editor_token,
        amendment(
            expected_version=row["version"],
            changes=[{"type": "reaffirm", "element": "group:pti"}],
        ),
    )
    assert body["version"] == 6
