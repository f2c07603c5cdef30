"""Places (issue 14, points 1 and 2), over HTTP on SQLite and PostgreSQL: changes limited
to regions and defined areas, and the policy for a person from a place.

The Iraq history here is invented test data shaped after the issue's example (a moratorium
for some governorates only, October 2014); the governorates named are not a claim about
which ones the real moratorium covered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from api_support import assert_problem, bearer, snapshot, source
from fastapi.testclient import TestClient

from api.bootstrap import Services

# Test data: the moratorium's governorates (invented; Basra, IQ-BA, is not among them).
MORATORIUM_REGIONS = ["IQ-NI", "IQ-AN", "IQ-SD", "IQ-DI", "IQ-KI", "IQ-BG", "IQ-BB"]
DAY = "2014-10-24"


def iraq_2014(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "announced_on": DAY,
        "in_force_from": DAY,
        "title": "Iraq test letter",
        "sources": [source(reference="Kamerstuk 19637, nr. 0001 (test)", date=DAY)],
        "rationale": "Test data.",
        "changes": [
            {
                "type": "define_area",
                "area": "baghdad-belts",
                "label_nl": "Bagdad-gordels",
                "label_en": "Baghdad belts",
                "within": ["IQ-BG"],
            },
            {
                "type": "impose_moratorium",
                "kind": "decision",
                "scope": {"regions": MORATORIUM_REGIONS},
            },
            {
                "type": "impose_moratorium",
                "kind": "departure",
                "scope": {"regions": MORATORIUM_REGIONS},
            },
            {"type": "set_article_15c", "region": None, "level": "none", "armed_conflict": False},
            {
                "type": "set_article_15c",
                "level": "higher",
                "armed_conflict": True,
                "scope": {"areas": ["baghdad-belts"]},
            },
            {
                "type": "designate_group",
                "group": "yazidis",
                "category": "risk_profile",
                "label_nl": "Jezidi's",
                "label_en": "Yazidis",
            },
            {
                "type": "designate_group",
                "group": "journalists",
                "category": "risk_profile",
                "label_nl": "Journalisten",
                "label_en": "Journalists",
                "scope": {"regions": ["IQ-KR"]},
            },
            {"type": "set_protection", "group": None, "authorities_protect": False},
            {
                "type": "set_protection",
                "group": None,
                "authorities_protect": True,
                "scope": {"regions": ["IQ-KR"]},
            },
            {"type": "set_internal_protection_alternative", "region": "IQ-KR", "available": True},
        ],
    }
    body.update(overrides)
    return body


def post(client: TestClient, token: str, body: dict[str, Any], code: str = "IQ") -> Any:
    return client.post(f"/countries/{code}/amendments", json=body, headers=bearer(token))


@pytest.fixture
def iraq(client: TestClient, editor_token: str) -> dict[str, Any]:
    response = post(client, editor_token, iraq_2014())
    assert response.status_code == 201, response.text
    return dict(response.json())


def policy(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/countries/IQ/policy", params={"on": DAY, **params})
    assert response.status_code == 200, response.text
    return dict(response.json())


def moratoria(doc: dict[str, Any]) -> dict[str, str]:
    return {m["kind"]: m["scope"] for m in doc["moratoria"]}


# The policy for a place -------------------------------------------------------------


def test_an_applicant_from_basra_shows_no_moratorium_one_from_nineveh_does(
    client: TestClient, iraq: dict[str, Any]
) -> None:
    basra = policy(client, region="IQ-BA")
    nineveh = policy(client, region="IQ-NI")

    assert basra["moratoria"] == []
    assert basra["place"] == {
        "region": "IQ-BA",
        "name": basra["place"]["name"],
        "parents": [],
        "areas": [],
    }
    assert moratoria(nineveh) == {"decision": "IQ-NI", "departure": "IQ-NI"}
    assert nineveh["moratoria"][0]["until"] is None


def test_a_rule_for_a_region_holds_in_the_regions_it_contains(
    client: TestClient, iraq: dict[str, Any]
) -> None:
    arbil = policy(client, region="IQ-AR")  # Arbīl lies in IQ-KR, the Kurdistan Region

    assert arbil["place"]["parents"] == ["IQ-KR"]
    assert {g["id"]: g["scope"] for g in arbil["groups"]} == {
        "journalists": "IQ-KR",
        "yazidis": "country",
    }
    assert arbil["protection"]["general"]["scope"] == "IQ-KR"
    assert arbil["protection"]["general"]["authorities_protect"] is True
    assert arbil["internal_protection_alternative"]["general"]["scope"] == "IQ-KR"
    journalists = next(g for g in arbil["groups"] if g["id"] == "journalists")
    assert journalists["authorities_protect"] is True
    assert journalists["internal_protection_alternative"] is True
    basra = policy(client, region="IQ-BA")
    assert [g["id"] for g in basra["groups"]] == ["yazidis"]
    assert basra["protection"]["general"] == {**basra["protection"]["general"], "scope": "country"}
    assert basra["protection"]["general"]["authorities_protect"] is False
    assert basra["internal_protection_alternative"] == {}


def test_a_named_area_wins_over_its_region_and_the_country(
    client: TestClient, iraq: dict[str, Any]
) -> None:
    belts = policy(client, region="IQ-BG", area="baghdad-belts")
    city = policy(client, region="IQ-BG")

    assert belts["article_15c"]["scope"] == "area:baghdad-belts"
    assert belts["article_15c"]["level"] == "higher"
    assert city["article_15c"]["scope"] == "country"
    assert city["article_15c"]["level"] == "none"
    assert moratoria(belts) == {"decision": "IQ-BG", "departure": "IQ-BG"}
    area_only = policy(client, area="baghdad-belts")
    assert area_only["place"]["region"] is None
    assert area_only["article_15c"]["scope"] == "area:baghdad-belts"
    assert area_only["moratoria"] == []


def test_every_resolved_element_says_where_it_came_from(
    client: TestClient, iraq: dict[str, Any]
) -> None:
    doc = policy(client, region="IQ-NI")

    assert doc["coverage"] is True
    scopes = [g["scope"] for g in doc["groups"]]
    scopes += [
        e["scope"]
        for key in ("protection", "internal_protection_alternative")
        for e in doc[key].values()
    ]
    scopes += [doc["article_15c"]["scope"], *(m["scope"] for m in doc["moratoria"])]
    assert set(scopes) <= {"country", "IQ-NI"}
    assert doc["version_id"] == policy(client)["version_id"]


def test_the_whole_country_document_lists_scoped_rules_under_their_place(
    client: TestClient, iraq: dict[str, Any]
) -> None:
    doc = policy(client)

    assert "place" not in doc
    assert [(m["kind"], m["scope"]) for m in doc["moratoria"]] == sorted(
        (kind, region) for kind in ("decision", "departure") for region in MORATORIUM_REGIONS
    )
    assert [(g["id"], g.get("scope")) for g in doc["groups"]] == [
        ("journalists", "IQ-KR"),
        ("yazidis", None),
    ]
    assert set(doc["protection"]) == {"general", "general:IQ-KR"}
    assert set(doc["internal_protection_alternative"]) == {"general:IQ-KR"}
    belts = doc["article_15c"]["regions"]["area:baghdad-belts"]
    assert (belts["name"], belts["level"]) == ("Baghdad belts", "higher")
    assert doc["areas"]["baghdad-belts"]["within"] == ["IQ-BG"]
    assert doc["areas"]["baghdad-belts"]["label_nl"] == "Bagdad-gordels"


def test_the_place_answer_is_the_same_from_the_index_and_from_the_tables(
    client: TestClient, iraq: dict[str, Any]
) -> None:
    now = policy(client, region="IQ-AR", area="baghdad-belts")
    recorded = policy(client, region="IQ-AR", area="baghdad-belts", known_at="2999-01-01")

    assert {**now, "known_at": None} == {**recorded, "known_at": None}
    whole_now, whole_then = policy(client), policy(client, known_at="2999-01-01")
    assert {**whole_now, "known_at": None} == {**whole_then, "known_at": None}


def test_known_at_before_an_area_was_defined_refuses_it(
    client: TestClient, iraq: dict[str, Any]
) -> None:
    response = client.get(
        "/countries/IQ/policy",
        params={"on": DAY, "area": "baghdad-belts", "known_at": "2000-01-01"},
    )

    assert_problem(response, 422, "query.area")


def test_pakistan_answers_as_before_and_resolves_its_regions(
    client: TestClient, pakistan: Any
) -> None:
    whole = client.get("/countries/PK/policy", params={"on": "2024-11-26"}).json()
    balochistan = client.get(
        "/countries/PK/policy", params={"on": "2024-11-26", "region": "PK-BA"}
    ).json()
    punjab = client.get(
        "/countries/PK/policy", params={"on": "2024-11-26", "region": "pk-pb"}
    ).json()

    assert "areas" not in whole
    assert all("scope" not in g for g in whole["groups"])
    assert balochistan["article_15c"]["scope"] == "PK-BA"
    assert balochistan["article_15c"]["level"] == "lower"
    assert punjab["place"]["region"] == "PK-PB"
    assert punjab["article_15c"]["scope"] == "country"
    assert punjab["article_15c"]["level"] == "none"
    assert [g["id"] for g in punjab["groups"]] == [g["id"] for g in whole["groups"]]


def test_history_and_reaffirmation_of_a_scoped_element(
    client: TestClient, editor_token: str, iraq: dict[str, Any]
) -> None:
    later = "2015-01-01"
    body = iraq_2014(
        announced_on=later,
        in_force_from=later,
        changes=[
            {"type": "reaffirm", "element": "moratorium:decision:IQ-NI"},
            {"type": "lift_moratorium", "kind": "decision", "scope": {"regions": ["IQ-BG"]}},
            {
                "type": "revoke_group",
                "group": "journalists",
                "category": "risk_profile",
                "scope": {"regions": ["IQ-KR"]},
            },
        ],
        expected_version=iraq["version"],
    )
    response = post(client, editor_token, body)
    assert response.status_code == 201, response.text

    history = client.get("/countries/IQ/history/moratorium:decision:IQ-NI").json()
    assert [i["action"] for i in history["intervals"]] == ["impose_moratorium", "reaffirm"]
    baghdad = client.get("/countries/IQ/policy", params={"on": later, "region": "IQ-BG"}).json()
    assert moratoria(baghdad) == {"departure": "IQ-BG"}
    assert "journalists" not in {
        g["id"] for g in policy(client, on=later, region="IQ-AR")["groups"]
    }
    diff = client.get("/countries/IQ/diff", params={"from": DAY, "to": later}).json()
    assert {c["element"] for c in diff["changes"]} == {
        "moratorium:decision:IQ-BG",
        "group:journalists:IQ-KR",
    }


def test_a_scope_may_name_an_area_a_pending_amendment_defines(
    client: TestClient, editor_token: str
) -> None:
    pending = iraq_2014(
        in_force_from=None,
        changes=[
            {
                "type": "define_area",
                "area": "baghdad-city",
                "label_nl": "Stad Bagdad",
                "label_en": "City of Baghdad",
            }
        ],
    )
    first = post(client, editor_token, pending)
    assert first.status_code == 201, first.text
    scoped = iraq_2014(
        changes=[
            {
                "type": "set_internal_protection_alternative",
                "available": True,
                "scope": {"areas": ["baghdad-city"]},
            }
        ],
        expected_version=first.json()["version"],
    )

    response = post(client, editor_token, scoped)

    assert response.status_code == 201, response.text
    doc = policy(client, area="baghdad-city")  # pending on DAY: defined
    assert doc["internal_protection_alternative"]["general"]["scope"] == "area:baghdad-city"
    whole = policy(client)
    assert whole["article_15c"]["regions"] == {}
    assert "areas" not in whole  # pending: not in force, not in the state
    assert set(whole["internal_protection_alternative"]) == {"general:area:baghdad-city"}


# Bad input: 422 naming the field, nothing stored ------------------------------------


def test_a_region_of_another_country_in_a_scope_is_refused(
    client: TestClient, editor_token: str, iraq: dict[str, Any]
) -> None:
    changes = [
        {"type": "impose_moratorium", "kind": "decision", "scope": {"regions": ["IQ-NI", "SY-HL"]}}
    ]
    _refused(
        client,
        lambda: post(
            client, editor_token, iraq_2014(changes=changes, expected_version=iraq["version"])
        ),
        "body.changes.0.scope.regions.1",
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {
                "type": "set_article_15c",
                "level": "none",
                "armed_conflict": False,
                "scope": {"areas": ["nowhere"]},
            },
            "body.changes.0.scope.areas.0",
        ),
        ({"type": "reaffirm", "element": "group:pti:area:nowhere"}, "body.changes.0.element"),
        ({"type": "reaffirm", "element": "group:pti:SY-HL"}, "body.changes.0.element"),
        (
            {
                "type": "set_internal_protection_alternative",
                "region": "IQ-NI",
                "available": True,
                "scope": {"regions": ["IQ-NI"]},
            },
            "body.changes.0.scope",
        ),
        (
            {
                "type": "define_area",
                "area": "x",
                "label_nl": "x",
                "label_en": "x",
                "within": ["SY-HL"],
            },
            "body.changes.0.within.0",
        ),
        (
            {
                "type": "revoke_group",
                "group": "yazidis",
                "category": "risk_profile",
                "scope": {"regions": ["IQ-BA"]},
            },
            "body.changes.0.group",
        ),
    ],
)
def test_bad_places_are_refused(
    client: TestClient, editor_token: str, iraq: dict[str, Any], change: dict[str, Any], field: str
) -> None:
    body = iraq_2014(changes=[change], expected_version=iraq["version"])
    _refused(client, lambda: post(client, editor_token, body), field)


@pytest.mark.parametrize(
    "scope",
    [
        {},
        {"regions": []},
        {"regions": ["IQ-NI", "IQ-NI"]},
        {"areas": ["Not An Id"]},
        {"regions": ["iraq"]},
    ],
)
def test_malformed_scopes_are_refused(
    client: TestClient, editor_token: str, iraq: dict[str, Any], scope: dict[str, Any]
) -> None:
    change = {"type": "lift_moratorium", "kind": "decision", "scope": scope}
    body = iraq_2014(changes=[change], expected_version=iraq["version"])
    problem = _refused(client, lambda: post(client, editor_token, body), None)
    assert any(e["field"].startswith("body.changes.0") for e in problem["errors"])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"region": "SY-HL"}, "query.region"),
        ({"region": "IQ-ZZ"}, "query.region"),
        ({"region": ""}, "query.region"),
        ({"region": "IQ-NI", "area": "nowhere"}, "query.area"),
        ({"area": ["baghdad-belts", "x" * 500]}, "query.area"),
        ({"area": [f"a{i}" for i in range(21)]}, "query.area"),
    ],
)
def test_a_place_not_of_the_country_is_refused_on_read(
    client: TestClient, iraq: dict[str, Any], params: dict[str, Any], field: str
) -> None:
    for extra in ({}, {"known_at": "2999-01-01"}):
        response = client.get("/countries/IQ/policy", params={"on": DAY, **params, **extra})
        assert_problem(response, 422, field)


def _refused(client: TestClient, send: Callable[[], Any], field: str | None) -> dict[str, Any]:
    before = snapshot(client)
    problem = assert_problem(send(), 422, field)
    assert snapshot(client) == before, "a refused write stored something"
    return problem


# The other faces --------------------------------------------------------------------


def test_the_cli_answers_for_a_region_and_areas(
    iraq: dict[str, Any], run_cli: Callable[..., str], open_ledger: Callable[..., Services]
) -> None:
    import json

    doc = json.loads(
        run_cli(
            "policy", "IQ", "--on", DAY, "--region", "IQ-BG", "--area", "baghdad-belts", "--json"
        )
    )
    text = run_cli("policy", "IQ", "--on", DAY, "--region", "IQ-NI")

    assert doc["article_15c"]["scope"] == "area:baghdad-belts"
    assert "IQ-NI" in text
    assert "moratorium:decision" in text


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_the_country_page_answers_for_a_region(
    client: TestClient, iraq: dict[str, Any], lang: str
) -> None:
    page = client.get("/countries/IQ", params={"on": DAY, "region": "IQ-NI", "lang": lang})
    whole = client.get("/countries/IQ", params={"on": DAY, "lang": lang})

    assert page.status_code == 200, page.text
    assert whole.status_code == 200, whole.text
    assert 'name="region"' in page.text
    assert 'value="IQ-NI"' in page.text
    assert ("For a person from" if lang == "en" else "Voor iemand uit") in page.text
    bad = client.get("/countries/IQ", params={"on": DAY, "region": "SY-HL", "lang": lang})
    assert bad.status_code == 422
