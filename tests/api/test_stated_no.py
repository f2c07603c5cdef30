"""Policy model v2, points 3 to 6, over HTTP on SQLite and PostgreSQL: a stated no
(`decline_group`), an element no longer stated (`withdraw`), a whole list replaced
(`replace_groups`) and elements attested from a later date (`attested_later`).
Each answer is read twice: from the in-process index (as known now) and from the SQL rows
(`known_at`), which must agree.
"""

from __future__ import annotations

from typing import Any

import pytest
from api_support import Demo, amendment, assert_problem, bearer, group_ids, snapshot
from fastapi.testclient import TestClient

FAR = "9999-12-31T00:00:00Z"

SHIA_NO = {
    "type": "decline_group",
    "group": "shia",
    "category": "vulnerable_minority",
    "label_nl": "Sjiitische moslims",
    "label_en": "Shia Muslims",
}


def write(
    client: TestClient, token: str, version: int, changes: list[dict[str, Any]], **fields: Any
) -> int:
    body = amendment(changes=changes, expected_version=version, **fields)
    response = client.post("/countries/PK/amendments", json=body, headers=bearer(token))
    assert response.status_code == 201, response.text
    return int(response.json()["version"])


def refused(client: TestClient, token: str, version: int, changes: list, field: str) -> dict:
    before = snapshot(client)
    body = amendment(changes=changes, expected_version=version)
    response = client.post("/countries/PK/amendments", json=body, headers=bearer(token))
    problem = assert_problem(response, 422, field)
    assert snapshot(client) == before, "a refused write stored something"
    return problem


def policy(client: TestClient, on: str) -> dict[str, Any]:
    """The answer as known now (index) and as known at a far moment (SQL): the same."""
    now = client.get("/countries/PK/policy", params={"on": on})
    assert now.status_code == 200, now.text
    sql = client.get("/countries/PK/policy", params={"on": on, "known_at": FAR})
    assert sql.status_code == 200, sql.text
    a, b = now.json(), sql.json()
    for doc in (a, b):
        doc.pop("known_at")
    assert a == b
    assert list(a) == list(b)  # the same fields in the same order
    return dict(a)


def history(client: TestClient, element: str) -> list[dict[str, Any]]:
    response = client.get(f"/countries/PK/history/{element}")
    assert response.status_code == 200, response.text
    return list(response.json()["intervals"])


def diff(client: TestClient, first: str, second: str) -> dict[str, dict[str, Any]]:
    response = client.get("/countries/PK/diff", params={"from": first, "to": second})
    assert response.status_code == 200, response.text
    return {c["element"]: c for c in response.json()["changes"]}


# 3. Stated no -----------------------------------------------------------------------


def test_a_declined_group_is_listed_apart_until_designated(
    client: TestClient, editor_token: str, pakistan: Demo
) -> None:
    version = write(client, editor_token, pakistan.version, [SHIA_NO])
    designate = {**SHIA_NO, "type": "designate_group"}
    write(client, editor_token, version, [designate], in_force_from="2025-03-01")

    assert policy(client, "2025-01-09")["declined_groups"] == []
    on = policy(client, "2025-01-10")
    (declined,) = on["declined_groups"]
    assert declined["id"] == "shia"
    assert declined["category"] == "vulnerable_minority"
    assert (declined["label_en"], declined["since"]) == ("Shia Muslims", "2025-01-10")
    assert "declined" not in declined  # the section says it
    assert set(declined) == set(on["groups"][0])  # the same fields as groups
    assert "shia" not in group_ids(on)
    later = policy(client, "2025-03-01")
    assert later["declined_groups"] == []
    assert "shia" in group_ids(later)
    assert [i["action"] for i in history(client, "group:shia")] == [
        "decline_group",
        "designate_group",
    ]


def test_a_decline_is_not_a_designation_to_revoke(
    client: TestClient, editor_token: str, pakistan: Demo
) -> None:
    version = write(client, editor_token, pakistan.version, [SHIA_NO])
    revoke = {"type": "revoke_group", "group": "shia", "category": "vulnerable_minority"}
    refused(client, editor_token, version, [revoke], "body.changes.0.group")


