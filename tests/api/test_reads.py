"""Every read endpoint over HTTP, on SQLite and PostgreSQL, with the Pakistan demo recorded
after the app started: through the API, or through another `Services` wiring on the same
store (which also proves read-your-writes across processes).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from api_support import (
    SEVEN,
    SIX,
    Demo,
    assert_problem,
    bearer,
    group_ids,
    load_demo_via_ledger,
    moment,
    utc_now,
)
from fastapi.testclient import TestClient

from api.bootstrap import Services
from domain.commands import AmendmentDraft

READS = [
    "/countries/{code}/policy",
    "/countries/{code}/versions",
    "/countries/{code}/timeline",
    "/countries/{code}/history/group:pti",
    "/countries/{code}/diff?from=2024-11-25&to=2024-11-26",
]
LETTER = "Kamerbrief landgebonden asielbeleid Pakistan (Kamerstuk 19637, nr. 3318)"


def policy(client: TestClient, on: str, **params: str) -> dict:
    response = client.get("/countries/PK/policy", params={"on": on, **params})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return dict(response.json())


# Countries and health ---------------------------------------------------------------


def test_countries_lists_pakistan_with_its_version(client: TestClient, demo: Demo) -> None:
    before = utc_now()
    [row] = client.get("/countries").json()
    assert row["country"] == "PK"
    assert row["name"] == "Pakistan"
    assert row["version"] == demo.version == 4  # opened + three amendments
    assert row["amendments"] == 3
    assert moment(row["last_change"]) <= before


def test_countries_is_empty_before_anything_is_recorded(client: TestClient) -> None:
    response = client.get("/countries")
    assert response.status_code == 200
    assert response.json() == []


def test_health_is_ready_and_caught_up(client: TestClient, demo: Demo) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["store"] is True
    assert body["lag"] == 0
    assert body["projection_position"] == body["log_head"] >= 4


# Point in time ----------------------------------------------------------------------


def test_pti_is_a_risk_profile_from_the_letters_day(client: TestClient, demo: Demo) -> None:
    day_before = policy(client, "2024-11-25")
    on_the_day = policy(client, "2024-11-26")

    assert group_ids(day_before) == SIX
    assert day_before["article_15c"] == {"default": None, "regions": {}}
    assert group_ids(on_the_day) == SEVEN

    pti = next(g for g in on_the_day["groups"] if g["id"] == "pti")
    assert pti["category"] == "risk_profile"
    assert pti["since"] == "2024-11-26"
    assert pti["label_en"] == "Leaders and members of Pakistan Tehreek-e-Insaf (PTI)"
    assert [a["amendment"] for a in pti["amendments"]] == [demo.letter]
    assert pti["amendments"][0]["title"] == LETTER
    assert "ECLI:NL:RVS:2024:2927" in {s["reference"] for s in pti["sources"]}

    regions = on_the_day["article_15c"]["regions"]
    assert set(regions) == {"PK-BA", "PK-KP"}
    assert regions["PK-BA"]["level"] == "lower"
    assert regions["PK-BA"]["armed_conflict"] is True
    assert regions["PK-BA"]["since"] == "2024-11-26"
    assert on_the_day["article_15c"]["default"]["level"] == "none"
    assert on_the_day["unaccompanied_minors"]["adequate"] is True


def test_the_attestation_covers_its_own_day(client: TestClient, demo: Demo) -> None:
    attested = policy(client, "2024-11-25")
    assert attested["coverage"] is True
    assert attested["valid_from"] == "2024-11-25"
    assert attested["valid_to"] == "2024-11-26"
    hazaras = next(g for g in attested["groups"] if g["id"] == "hazaras")
    assert [a["amendment"] for a in hazaras["amendments"]] == [demo.attestation]


@pytest.mark.parametrize("on", ["2024-09-01", "2024-11-24", "0001-01-01"])
def test_no_coverage_before_the_first_recorded_day(client: TestClient, demo: Demo, on: str) -> None:
    answer = policy(client, on)
    assert answer["coverage"] is False
    assert answer["version_id"] is None
    assert answer["valid_from"] is None
    assert answer["groups"] == []
    assert answer["on"] == on


def test_the_policy_names_its_version_and_interval(client: TestClient, demo: Demo) -> None:
    answer = policy(client, "2025-06-01")
    assert answer["country"] == "PK"
    assert answer["name"] == "Pakistan"
    assert answer["coverage"] is True
    assert answer["valid_from"] == "2024-11-26"
    assert answer["valid_to"] is None
    versions = client.get("/countries/PK/versions").json()["versions"]
    assert answer["version_id"] == versions[-1]["version_id"]


def test_the_pending_decree_is_listed_from_its_announcement(client: TestClient, demo: Demo) -> None:
    assert policy(client, "2024-12-17")["pending"] == []
    [pending] = policy(client, "2024-12-20")["pending"]
    assert pending["id"] == demo.decree
    assert pending["announced_on"] == "2024-12-18"
    assert {s["reference"] for s in pending["sources"]} == {"WBV 2024/27", "Stcrt. 2024, 38422"}
    # Pending applies to nothing: the LGBTI label is still the letter's.
    lgbti = next(g for g in policy(client, "2025-06-01")["groups"] if g["id"] == "lgbti")
    assert lgbti["label_nl"] == "LHBTI's"


def test_the_default_day_is_today_and_the_default_moment_now(
    client: TestClient, demo: Demo
) -> None:
    before = utc_now()
    answer = client.get("/countries/PK/policy").json()
    assert answer["on"] == before.date().isoformat()
    assert moment(answer["known_at"]) >= before
    assert group_ids(answer) == SEVEN


def test_known_at_before_the_recording_sees_nothing(client: TestClient, demo: Demo) -> None:
    assert policy(client, "2024-11-26")["coverage"] is True
    answer = policy(client, "2024-11-26", known_at="2024-12-01T00:00:00Z")
    assert answer["coverage"] is False
    assert answer["groups"] == []
    assert answer["pending"] == []
    assert answer["known_at"].startswith("2024-12-01T00:00:00")


def test_known_at_is_caught_up_on_its_first_read(
    client: TestClient, open_ledger: Callable[..., Services]
) -> None:
    load_demo_via_ledger(open_ledger())
    known_at = utc_now().isoformat()
    assert group_ids(policy(client, "2024-11-26", known_at=known_at)) == SEVEN


def test_a_naive_or_offset_known_at_is_read_in_utc(client: TestClient, demo: Demo) -> None:
    assert policy(client, "2024-11-26")["coverage"] is True
    naive = policy(client, "2024-11-26", known_at="2024-12-01T12:00:00")
    offset = policy(client, "2024-11-26", known_at="2024-12-01T13:00:00+01:00")
    assert moment(naive["known_at"]) == moment(offset["known_at"]) == moment("2024-12-01T12:00Z")


# Versions ---------------------------------------------------------------------------


def test_versions_are_the_sequence_of_states(client: TestClient, demo: Demo) -> None:
    body = client.get("/countries/PK/versions").json()
    assert body["country"] == "PK"
    spans = [(v["valid_from"], v["valid_to"]) for v in body["versions"]]
    assert spans == [("2024-11-25", "2024-11-26"), ("2024-11-26", None)]
    assert len({v["version_id"] for v in body["versions"]}) == 2


def test_a_version_by_id_is_its_state(client: TestClient, demo: Demo) -> None:
    latest = client.get("/countries/PK/versions").json()["versions"][-1]["version_id"]
    response = client.get(f"/countries/PK/versions/{latest}")
    assert response.status_code == 200
    body = response.json()
    assert body["country"] == "PK"
    assert body["version_id"] == latest
    assert {k.removeprefix("group:") for k in body["elements"] if k.startswith("group:")} == SEVEN
    assert body["elements"]["group:pti"]["category"] == "risk_profile"
    assert body["elements"]["article_15c:PK-BA"] == {"level": "lower", "armed_conflict": True}
    # The citable URL answers the same, whatever is recorded since.
    assert client.get(f"/countries/PK/versions/{latest}").json() == body


def test_versions_as_known_before_the_recording_are_empty(client: TestClient, demo: Demo) -> None:
    body = client.get("/countries/PK/versions", params={"known_at": "2024-01-01T00:00:00Z"}).json()
    assert body["versions"] == []


@pytest.mark.parametrize("version_id", ["0" * 64, "nope"])
def test_an_unknown_version_id_is_404(client: TestClient, pakistan: Demo, version_id: str) -> None:
    assert_problem(client.get(f"/countries/PK/versions/{version_id}"), 404)


def test_a_version_of_another_country_is_404(
    client: TestClient, pakistan: Demo, editor_token: str
) -> None:
    latest = client.get("/countries/PK/versions").json()["versions"][-1]["version_id"]
    body = {
        "announced_on": "2025-01-01",
        "in_force_from": "2025-01-01",
        "sources": [{"kind": "other", "reference": "Test", "date": "2025-01-01"}],
        "changes": [{"type": "set_unaccompanied_minors_reception", "adequate": True}],
    }
    recorded = client.post("/countries/AF/amendments", json=body, headers=bearer(editor_token))
    assert recorded.status_code == 201
    assert_problem(client.get(f"/countries/AF/versions/{latest}"), 404)


# Timeline, history, diff ------------------------------------------------------------


def test_timeline_statuses_and_dates(client: TestClient, demo: Demo) -> None:
    body = client.get("/countries/PK/timeline").json()
    assert body["country"] == "PK"
    rows = {a["id"]: a for a in body["amendments"]}
    assert list(rows) == [demo.attestation, demo.letter, demo.decree]
    assert rows[demo.attestation]["status"] == "in_force"
    assert rows[demo.attestation]["attestation"] is True
    assert rows[demo.letter]["status"] == "in_force"
    assert rows[demo.letter]["in_force_from"] == "2024-11-26"
    assert rows[demo.letter]["title"] == LETTER
    decree = rows[demo.decree]
    assert decree["status"] == "pending"
    assert decree["in_force_from"] is None
    assert decree["announced_on"] == "2024-12-18"
    assert decree["title"].startswith("WBV 2024/27")
    assert {"type": "relabel_group", "group": "lgbti"}.items() <= decree["changes"][7].items()
    for row in rows.values():
        assert row["author"] == demo.author
        assert row["retracted_at"] is None
        assert moment(row["recorded_at"]) <= utc_now()
        assert row["sources"]


def test_history_of_pti(client: TestClient, demo: Demo) -> None:
    body = client.get("/countries/PK/history/group:pti").json()
    assert body["country"] == "PK"
    assert body["element"] == "group:pti"
    [interval] = body["intervals"]
    assert interval["valid_from"] == "2024-11-26"
    assert interval["valid_to"] is None
    assert interval["action"] == "designate_group"
    assert interval["value"]["category"] == "risk_profile"
    assert interval["amendment"]["id"] == demo.letter


def test_history_of_article_15c_in_balochistan(client: TestClient, demo: Demo) -> None:
    body = client.get("/countries/PK/history/article_15c:PK-BA").json()
    [interval] = body["intervals"]
    assert interval["valid_from"] == "2024-11-26"
    assert interval["value"] == {"level": "lower", "armed_conflict": True}
    assert interval["amendment"]["id"] == demo.letter


def test_history_of_a_group_with_an_earlier_attestation(client: TestClient, demo: Demo) -> None:
    body = client.get("/countries/PK/history/group:hazaras").json()
    assert body["intervals"][0]["valid_from"] == "2024-11-25"
    assert body["intervals"][0]["amendment"]["id"] == demo.attestation


def test_history_of_an_unknown_element_is_empty(client: TestClient, demo: Demo) -> None:
    body = client.get("/countries/PK/history/group:nobody").json()
    assert body["intervals"] == []


def test_diff_between_the_attestation_and_the_letter(client: TestClient, demo: Demo) -> None:
    response = client.get("/countries/PK/diff", params={"from": "2024-11-25", "to": "2024-11-26"})
    body = response.json()
    assert (body["country"], body["from"], body["to"]) == ("PK", "2024-11-25", "2024-11-26")
    changes = {c["element"]: c for c in body["changes"]}
    assert {
        "group:pti",
        "article_15c:PK-BA",
        "article_15c:PK-KP",
        "article_15c:default",
        "unaccompanied_minors",
    } <= set(changes)
    assert not any(e in changes for e in (f"group:{g}" for g in SIX))
    pti = changes["group:pti"]
    assert pti["kind"] == "added"
    assert pti["before"] is None
    assert pti["after"]["category"] == "risk_profile"
    assert pti["amendment"]["id"] == demo.letter
    assert "Kamerstuk 19637, nr. 3318" in {s["reference"] for s in pti["sources"]}


def test_diff_between_equal_states_is_empty(client: TestClient, demo: Demo) -> None:
    body = client.get("/countries/PK/diff", params={"from": "2025-01-01", "to": "2025-06-01"})
    assert body.json()["changes"] == []


def test_diff_as_known_before_the_recording_is_empty(client: TestClient, demo: Demo) -> None:
    params = {"from": "2024-11-25", "to": "2024-11-26", "known_at": "2024-12-01T00:00:00Z"}
    assert client.get("/countries/PK/diff", params=params).json()["changes"] == []


# Errors -----------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["XX", "NL", "PAK", "12"])
def test_a_country_without_policy_is_404(client: TestClient, pakistan: Demo, code: str) -> None:
    for path in READS:
        assert_problem(client.get(path.format(code=code)), 404)


def test_a_version_of_a_country_without_policy_is_404(client: TestClient, pakistan: Demo) -> None:
    assert_problem(client.get(f"/countries/NL/versions/{'0' * 64}"), 404)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("on=2024-13-01", "query.on"),
        ("on=26-11-2024", "query.on"),
        ("on=yesterday", "query.on"),
        ("on=2024-11-26T10:00:00", "query.on"),
        ("known_at=not-a-moment", "query.known_at"),
        ("known_at=2024-11-26T25:00:00Z", "query.known_at"),
        ("known_at=9999-12-31T23:59:59-23:59", "query.known_at"),
        ("known_at=0001-01-01T00:00:00%2B01:00", "query.known_at"),
    ],
)
def test_malformed_dates_and_moments_are_422(
    client: TestClient, pakistan: Demo, query: str, field: str
) -> None:
    assert_problem(client.get(f"/countries/PK/policy?{query}"), 422, field)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2024-02-30&to=2024-11-26", "query.from"),
        ("from=2024-11-25&to=soon", "query.to"),
        ("to=2024-11-26", "query.from"),
        ("from=2024-11-25", "query.to"),
        ("from=2024-11-25&to=2024-11-26&known_at=later", "query.known_at"),
    ],
)
def test_malformed_diff_dates_are_422(
    client: TestClient, pakistan: Demo, query: str, field: str
) -> None:
    assert_problem(client.get(f"/countries/PK/diff?{query}"), 422, field)


@pytest.mark.parametrize("path", ["timeline", "versions", "history/group:pti"])
def test_malformed_known_at_on_other_reads_is_422(
    client: TestClient, pakistan: Demo, path: str
) -> None:
    response = client.get(f"/countries/PK/{path}", params={"known_at": "2024-99-01"})
    assert_problem(response, 422, "query.known_at")


def test_a_number_is_not_a_moment(client: TestClient, pakistan: Demo) -> None:
    response = client.get("/countries/PK/timeline", params={"known_at": "20241126"})
    assert_problem(response, 422, "query.known_at")


# Reads behind a token ---------------------------------------------------------------


@pytest.fixture
def guarded(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client(read_requires_token=True)


@pytest.mark.parametrize("path", ["/countries", *(p.format(code="PK") for p in READS)])
def test_reads_need_a_token_when_the_setting_says_so(
    guarded: TestClient, pakistan: Demo, reader_token: str, editor_token: str, path: str
) -> None:
    problem = assert_problem(guarded.get(path), 401)
    assert "token" in problem["detail"]
    assert guarded.get(path).headers["www-authenticate"] == "Bearer"
    assert_problem(guarded.get(path, headers=bearer("plt_not-a-token")), 401)
    assert guarded.get(path, headers=bearer(reader_token)).status_code == 200
    assert guarded.get(path, headers=bearer(editor_token)).status_code == 200


def test_reads_are_open_by_default(client: TestClient, pakistan: Demo) -> None:
    for path in ["/countries", *(p.format(code="PK") for p in READS)]:
        assert client.get(path).status_code == 200, path


def test_health_stays_open_when_reads_need_a_token(guarded: TestClient) -> None:
    assert guarded.get("/health").status_code == 200


def test_on_defaults_to_today_also_with_known_at(client: TestClient, pakistan: Demo) -> None:
    assert client.get("/countries/PK/policy").status_code == 200  # catch up first
    answer = policy_on_default(client, known_at="2030-01-01T00:00:00Z")
    assert answer["on"] == utc_now().date().isoformat()


def policy_on_default(client: TestClient, **params: str) -> dict:
    response = client.get("/countries/PK/policy", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


# Read-your-writes under concurrent reads ----------------------------------------------


def test_concurrent_readers_all_see_a_write_from_another_process(
    request: pytest.FixtureRequest,
    store_url: str,
    client: TestClient,
    pakistan: Demo,
    open_ledger: Callable[..., Services],
) -> None:
    other = open_ledger()
    assert client.get("/countries/PK/policy").status_code == 200
    stale_rounds = []
    for round_ in range(10):
        topic = f"round_{round_}"
        other.app.record_amendment(
            "PK",
            AmendmentDraft.model_validate(
                {
                    "announced_on": "2025-01-01",
                    "in_force_from": "2025-01-01",
                    "sources": [{"kind": "other", "reference": "Test", "date": "2025-01-01"}],
                    "changes": [{"type": "note", "topic": topic, "text": "Recorded elsewhere."}],
                }
            ),
            author="elsewhere",
            expected_version=other.app.version_of("PK"),
        )
        seen = concurrent_reads(client, topic, readers=3)
        if not all(seen):
            stale_rounds.append(round_)
    assert stale_rounds == []


def concurrent_reads(client: TestClient, topic: str, readers: int) -> list[bool]:
    """Whether each of `readers` simultaneous policy reads sees the note `topic`."""
    barrier = threading.Barrier(readers)
    seen: list[bool] = []

    def read() -> None:
        barrier.wait()
        answer = client.get("/countries/PK/policy", params={"on": "2025-06-01"}).json()
        seen.append(topic in {n["topic"] for n in answer["notes"]})

    threads = [threading.Thread(target=read) for _ in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return seen


def test_a_read_with_the_position_a_write_returned_includes_that_write(
    make_client: Callable[..., TestClient], editor_token: str, pakistan: Demo
) -> None:
    """Another server of the store answers with a write for certain when the read carries
    the position the write's answer gave (`Policy-Ledger-Position` -> `min_position`)."""
    writer, reader = make_client(), make_client()
    assert reader.get("/countries/PK/policy").status_code == 200  # its index is loaded
    response = writer.post(
        "/countries/PK/amendments",
        json={
            "announced_on": "2025-01-01",
            "in_force_from": "2025-01-01",
            "sources": [{"kind": "other", "reference": "Test", "date": "2025-01-01"}],
            "changes": [{"type": "note", "topic": "positioned", "text": "Recorded elsewhere."}],
            "expected_version": pakistan.version,
        },
        headers=bearer(editor_token),
    )
    assert response.status_code == 201, response.text
    position = response.headers["Policy-Ledger-Position"]

    for known_at in ({}, {"known_at": "2100-01-01"}):
        answer = policy(reader, "2025-06-01", min_position=position, **known_at)
        assert "positioned" in {n["topic"] for n in answer["notes"]}


@pytest.mark.parametrize("position", ["-1", "1.5", "x", "9" * 19])
def test_a_malformed_min_position_is_422(client: TestClient, pakistan: Demo, position: str) -> None:
    response = client.get("/countries/PK/policy", params={"min_position": position})
    assert_problem(response, 422, "query.min_position")
