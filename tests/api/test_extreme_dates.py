"""Dates at both ends of the calendar, on SQLite and PostgreSQL: amendments in force on
0001-01-01, 0001-01-02, 9999-12-30 and 9999-12-31 (and announced, pending, retracted and
moratoria ending there), then every page and every JSON answer asked with such dates as
`on`, `known_at`, `published_by` and chart/changes ranges, and audits and what-if answers
of decisions on them. Whatever is asked: never a 5xx.

The probe's findings first (issue 16, finding 2): an amendment in force 9999-12-31 broke
the chart's default range; one in force 0001-01-01 broke the chart and the changes page,
even with an explicit range. A decision in December 9999 made the HTML audit report draw a
million empty months (it never finished).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from api_support import PAKISTAN, amendment, assert_problem, bearer, load_demo_via_ledger
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.bootstrap import Services

FIRST, SECOND, PENULTIMATE, LAST = "0001-01-01", "0001-01-02", "9999-12-30", "9999-12-31"
EDGES = (FIRST, SECOND, PENULTIMATE, LAST)
MOMENTS = (
    *EDGES,
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00.000001+00:00",
    "9999-12-31T23:59:59.999999Z",
    "9999-12-31T00:00:00-00:00",
)
DAY = st.one_of(st.sampled_from(EDGES), st.dates().map(dt.date.isoformat))
MOMENT = st.one_of(st.sampled_from(MOMENTS), DAY)
EXTREME = settings(
    max_examples=200,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ELEMENTS = ("group:far", "group:early", "group:pti", "article_15c:default", "moratorium:decision")
HTML = "text/html; charset=utf-8"


def group(name: str) -> dict[str, Any]:
    return {
        "type": "designate_group",
        "group": name,
        "category": "risk_profile",
        "label_nl": name,
        "label_en": name,
    }


def at(announced: str, in_force: str | None, *changes: dict[str, Any]) -> dict[str, Any]:
    """An amendment announced and in force on the dates given, its source of that date."""
    body = amendment(announced_on=announced, in_force_from=in_force, changes=list(changes))
    body["sources"] = [{**body["sources"][0], "date": announced}]
    return body


ARTICLE_15C = {"type": "set_article_15c", "level": "higher", "armed_conflict": True}


@dataclass
class Ledger:
    """A client on a ledger with amendments at the ends of the calendar."""

    client: TestClient
    amendments: dict[str, list[str]]  # country -> amendment ids
    token: str  # an editor's: audits need a token

    def ids(self, code: str) -> list[str]:
        return self.amendments[code]


@pytest.fixture
def far(
    make_client: Callable[..., TestClient], open_ledger: Callable[..., Services], editor_token: str
) -> Ledger:
    demo = load_demo_via_ledger(open_ledger(), PAKISTAN)
    client = make_client()
    versions = {"PK": demo.version}

    def record(code: str, body: dict[str, Any], path: str = "amendments") -> str:
        if code in versions:
            body = {**body, "expected_version": versions[code]}
        answer = client.post(f"/countries/{code}/{path}", json=body, headers=bearer(editor_token))
        assert answer.status_code == 201, answer.text
        versions[code] = answer.json()["version"]
        return str(answer.json()["amendment_id"])

    record("PK", at("2024-12-01", LAST, group("far")))  # finding 2: the chart's default range
    record("AF", at(FIRST, FIRST, group("early"), ARTICLE_15C))  # finding 2: chart and changes
    record("SY", at(SECOND, SECOND, group("second")))
    record("SY", at("2020-01-01", PENULTIMATE, group("penultimate")))
    moratoria = [
        {"type": "impose_moratorium", "kind": "decision", "until": LAST},
        {"type": "impose_moratorium", "kind": "departure", "through": PENULTIMATE},
    ]
    record("SY", at("2020-01-01", "2020-01-01", *moratoria))
    pending = record("IQ", at("2020-01-02", None, group("pending")))
    record("IQ", {"in_force_from": LAST}, f"amendments/{pending}/in-force")
    record("IR", at(FIRST, None, group("never")))  # pending since the first day
    retracted = record("ER", at(FIRST, LAST, group("retracted")))
    record(
        "ER", {"reason": "withdrawn", "announced_on": FIRST}, f"amendments/{retracted}/retraction"
    )
    record("SO", at(LAST, LAST, group("last")))  # announced on the last day
    ids = {
        code: [a["id"] for a in client.get(f"/countries/{code}/timeline").json()["amendments"]]
        for code in ("PK", "AF", "SY", "IQ", "IR", "ER", "SO")
    }
    return Ledger(client, ids, editor_token)


def answered(response: Any, what: object) -> None:
    """No 5xx; a refusal of the JSON API is a problem document, a page's an HTML page."""
    assert response.status_code < 500, (what, response.text[-2000:])
    if response.headers["content-type"] == HTML:
        return
    if response.status_code >= 400:
        assert_problem(response, response.status_code)


# The findings -------------------------------------------------------------------------


def test_the_chart_and_changes_of_a_country_in_force_at_the_ends_answer(far: Ledger) -> None:
    """Each page on its default range and on every range between the edges (and around
    them), for the countries with amendments in force on the first and the last day."""
    ranges = [{}] + [
        {"from": a, "to": b}
        for a, b in itertools.product((*EDGES, "2024-11-26"), repeat=2)
        if a < b
    ]
    for code, page, query in itertools.product(("PK", "AF", "SY"), ("chart", "changes"), ranges):
        response = far.client.get(f"/countries/{code}/{page}", params=query)
        assert response.status_code == 200, (code, page, query, response.text[-2000:])
        assert response.headers["content-type"] == HTML