def test_a_decline_ends_a_designation_of_that_group(
    client: TestClient, editor_token: str, pakistan: Demo
) -> None:
    no = {**SHIA_NO, "group": "pti", "category": "risk_profile"}
    write(client, editor_token, pakistan.version, [no])

    on = policy(client, "2025-01-10")
    assert "pti" not in group_ids(on)
    assert [g["id"] for g in on["declined_groups"]] == ["pti"]
    change = diff(client, "2025-01-09", "2025-01-10")["group:pti"]
    assert change["kind"] == "changed"
    assert change["after"]["declined"] is True
    assert change["amendment"]["title"] == "Test letter"


# 4. No longer stated ----------------------------------------------------------------


def test_a_withdrawn_element_is_not_stated_from_its_date(
    client: TestClient, editor_token: str, pakistan: Demo
) -> None:
    write(client, editor_token, pakistan.version, [{"type": "withdraw", "element": "group:pti"}])

    assert "pti" in group_ids(policy(client, "2025-01-09"))
    after = policy(client, "2025-01-10")
    assert "pti" not in group_ids(after)
    assert "pti" not in [g["id"] for g in after["declined_groups"]]  # not stated, not "no"
    last = history(client, "group:pti")[-1]
    assert (last["valid_from"], last["value"], last["action"]) == ("2025-01-10", None, "withdraw")
    assert last["amendment"]["title"] == "Test letter"
    change = diff(client, "2025-01-09", "2025-01-10")["group:pti"]
    assert (change["kind"], change["amendment"]["title"]) == ("removed", "Test letter")


def test_a_withdrawal_ends_a_decline(client: TestClient, editor_token: str, pakistan: Demo) -> None:
    version = write(client, editor_token, pakistan.version, [SHIA_NO])
    withdraw = {"type": "withdraw", "element": "group:shia"}
    write(client, editor_token, version, [withdraw], in_force_from="2025-02-01")

    assert [g["id"] for g in policy(client, "2025-01-31")["declined_groups"]] == ["shia"]
    assert policy(client, "2025-02-01")["declined_groups"] == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ([{"type": "withdraw", "element": "moratorium:decision"}], "body.changes.0.element"),
        ([{"type": "withdraw", "element": "group:nobody"}], "body.changes.0.element"),
        (
            [
                {"type": "withdraw", "element": "group:pti"},
                {"type": "withdraw", "element": "group:pti"},
            ],
            "body.changes.1.element",
        ),
        ([{"type": "withdraw", "element": "article_15c:IQ-BG"}], "body.changes.0.element"),
        ([{"type": "withdraw", "element": "nothing"}], "body.changes.0.withdraw.element"),
    ],
)
def test_withdrawing_what_is_not_stated_is_422(
    client: TestClient, editor_token: str, pakistan: Demo, changes: list, field: str
) -> None:
    refused(client, editor_token, pakistan.version, changes, field)


def test_a_withdrawal_is_checked_on_its_date(
    client: TestClient, editor_token: str, pakistan: Demo
) -> None:
    # PTI is designated from 2024-11-26: not yet on the 25th.
    withdraw = [{"type": "withdraw", "element": "group:pti"}]
    before = snapshot(client)
    body = amendment(
        changes=withdraw,
        announced_on="2024-11-25",
        in_force_from="2024-11-25",
        expected_version=pakistan.version,
    )
    response = client.post("/countries/PK/amendments", json=body, headers=bearer(editor_token))
    assert_problem(response, 422, "body.changes.0.element")
    assert snapshot(client) == before


# 5. Whole lists ---------------------------------------------------------------------


def listed(*groups: str) -> list[dict[str, str]]:
    return [{"group": g, "label_nl": g.title(), "label_en": g.title()} for g in groups]


