"""Policy model v2, points 7, 8, 9 and 11 (issue 14), over HTTP on SQLite and PostgreSQL:
exceptions, a moratorium's end both ways, sources per change, the new group categories,
who protects, and an Article 15(c) bound. Each answer is asked of the SQL read model (with
`known_at`) and of the in-process index (without), and both must agree.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from api_support import Demo, amendment, assert_problem, bearer, snapshot
from fastapi.testclient import TestClient

Doc = dict[str, Any]
LETTER = {"kind": "kamerstuk", "reference": "Kamerstuk 19637, nr. 1111", "date": "2024-12-09"}
RULING = {"kind": "ecli", "reference": "ECLI:NL:RVS:2024:2927", "date": "2024-07-17"}
UNDATED = {"kind": "kamerstuk", "reference": "Kamerstuk 19637, nr. 2222"}


def record(client: TestClient, token: str, code: str, body: Doc) -> Doc:
    response = client.post(f"/countries/{code}/amendments", json=body, headers=bearer(token))
    assert response.status_code == 201, response.text
    return dict(response.json())


def sy_amendment(changes: list[Doc], **overrides: Any) -> Doc:
    body: Doc = {
        "announced_on": "2024-12-09",
        "in_force_from": "2024-12-09",
        "title": "Syria",
        "sources": [LETTER, RULING],
        "rationale": "A test history.",
        "changes": changes,
    }
    body.update(overrides)
    return body


def policy_both_ways(client: TestClient, code: str, on: str) -> Doc:
    """The policy from the SQL rows (known_at given) and from the index (not given): the same
    document."""
    from_index = client.get(f"/countries/{code}/policy", params={"on": on})
    from_sql = client.get(
        f"/countries/{code}/policy", params={"on": on, "known_at": "9999-12-31T00:00:00Z"}
    )
    assert from_index.status_code == from_sql.status_code == 200, from_sql.text
    index_doc, sql_doc = from_index.json(), from_sql.json()
    for doc in (index_doc, sql_doc):
        doc.pop("known_at")
    assert index_doc == sql_doc
    return dict(sql_doc)


# 7. Exceptions ---------------------------------------------------------------------------


def test_exceptions_show_with_the_rule(client: TestClient, editor_token: str) -> None:
    supporters = {"group": "regime_supporters", "text": "Proven active supporters of the regime"}
    created = record(
        client,
        editor_token,
        "SY",
        sy_amendment(
            [
                {
                    "type": "designate_group",
                    "group": "regime_supporters",
                    "category": "special_policy",
                    "label_nl": "Actieve aanhangers van het regime",
                    "label_en": "Active supporters of the regime",
                },
                {
                    "type": "set_article_15c",
                    "level": "most_exceptional",
                    "armed_conflict": True,
                    "exceptions": [supporters],
                },
                {
                    "type": "impose_moratorium",
                    "kind": "decision",
                    "through": "2025-06-08",
                    "exceptions": [
                        {"text": "Applications older than 21 months"},
                        {"text": "Family reunification"},
                    ],
                },
                {"type": "set_internal_protection_alternative", "available": False},
            ]
        ),
    )

    doc = policy_both_ways(client, "SY", "2025-01-01")

    assert doc["article_15c"]["default"]["exceptions"] == [supporters]
    assert doc["moratoria"][0]["exceptions"] == [
        {"group": None, "text": "Applications older than 21 months"},
        {"group": None, "text": "Family reunification"},
    ]
    # None stated: no key at all, never an empty list presented as policy.
    assert "exceptions" not in doc["internal_protection_alternative"]["general"]
    assert "exceptions" not in doc["groups"][0]
    # Every page shows them in words, in both languages.
    amendment_page = f"/countries/SY/amendments/{created['amendment_id']}"
    pages = ["/countries/SY", "/countries/SY/chart", "/countries/SY/changes", amendment_page]
    for lang, words in (("en", "Except: Family reunification"), ("nl", "Uitgezonderd:")):
        for path in pages:
            response = client.get(path, params={"lang": lang, "on": "2025-01-01"})
            assert response.status_code == 200, (path, response.text)
        page = client.get("/countries/SY", params={"lang": lang, "on": "2025-01-01"}).text
        assert words in page.replace("Applications older than 21 months; ", "")
        assert ("Special policy" if lang == "en" else "Bijzonder beleid") in page


def test_an_exception_for_an_unknown_group_is_refused(
    client: TestClient, editor_token: str, pakistan: Demo
) -> None:
    body = amendment(
        expected_version=pakistan.version,
        changes=[
            {
                "type": "set_article_15c",
                "region": "PK-BA",
                "level": "higher",
                "armed_conflict": True,
                "exceptions": [{"text": "ok"}, {"group": "druids", "text": "Druids"}],
            }
        ],
    )
    _refused(client, editor_token, "PK", body, "body.changes.0.exceptions.1.group")


def test_an_exception_may_name_a_group_of_any_date_or_category(
    client: TestClient, editor_token: str, pakistan: Demo
) -> None:
    """ "Known" is designated at any time (here: PTI, designated after the 2020 date asked)."""
    body = amendment(
        expected_version=pakistan.version,
        announced_on="2020-01-01",
        in_force_from="2020-01-01",
        changes=[
            {
                "type": "set_internal_protection_alternative",
                "available": True,
                "exceptions": [{"group": "pti", "text": "PTI leaders and members"}],
            }
        ],
    )
    record(client, editor_token, "PK", body)

    doc = policy_both_ways(client, "PK", "2020-06-01")

    assert doc["internal_protection_alternative"]["general"]["exceptions"] == [
        {"group": "pti", "text": "PTI leaders and members"}
    ]


# 8. Moratorium ends ----------------------------------------------------------------------


@pytest.mark.parametrize("end", [{"through": "2025-08-24"}, {"until": "2025-08-25"}])
def test_a_moratorium_end_is_answered_both_ways(
    client: TestClient, editor_token: str, end: Doc
) -> None:
    record(
        client,
        editor_token,
        "SY",
        sy_amendment([{"type": "impose_moratorium", "kind": "decision", **end}]),
    )

    last_day = policy_both_ways(client, "SY", "2025-08-24")
    first_without = policy_both_ways(client, "SY", "2025-08-25")

    (moratorium,) = last_day["moratoria"]
    assert (moratorium["until"], moratorium["through"]) == ("2025-08-25", "2025-08-24")
    assert first_without["moratoria"] == []
    # Stated either way, it is the same value: the same version.
    history = client.get("/countries/SY/history/moratorium:decision").json()
    assert history["intervals"][0]["value"] == {"until": "2025-08-25", "through": "2025-08-24"}
    assert history["intervals"][0]["valid_to"] == "2025-08-25"


def test_an_open_ended_moratorium_has_neither_end(client: TestClient, editor_token: str) -> None:
    record(
        client,
        editor_token,
        "SY",
        sy_amendment([{"type": "impose_moratorium", "kind": "departure"}]),
    )

    (moratorium,) = policy_both_ways(client, "SY", "2030-01-01")["moratoria"]

    assert (moratorium["until"], moratorium["through"]) == (None, None)


def test_the_same_moratorium_either_way_is_the_same_state(
    client: TestClient, editor_token: str
) -> None:
    states = []
    for code, end in (("SY", {"through": "2025-08-24"}), ("IQ", {"until": "2025-08-25"})):
        record(
            client,
            editor_token,
            code,
            sy_amendment([{"type": "impose_moratorium", "kind": "decision", **end}]),
        )
        version_id = policy_both_ways(client, code, "2025-01-01")["version_id"]
        states.append(client.get(f"/countries/{code}/versions/{version_id}").json()["elements"])

    assert states[0] == states[1] == {"moratorium:decision": {"until": "2025-08-25"}}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"until": "2025-08-25", "through": "2025-08-24"},
            "body.changes.0.impose_moratorium.through",
        ),
        ({"through": "2025-01-09"}, "body.changes.0.through"),
        ({"through": "2025-01-10"}, None),  # ends the day it starts: one day of moratorium
    ],
)
def test_moratorium_ends_that_are_refused(
    client: TestClient, editor_token: str, pakistan: Demo, change: Doc, field: str | None
) -> None:
    body = amendment(
        expected_version=pakistan.version,
        changes=[{"type": "impose_moratorium", "kind": "decision", **change}],
    )
    if field is None:
        record(client, editor_token, "PK", body)
        doc = policy_both_ways(client, "PK", "2025-01-10")
        assert doc["moratoria"][0]["through"] == "2025-01-10"
        return
    _refused(client, editor_token, "PK", body, field)


# 9. Sources per change -------------------------------------------------------------------


def test_an_element_lists_only_the_sources_its_change_cites(
    client: TestClient, editor_token: str
) -> None:
    record(
        client,
        editor_token,
        "SY",
        sy_amendment(
            [
                {
                    "type": "set_article_15c",
                    "level": "lower",
                    "armed_conflict": True,
                    "sources": [1],
                },
                {
                    "type": "designate_group",
                    "group": "journalists",
                    "category": "risk_profile",
                    "label_nl": "Journalisten",
                    "label_en": "Journalists",
                    "sources": [0],
                },
                {"type": "set_unaccompanied_minors_reception", "adequate": True},
            ],
            sources=[LETTER, RULING, UNDATED],
        ),
    )

    doc = policy_both_ways(client, "SY", "2025-01-01")

    refs = [s["reference"] for s in doc["article_15c"]["default"]["sources"]]
    assert refs == ["ECLI:NL:RVS:2024:2927"]
    assert [s["reference"] for s in doc["groups"][0]["sources"]] == [LETTER["reference"]]
    # Citing none of its own: every source of the amendment, an undated one with date null.
    minors = doc["unaccompanied_minors"]["sources"]
    assert [s["reference"] for s in minors] == [s["reference"] for s in (LETTER, RULING, UNDATED)]
    assert minors[2]["date"] is None
    diff = client.get("/countries/SY/diff", params={"from": "2024-01-01", "to": "2025-01-01"})
    by_element = {c["element"]: c for c in diff.json()["changes"]}
    assert [s["reference"] for s in by_element["article_15c:default"]["sources"]] == [
        RULING["reference"]
    ]


def test_a_kamerstuk_without_a_date_is_accepted(
    client: TestClient, editor_token: str, pakistan: Demo
) -> None:
    created = record(
        client, editor_token, "PK", amendment(expected_version=pakistan.version, sources=[UNDATED])
    )

    timeline = client.get("/countries/PK/timeline").json()["amendments"]
    entry = next(a for a in timeline if a["id"] == created["amendment_id"])
    assert entry["sources"] == [{**UNDATED, "date": None, "url": None}]
    page = client.get(f"/countries/PK/amendments/{created['amendment_id']}")
    assert page.status_code == 200
    assert "not stated" in page.text


@pytest.mark.parametrize(
    ("change_sources", "field"),
    [([0, 1], "body.changes.0.sources.1"), ([-1], "body.changes.0.designate_group.sources.0")],
)
def test_a_source_index_out_of_range_is_refused(
    client: TestClient,
    editor_token: str,
    pakistan: Demo,
    change_sources: list[int],
    field: str,
) -> None:
    body = amendment(expected_version=pakistan.version)
    body["changes"][0]["sources"] = change_sources
    _refused(client, editor_token, "PK", body, field)


def test_an_ecli_is_still_checked_without_a_date(
    client: TestClient, editor_token: str, pakistan: Demo
) -> None:
    body = amendment(
        expected_version=pakistan.version, sources=[{"kind": "ecli", "reference": "ECLI:rubbish"}]
    )
    _refused(client, editor_token, "PK", body, "body.sources.0.reference")


def test_a_source_still_needs_its_reference(
    client: TestClient, editor_token: str, pakistan: Demo
) -> None:
    body = amendment(expected_version=pakistan.version, sources=[{"kind": "kamerstuk"}])
    _refused(client, editor_token, "PK", body, "body.sources.0.reference")


# 11. Categories, actors, a 15(c) bound ----------------------------------------------------


def test_new_categories_actors_and_a_bound(client: TestClient, editor_token: str) -> None:
    record(
        client,
        editor_token,
        "SO",
        sy_amendment(
            [
                {
                    "type": "designate_group",
                    "group": "women_mogadishu",
                    "category": "attention_group",
                    "label_nl": "Vrouwen",
                    "label_en": "Women",
                },
                {
                    "type": "set_protection",
                    "authorities_protect": False,
                    "actors": ["international_organisations"],
                },
                {"type": "set_article_15c", "at_most": "higher"},
            ]
        ),
    )

    doc = policy_both_ways(client, "SO", "2025-01-01")

    assert doc["groups"][0]["category"] == "attention_group"
    assert doc["protection"]["general"]["actors"] == ["international_organisations"]
    assert doc["protection"]["general"]["authorities_protect"] is False
    bound = doc["article_15c"]["default"]
    assert bound["at_most"] == "higher"
    assert "level" not in bound  # nothing made up
    assert "armed_conflict" not in bound
    for lang in ("en", "nl"):
        page = client.get("/countries/SO", params={"on": "2025-01-01", "lang": lang})
        assert page.status_code == 200
        words = ("Attention group", "Not the most exceptional situation")
        if lang == "nl":
            words = ("Aandachtsgroep", "Geen meest uitzonderlijke situatie")
        for text in words:
            assert text in page.text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "set_article_15c"}, "body.changes.0.set_article_15c.at_most"),
        (
            {
                "type": "set_article_15c",
                "level": "lower",
                "armed_conflict": True,
                "at_most": "higher",
            },
            "body.changes.0.set_article_15c.at_most",
        ),
        (
            {"type": "set_article_15c", "level": "lower"},
            "body.changes.0.set_article_15c.armed_conflict",
        ),
        (
            {"type": "set_article_15c", "at_most": "most_exceptional"},
            "body.changes.0.set_article_15c.at_most",
        ),
        (
            {"type": "set_protection", "authorities_protect": False, "actors": ["authorities"]},
            "body.changes.0.set_protection.actors",
        ),
        (
            {
                "type": "set_protection",
                "authorities_protect": True,
                "actors": ["authorities", "authorities"],
            },
            "body.changes.0.set_protection.actors",
        ),
        (
            {
                "type": "designate_group",
                "group": "x",
                "category": "favourite",
                "label_nl": "x",
                "label_en": "x",
            },
            "body.changes.0.designate_group.category",
        ),
    ],
)
def test_bad_bounds_and_actors_are_refused(
    client: TestClient, editor_token: str, pakistan: Demo, change: Doc, field: str
) -> None:
    body = amendment(expected_version=pakistan.version, changes=[change])
    _refused(client, editor_token, "PK", body, field)


def test_the_demo_answers_as_before(client: TestClient, pakistan: Demo) -> None:
    """No key of the new fields appears in the Pakistan answers (convention 2)."""
    doc = policy_both_ways(client, "PK", "2025-01-01")
    text = str(doc)
    for key in ("exceptions", "at_most", "actors", "through"):
        assert f"'{key}'" not in text


def _refused(client: TestClient, token: str, code: str, body: Doc, field: str) -> None:
    before = snapshot(client)
    response = client.post(
        f"/countries/{code}/amendments", json=copy.deepcopy(body), headers=bearer(token)
    )
    assert_problem(response, 422, field)
    assert snapshot(client) == before, "a refused write stored something"