def test_every_amendment_page_answers(far: Ledger) -> None:
    """As known now and at the last moment: the page; as known on the first day, when the
    ledger knew nothing yet: 404."""
    for code, ids in far.amendments.items():
        for amendment_id, (known_at, status) in itertools.product(
            ids, [(None, 200), (LAST, 200), (FIRST, 404)]
        ):
            query = {"known_at": known_at} if known_at else {}
            path = f"/countries/{code}/amendments/{amendment_id}"
            response = far.client.get(path, params=query)
            assert response.status_code == status, (path, query, response.text[-2000:])


# Every read, any extreme date ---------------------------------------------------------

READS: dict[str, tuple[str, ...]] = {
    "/": ("lang",),
    "/countries": (),
    "/countries/{code}": ("on", "known_at", "published_by", "lang"),
    "/countries/{code}/chart": ("from", "to", "known_at", "published_by", "lang"),
    "/countries/{code}/changes": ("from", "to", "known_at", "published_by", "lang"),
    "/countries/{code}/amendments/{amendment}": ("known_at", "lang"),
    "/countries/{code}/policy": ("on", "known_at", "published_by"),
    "/countries/{code}/versions": ("known_at", "published_by"),
    "/countries/{code}/timeline": ("known_at", "published_by"),
    "/countries/{code}/history/{element}": ("known_at", "published_by"),
    "/countries/{code}/diff": ("from", "to", "known_at", "published_by"),
}
VALUES = {
    "on": DAY,
    "from": DAY,
    "to": DAY,
    "published_by": DAY,
    "known_at": MOMENT,
    "lang": st.sampled_from(["en", "nl"]),
}


def test_every_read_answers_for_any_extreme_date(far: Ledger, figures: Callable[..., Any]) -> None:
    statuses: dict[int, int] = {}

    @EXTREME
    @given(
        read=st.sampled_from(sorted(READS)),
        code=st.sampled_from(sorted(far.amendments)),
        data=st.data(),
    )
    def run(read: str, code: str, data: st.DataObject) -> None:
        names = READS[read]
        chosen = data.draw(st.sets(st.sampled_from(names)) if names else st.just(set()))
        params = {name: data.draw(VALUES[name], label=name) for name in sorted(chosen)}
        if read.endswith("/diff"):
            params.setdefault("from", data.draw(DAY, label="from"))
            params.setdefault("to", data.draw(DAY, label="to"))
        path = read.format(
            code=code,
            amendment=data.draw(st.sampled_from(far.ids(code)), label="amendment"),
            element=data.draw(st.sampled_from(ELEMENTS), label="element"),
        )
        response = far.client.get(path, params=params)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        answered(response, (path, params))

    run()
    figures(extreme_reads=sum(statuses.values()), statuses=statuses)
    assert statuses.get(200, 0) > sum(statuses.values()) / 2  # mostly answers, not refusals


# Audits and what-if -------------------------------------------------------------------


def decision(code: str, decided_on: str, recorded_at: str) -> dict[str, Any]:
    return {
        "id": f"{code}-{decided_on}",
        "country": code,
        "decided_on": decided_on,
        "recorded_at": recorded_at,
        "groups": ["far", "early", "pti"],
    }


def test_audits_of_decisions_at_the_ends_answer(far: Ledger) -> None:
    """Decisions on any date, recorded at any moment, reviewed on any date, with or without
    drafts in force at the ends."""
    codes = st.sampled_from(sorted(far.amendments))

    @EXTREME
    @given(
        decided=st.lists(st.tuples(codes, DAY, MOMENT), max_size=4),
        review=st.one_of(st.none(), DAY),
        drafts=st.lists(st.tuples(codes, DAY), max_size=2),
    )
    def run(
        decided: list[tuple[str, str, str]], review: str | None, drafts: list[tuple[str, str]]
    ) -> None:
        body: dict[str, Any] = {
            "decisions": [decision(*d) for d in decided],
            "drafts": [{"country": c, **at("2024-01-01", d, group("drafted"))} for c, d in drafts],
        }
        if review is not None:
            body["review_date"] = review
        response = far.client.post("/audits", json=body, headers=bearer(far.token))
        answered(response, body)
        assert response.status_code == 200, response.text
        assert len(response.json()["results"]) + len(response.json()["rejected"]) == len(decided)

    run()


@pytest.mark.parametrize("review", [FIRST, LAST, ""])
def test_the_html_audit_report_of_decisions_at_the_ends_answers(far: Ledger, review: str) -> None:
    rows = ["id,country,decided_on,recorded_at,groups"] + [
        f"{code}-{day},{code},{day},{day},far" for code in ("PK", "AF") for day in EDGES
    ]
    response = far.client.post(
        "/audits/new",
        files={"decisions": ("decisions.csv", "\n".join(rows).encode(), "text/csv")},
        data={"review_date": review},
        headers=bearer(far.token),
    )
    assert response.status_code == 200, response.text[-2000:]
    assert "Audit of 8 decisions" in response.text
    assert "one per century of decision" in response.text


@pytest.mark.parametrize(("on", "in_force"), list(itertools.product(EDGES, EDGES)))
def test_what_if_at_the_ends_answers(far: Ledger, on: str, in_force: str) -> None:
    draft = at("2024-01-01", in_force, group("drafted"))
    response = far.client.post("/countries/PK/policy/what-if", json={"on": on, "drafts": [draft]})
    answered(response, (on, in_force))
    assert response.status_code == 200, response.text