def test_a_replaced_list_ends_every_other_designation_in_the_category(
    client: TestClient, editor_token: str, pakistan: Demo
) -> None:
    version = write(client, editor_token, pakistan.version, [SHIA_NO])
    replace = {
        "type": "replace_groups",
        "category": "risk_profile",
        "groups": listed("ahmadis", "christians", "sikhs"),
    }
    write(client, editor_token, version, [replace], in_force_from="2025-02-01")

    before = policy(client, "2025-01-31")
    assert {"pti", "hazaras", "lgbti"} <= group_ids(before)
    after = policy(client, "2025-02-01")
    assert group_ids(after) == {"ahmadis", "christians", "sikhs"}
    assert [g["id"] for g in after["declined_groups"]] == ["shia"]  # a no is not a designation
    changes = diff(client, "2025-01-31", "2025-02-01")
    for ended in ("pti", "hazaras", "lgbti", "apostates", "journalists_hrd"):
        assert changes[f"group:{ended}"]["kind"] == "removed"
        assert changes[f"group:{ended}"]["amendment"]["title"] == "Test letter"
        last = history(client, f"group:{ended}")[-1]
        assert (last["valid_from"], last["value"], last["action"]) == (
            "2025-02-01",
            None,
            "replace_groups",
        )
    assert changes["group:sikhs"]["kind"] == "added"
    assert changes["group:ahmadis"]["kind"] == "changed"  # relabelled by the list
    assert "group:shia" not in changes


def test_a_later_recorded_designation_of_the_same_date_survives_a_replacement(
    client: TestClient, editor_token: str, pakistan: Demo
) -> None:
    replace = {"type": "replace_groups", "category": "risk_profile", "groups": listed("ahmadis")}
    designate = {
        "type": "designate_group",
        "group": "pti",
        "category": "risk_profile",
        "label_nl": "PTI",
        "label_en": "PTI",
    }
    version = write(client, editor_token, pakistan.version, [designate])  # earlier: ended
    version = write(client, editor_token, version, [replace])
    assert group_ids(policy(client, "2025-01-10")) == {"ahmadis"}
    write(client, editor_token, version, [{**designate, "group": "hazaras"}])  # later: wins
    assert group_ids(policy(client, "2025-01-10")) == {"ahmadis", "hazaras"}


def test_a_replacement_of_another_category_leaves_risk_profiles_alone(
    client: TestClient, editor_token: str, pakistan: Demo
) -> None:
    replace = {"type": "replace_groups", "category": "group_persecution", "groups": []}
    write(client, editor_token, pakistan.version, [replace])
    assert group_ids(policy(client, "2025-01-10")) == group_ids(policy(client, "2025-01-09"))


def test_a_group_listed_twice_is_422(client: TestClient, editor_token: str, pakistan: Demo) -> None:
    replace = {
        "type": "replace_groups",
        "category": "risk_profile",
        "groups": listed("ahmadis", "ahmadis"),
    }
    refused(client, editor_token, pakistan.version, [replace], "body.changes.0.groups.1.group")


# 6. Attested, start unknown ---------------------------------------------------------


def test_a_date_before_an_attestation_lists_what_it_attests(
    client: TestClient, pakistan: Demo
) -> None:
    before = policy(client, "2024-11-24")
    assert before["coverage"] is False
    assert before["groups"] == []  # nothing is filled in
    attested = before["attested_later"]
    assert [a["element"] for a in attested] == [
        "group:ahmadis",
        "group:apostates",
        "group:christians",
        "group:hazaras",
        "group:journalists_hrd",
        "group:lgbti",
    ]
    assert {a["attested_from"] for a in attested} == {"2024-11-25"}
    assert {a["amendment"] for a in attested} == {pakistan.attestation}
    assert attested[0]["value"] == {
        "category": "risk_profile",
        "label_nl": "Ahmadi's",
        "label_en": "Ahmadis",
    }
    assert policy(client, "2024-11-25")["attested_later"] == []


def test_an_attested_value_already_stated_on_the_date_is_not_listed(
    client: TestClient, editor_token: str, pakistan: Demo
) -> None:
    # Hazaras designated from 2024-10-01 with the value the attestation states.
    hazaras = {
        "type": "designate_group",
        "group": "hazaras",
        "category": "risk_profile",
        "label_nl": "Hazara's",
        "label_en": "Hazaras",
    }
    write(
        client,
        editor_token,
        pakistan.version,
        [hazaras],
        announced_on="2024-10-01",
        in_force_from="2024-10-01",
    )
    attested = policy(client, "2024-10-15")["attested_later"]
    assert "group:hazaras" not in [a["element"] for a in attested]
    assert len(attested) == 5


