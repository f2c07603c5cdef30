"""The public histories of data/ (Afghanistan, Syria) answer over HTTP what their sources say,
on SQLite and PostgreSQL: the Syria moratorium's last day ("tot en met 13 juni 2025"), its
exceptions as published by a date, the Afghan decree of 20 August 2021 in force from 26
August, the cases the IND may still decide, and a person from the city of Kabul (a defined
area within AF-KAB). docs/data.md names the source of each fact asserted here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.bootstrap import Services
from domain.loader import record_path

DATA = Path(__file__).parents[2] / "data"


@pytest.fixture
def data(client: TestClient, open_ledger: Callable[..., Services]) -> None:
    """The whole data/ folder, recorded as `./dev demo` records it."""
    record_path(open_ledger().app, DATA, author="tester", skip_loaded=True)


def policy(client: TestClient, code: str, on: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/countries/{code}/policy", params={"on": on, **params})
    assert response.status_code == 200, response.text
    return dict(response.json())


def moratoria(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["kind"]: m for m in doc["moratoria"]}


def kinds(doc: dict[str, Any]) -> set[str | None]:
    """The application types a decision moratorium's exceptions name (None: a text only)."""
    return {e.get("application_type") for e in moratoria(doc)["decision"]["exceptions"]}


# Syria --------------------------------------------------------------------------------


@pytest.mark.usefixtures("data")
def test_the_syria_decision_moratorium_holds_through_13_june_2025(client: TestClient) -> None:
    last_day = moratoria(policy(client, "SY", "2025-06-13"))["decision"]
    after = policy(client, "SY", "2025-06-14")

    assert (last_day["through"], last_day["until"]) == ("2025-06-13", "2025-06-14")
    assert "decision" not in moratoria(after)
    assert moratoria(policy(client, "SY", "2024-12-13")) == {}
    assert moratoria(policy(client, "SY", "2024-12-14"))["decision"]["since"] == "2024-12-14"


@pytest.mark.usefixtures("data")
def test_family_reunification_is_outside_the_syria_moratorium_from_the_letter_of_18_december(
    client: TestClient,
) -> None:
    before = policy(client, "SY", "2024-12-17")
    after = policy(client, "SY", "2024-12-18")

    assert kinds(before) == {None}  # the two exceptions the press names, in words
    assert kinds(after) == {None, "family_reunification"}
    assert set(moratoria(after)) == {"decision", "departure"}
    # Kamerstuk 19637, nr. 3325 attests what held on 18 December: before it, the answer
    # says so rather than reading "not recorded" as "not so".
    attested = {a["element"]: a["attested_from"] for a in before["attested_later"]}
    assert attested == {
        "moratorium:decision": "2024-12-18",
        "moratorium:departure": "2024-12-18",
    }


@pytest.mark.usefixtures("data")
def test_as_published_by_a_date_the_syria_moratorium_knows_only_what_was_published(
    client: TestClient,
) -> None:
    before_letter = policy(client, "SY", "2024-12-20", published_by="2024-12-17")
    with_letter = policy(client, "SY", "2024-12-20", published_by="2024-12-18")
    before_announcement = policy(client, "SY", "2024-12-20", published_by="2024-12-08")

    assert before_letter["published_by"] == "2024-12-17"
    assert set(moratoria(before_letter)) == {"decision"}
    assert kinds(before_letter) == {None}
    assert kinds(with_letter) == {None, "family_reunification"}
    assert set(moratoria(with_letter)) == {"decision", "departure"}
    assert moratoria(before_announcement) == {}
    assert [n["topic"] for n in before_announcement["notes"]] == ["real_risk_on_return"]


# Afghanistan ----------------------------------------------------------------------------


@pytest.mark.usefixtures("data")
def test_the_afghan_decision_moratorium_is_in_force_from_26_august_2021(
    client: TestClient,
) -> None:
    assert moratoria(policy(client, "AF", "2021-08-25")) == {}
    decree = moratoria(policy(client, "AF", "2021-08-26"))
    assert set(decree) == {"decision"}  # the ruling names the decision moratorium only
    assert decree["decision"]["until"] is None  # "voor de duur van zes maanden": no last day
    assert [s["reference"] for s in decree["decision"]["sources"]] == ["ECLI:NL:RBDHA:2023:21120"]
    assert decree["decision"]["sources"][0]["date"] is None


@pytest.mark.usefixtures("data")
def test_a_person_from_the_city_of_kabul_in_march_2022(client: TestClient) -> None:
    kabul = policy(client, "AF", "2022-03-01", region="AF-KAB", area="kabul-city")

    assert kabul["place"] == {
        "region": "AF-KAB",
        "name": kabul["place"]["name"],
        "parents": [],
        "areas": ["kabul-city"],
    }
    extension = moratoria(kabul)
    assert {k: m["scope"] for k, m in extension.items()} == {
        "decision": "country",
        "departure": "country",
    }
    assert len(extension["decision"]["exceptions"]) == 5  # the cases the IND may decide
    # The letter naming the city an internal protection alternative gives no in-force date:
    # pending, so nothing is stated for the city yet.
    assert kabul["internal_protection_alternative"] == {}
    assert "Kamerstuk 19637, nr. 2527" in {
        s["reference"] for p in kabul["pending"] for s in p["sources"]
    }


@pytest.mark.usefixtures("data")
def test_the_whole_country_lists_the_cities_as_defined_areas(client: TestClient) -> None:
    doc = policy(client, "AF", "2022-03-01")
    assert doc.get("areas", {}) == {}  # defined in a pending letter: not in force
    city = client.get(
        "/countries/AF/policy", params={"on": "2022-03-01", "region": "AF-HER", "area": "herat"}
    )
    assert city.status_code == 422  # the area is "herat-city"; "herat" is not defined
    assert city.json()["errors"][0]["field"] == "query.area"