def test_a_retracted_attestation_attests_nothing(
    client: TestClient, editor_token: str, pakistan: Demo
) -> None:
    response = client.post(
        f"/countries/PK/amendments/{pakistan.attestation}/retraction",
        json={"reason": "test", "expected_version": pakistan.version},
        headers=bearer(editor_token),
    )
    assert response.status_code in (200, 201), response.text
    assert policy(client, "2024-11-24")["attested_later"] == []


def test_attested_later_does_not_change_versions(client: TestClient, pakistan: Demo) -> None:
    on = policy(client, "2024-11-25")
    version = client.get(f"/countries/PK/versions/{on['version_id']}").json()
    assert "attested_later" not in version
    assert on["attested_later"] == []


# Pages --------------------------------------------------------------------------------------


def test_the_country_page_shows_declines_and_attested_elements(
    client: TestClient, editor_token: str, pakistan: Demo
) -> None:
    replace = {"type": "replace_groups", "category": "risk_profile", "groups": listed("sikhs")}
    write(client, editor_token, pakistan.version, [SHIA_NO, replace])

    page = client.get("/countries/PK", params={"on": "2025-01-10"}).text
    assert 'id="declined_groups"' in page
    assert "Shia Muslims" in page
    assert "Not: vulnerable minority group" in page
    dutch = client.get("/countries/PK", params={"on": "2025-01-10", "lang": "nl"}).text
    assert "Uitdrukkelijk niet aangewezen" in dutch
    assert "Sjiitische moslims" in dutch

    before = client.get("/countries/PK", params={"on": "2024-11-24"}).text
    assert 'id="attested-later"' in before
    assert 'data-element="group:ahmadis"' in before

    timeline = client.get("/countries/PK/timeline").json()["amendments"]
    letter = client.get(f"/countries/PK/amendments/{timeline[-1]['id']}")
    assert letter.status_code == 200
    assert "list replaced (risk profile): now exactly: Sikhs" in letter.text


def test_a_replacement_for_a_place_ends_only_that_places_designations(
    client: TestClient, editor_token: str, pakistan: Demo
) -> None:
    def designate(group: str, label: str) -> dict[str, Any]:
        return {
            "type": "designate_group",
            "group": group,
            "category": "risk_profile",
            "label_nl": label,
            "label_en": label,
            "scope": {"regions": ["PK-BA"]},
        }

    version = write(client, editor_token, pakistan.version, [designate("baloch", "Baloch")])
    version = write(client, editor_token, version, [designate("pashtuns", "Pashtuns")])
    replace = {
        "type": "replace_groups",
        "category": "risk_profile",
        "groups": listed("baloch"),
        "scope": {"regions": ["PK-BA"]},
    }
    write(client, editor_token, version, [replace], in_force_from="2025-02-01")

    changes = diff(client, "2025-01-31", "2025-02-01")
    assert changes["group:pashtuns:PK-BA"]["kind"] == "removed"
    assert "group:baloch:PK-BA" not in changes or changes["group:baloch:PK-BA"]["kind"] == "changed"
    # The whole country's list is another list: the Pakistan demo's groups stay.
    assert not any(element.startswith("group:") and element.count(":") == 1 for element in changes)
    after = policy(client, "2025-02-01")
    assert {"ahmadis", "pti"} <= group_ids(after)
    placed = client.get(
        "/countries/PK/policy", params={"on": "2025-02-01", "region": "PK-BA"}
    ).json()
    assert "pashtuns" not in group_ids(placed)
    assert "baloch" in group_ids(placed)


def test_a_replacement_for_a_region_of_another_country_is_refused(
    client: TestClient, editor_token: str, pakistan: Demo
) -> None:
    replace = {
        "type": "replace_groups",
        "category": "risk_profile",
        "groups": listed("ahmadis"),
        "scope": {"regions": ["IQ-BG"]},
    }
    refused(client, editor_token, pakistan.version, [replace], "body.changes.0.scope.regions.0")
