"""The web pages through the app (TestClient) on SQLite, with the Pakistan demo recorded by
another `Services` wiring on the store: status, the content that matters, both languages, errors as
HTML pages with the API's status codes, the read rule, and no collision with the JSON API.

The pages read through the same PolicyQueries as the API, whose answers are tested on both
stores elsewhere; here the store is SQLite only.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import re
from collections.abc import Callable
from html.parser import HTMLParser

import pytest
from api_support import Demo, bearer
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Match

from api.app import create_app
from api.bootstrap import Services
from api.routes import amendments, audits, countries, health, pages
from api.settings import Settings

HTML = "text/html; charset=utf-8"
PAGE_PATHS = {
    "/",
    "/countries/{code}",
    "/countries/{code}/chart",
    "/countries/{code}/changes",
    "/countries/{code}/amendments/{amendment_id}",
    "/audits/new",
}
CSV = (
    "id,country,decided_on,groups,region,unaccompanied_minor\n"
    "D-1,PK,2024-11-25,pti,PK-BA,no\n"
    "D-2,PK,2024-12-01,christians,PK-PB,yes\n"
    "D-3,XX,2024-12-01,,,\n"
)


@pytest.fixture
def store_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    """The pages as the demo serves them: anyone may upload decisions to audit (a real
    server needs a token for that: test_an_upload_needs_a_token_by_default)."""
    return make_client(audits_require_token=False)


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text, of a page."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.words: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.words.append(data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        wanted = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
        return [
            a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in wanted.items())
        ]

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.words))


def page(client: TestClient, url: str, status: int = 200, **kwargs: object) -> Tags:
    response = client.get(url, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == status, response.text[-2000:]
    assert response.headers["content-type"] == HTML
    return Tags(response.text)


def lanes(tags: Tags) -> set[str]:
    return {a["data-element"] for a in tags.find("g") if a.get("class") == "lane"}


# Routes ---------------------------------------------------------------------------------


def test_page_routes_collide_with_no_api_route() -> None:
    api_routes = [
        r
        for router in (countries.router, amendments.router, audits.router, health.router)
        for r in router.routes
        if isinstance(r, APIRoute)
    ]
    page_routes = [r for r in pages.router.routes if isinstance(r, APIRoute)]
    assert {r.path for r in page_routes} == {*PAGE_PATHS, "/favicon.ico"}
    for route in page_routes:
        for other in api_routes:
            shared = route.methods & other.methods
            assert not (route.path == other.path and shared), (route.path, shared)
    # Each concrete URL is matched by exactly one route, the one meant.
    urls = {
        "/": "/",
        "/countries/PK": "/countries/{code}",
        "/countries/PK/chart": "/countries/{code}/chart",
        "/countries/PK/changes": "/countries/{code}/changes",
        "/countries/PK/amendments/abc": "/countries/{code}/amendments/{amendment_id}",
        "/audits/new": "/audits/new",
        "/countries": "/countries",
        "/countries/PK/policy": "/countries/{code}/policy",
        "/countries/PK/versions": "/countries/{code}/versions",
        "/countries/PK/versions/abc": "/countries/{code}/versions/{version_id}",
        "/countries/PK/timeline": "/countries/{code}/timeline",
        "/countries/PK/history/group:pti": "/countries/{code}/history/{element}",
        "/countries/PK/diff": "/countries/{code}/diff",
        "/health": "/health",
    }
    for url, path in urls.items():
        scope = {"type": "http", "method": "GET", "path": url, "root_path": ""}
        matched = [r.path for r in api_routes + page_routes if r.matches(scope)[0] is Match.FULL]
        assert matched == [path], url
    for method, url in (
        ("POST", "/countries/PK/amendments"),
        ("POST", "/countries/PK/amendments/abc/in-force"),
        ("POST", "/audits"),
    ):
        scope = {"type": "http", "method": method, "path": url, "root_path": ""}
        assert not [r for r in page_routes if r.matches(scope)[0] is not Match.NONE], url


def test_the_app_answers_pages_in_html_and_the_api_in_json(
    client: TestClient, pakistan: Demo
) -> None:
    for url in ("/", "/countries/PK", "/countries/PK/chart", "/countries/PK/changes"):
        assert client.get(url).headers["content-type"] == HTML, url
    for url in (
        "/countries",
        "/countries/PK/policy",
        "/countries/PK/versions",
        "/countries/PK/timeline",
        "/countries/PK/history/group:pti",
        "/countries/PK/diff?from=2024-11-25&to=2024-11-26",
        "/health",
    ):
        assert client.get(url).headers["content-type"] == "application/json", url
    # A GET where the API only writes is not a page either.
    assert client.get("/countries/PK/amendments").status_code == 405


def test_pages_stay_out_of_the_openapi_document() -> None:
    document = create_app(Settings(database_url="sqlite:///never-opened.sqlite")).openapi()
    assert not {*PAGE_PATHS, "/favicon.ico"} & set(document["paths"])
    assert not any(p.startswith("/static") for p in document["paths"])
    assert set(document["paths"]) == {
        "/countries",
        "/countries/{code}/policy",
        "/countries/{code}/versions",
        "/countries/{code}/versions/{version_id}",
        "/countries/{code}/timeline",
        "/countries/{code}/history/{element}",
        "/countries/{code}/diff",
        "/countries/{code}/amendments",
        "/countries/{code}/amendments/{amendment_id}/in-force",
        "/countries/{code}/amendments/{amendment_id}/retraction",
        "/countries/{code}/policy/what-if",
        "/audits",
        "/health",
        "/integrity",
    }


def test_static_files_are_served(client: TestClient) -> None:
    assert client.get("/static/pages.css").headers["content-type"].startswith("text/css")
    assert client.get("/static/pages.js").status_code == 200
    assert client.get("/favicon.ico").status_code == 204  # no icon, and no 404 for it


# What a browser fetches to show a page: a script, style sheet, image, frame or font from
# another host (http://, https:// or //host). Links a person follows (<a href>) are not.
EXTERNAL = re.compile(
    r"""<(?:script|img|iframe|source|embed|video|audio|track|input|image|use)\b[^>]*?"""
    r"""\s(?:src|href|xlink:href|srcset|poster)\s*=\s*["']?\s*(?:https?:)?//"""
    r"""|<link\b[^>]*?\shref\s*=\s*["']?\s*(?:https?:)?//"""
    r"""|url\(\s*["']?\s*(?:https?:)?//"""
    r"""|@import\s+["']?\s*(?:https?:)?//""",
    re.IGNORECASE,
)


def test_external_pattern_finds_what_a_browser_would_fetch() -> None:
    for fetched in (
        '<script src="https://cdn.example/x.js">',
        "<link rel=stylesheet href='//fonts.example/css'>",
        '<img alt="" src="http://example.org/a.png">',
        "<style>body { background: url( 'https://example.org/b.png') }</style>",
        '@import "https://example.org/c.css";',
    ):
        assert EXTERNAL.search(fetched), fetched
    for local in (
        '<a href="https://zoek.officielebekendmakingen.nl/kst-19637-3318.html">',
        '<script src="/static/pages.js">',
        '<svg xmlns="http://www.w3.org/2000/svg">',
        "url(\"data:image/svg+xml;charset=utf-8,<svg xmlns='http://www.w3.org/2000/svg'>\")",
    ):
        assert not EXTERNAL.search(local), local


def test_no_page_loads_anything_from_another_host(
    client: TestClient, pakistan: Demo, make_client: Callable[..., TestClient]
) -> None:
    """Government networks may have no internet: every page, /docs included, is whole
    without it."""
    answers = []
    for lang in ("", "?lang=nl"):
        for url in (
            "/",
            "/countries/PK",
            "/countries/PK?on=2024-12-18",  # with the pending decree
            "/countries/PK/chart",
            "/countries/PK/changes",
            f"/countries/PK/amendments/{pakistan.letter}",
            "/audits/new",
            "/docs",
            "/countries/XX",  # 404
            "/countries/PK?on=soon",  # 422
        ):
            answers.append(client.get(url + lang))
        answers.append(
            client.post(
                "/audits/new" + lang,
                files={"decisions": ("decisions.csv", CSV.encode(), "text/csv")},
            )
        )
    answers.append(make_client(read_requires_token=True).get("/countries/PK"))  # 401
    assert {a.status_code for a in answers} == {200, 401, 404, 422}
    assert client.get("/redoc").status_code == 404  # FastAPI's /redoc loads from a CDN
    styles = set()
    for answer in answers:
        assert answer.headers["content-type"] == HTML, answer.url
        found = EXTERNAL.search(answer.text)
        assert found is None, (str(answer.url), found.group(0) if found else "")
        styles |= set(re.findall(r'<link\b[^>]*\shref="(/[^"]+\.css)"', answer.text))
        styles |= set(re.findall(r'<script\b[^>]*\ssrc="(/[^"]+)"', answer.text))
    assert {"/static/pages.css", "/docs/assets/swagger-ui.css"} <= styles
    for path in styles:  # the style sheets and scripts are served, and load nothing either
        served = client.get(path)
        assert served.status_code == 200, path
        if path.endswith(".css"):
            assert not EXTERNAL.search(served.text), path


def test_docs_serve_swagger_ui_from_the_app(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert '<script src="/docs/assets/swagger-ui-bundle.js">' in docs.text
    assert '<div id="swagger-ui" data-openapi="/openapi.json">' in docs.text
    assert '<script src="/static/docs.js">' in docs.text  # no inline script (the CSP)
    assert "data-openapi" in client.get("/static/docs.js").text
    script = client.get("/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.text
    assert client.get("/docs/assets/favicon-32x32.png").headers["content-type"] == "image/png"
    assert "/docs" not in client.get("/openapi.json").json()["paths"]


# Index ----------------------------------------------------------------------------------


def test_index_lists_the_countries_with_a_link_each(client: TestClient, pakistan: Demo) -> None:
    tags = page(client, "/")
    assert tags.find("a", href="/countries/PK")
    assert "Pakistan" in tags.text
    assert tags.find("tr", data_country="PK")
    assert tags.find("html", lang="en")


def test_index_says_when_nothing_is_recorded(client: TestClient) -> None:
    tags = page(client, "/")
    assert "No policy is recorded yet" in tags.text


# Country page ---------------------------------------------------------------------------


def test_policy_page_shows_pti_from_the_letter_on(client: TestClient, pakistan: Demo) -> None:
    before = page(client, "/countries/PK?on=2024-11-25")
    assert before.find("tr", data_element="group:christians")
    assert not before.find("tr", data_element="group:pti")
    assert not before.find("tr", data_element="article_15c:PK-BA")

    after = page(client, "/countries/PK?on=2024-11-26")
    assert after.find("tr", data_element="group:pti")
    assert "Leaders and members of Pakistan Tehreek-e-Insaf (PTI)" in after.text
    assert "26 November 2024" in after.text
    assert after.find("tr", data_element="article_15c:PK-BA")
    assert "Balochistan (PK-BA)" in after.text
    assert "Relatively lower level of indiscriminate violence; armed conflict" in after.text
    # Each element cites its amendments by number; each amendment, with its sources, is
    # listed once below the elements; the version can be cited.
    assert after.find("a", href="#ref-2", class_="ref")
    [letter] = after.find("li", id="ref-2")
    assert letter["data-amendment"] == pakistan.letter
    assert len(after.find("a", href=f"/countries/PK/amendments/{pakistan.letter}")) == 1
    kst = "https://zoek.officielebekendmakingen.nl/kst-19637-3318.html"
    assert len(after.find("a", href=kst)) == 2  # once for each amendment that cites it
    assert after.text.count("ECLI:NL:RVS:2024:2927") == 1
    [version] = after.find("a", class_="version-link")
    assert re.fullmatch(r"/countries/PK/versions/[0-9a-f]{64}", version["href"])
    assert client.get(version["href"]).status_code == 200
    [fixed] = after.find("a", class_="fixed-link")
    assert "on=2024-11-26" in fixed["href"]
    assert "known_at=" in fixed["href"]
    assert client.get(fixed["href"]).status_code == 200
    # Sections in the Vc's order, with the empty ones said plainly.
    headings = [a["id"] for a in after.find("h2") if a.get("id", "").endswith("-heading")]
    assert headings[:10] == [
        "version-heading",
        "risk_profile-heading",
        "group_persecution-heading",
        "vulnerable_minority-heading",
        "protection-heading",
        "ipa-heading",
        "article_15c-heading",
        "unaccompanied_minors-heading",
        "moratoria-heading",
        "notes-heading",
    ]
    assert "None recorded." in after.text
    assert not after.find("section", id="pending")


def test_policy_page_shows_pending_amendments_apart(client: TestClient, pakistan: Demo) -> None:
    tags = page(client, "/countries/PK?on=2024-12-18")
    assert tags.find("section", id="pending")
    assert tags.find("tr", data_amendment=pakistan.decree)
    assert "Pending: announced, not yet in force" in tags.text
    assert "WBV 2024/27" in tags.text
    # The decree applies to nothing: LGBTI keeps the letter's label.
    assert "LGBTI people" in tags.text
    assert "LGBTIQ+" not in tags.text.split("Pending")[0]


def test_policy_page_says_when_nothing_was_in_force(client: TestClient, pakistan: Demo) -> None:
    tags = page(client, "/countries/PK?on=2024-11-24")
    assert "No recorded policy on this date" in tags.text
    assert "does not mean that there were no risk profiles" in tags.text
    assert tags.find("a", href="/countries/PK?on=2024-11-25")
    assert not tags.find("table", class_="elements")


def test_policy_page_as_recorded_before_anything_was(client: TestClient, pakistan: Demo) -> None:
    tags = page(client, "/countries/PK?on=2024-12-01&known_at=2020-01-01")
    assert "No recorded policy on this date" in tags.text
    assert "as recorded by the end of 1 January 2020 (UTC)" in tags.text
    assert tags.find("input", id="known_at", value="2020-01-01")


def test_policy_page_in_dutch(client: TestClient, pakistan: Demo) -> None:
    tags = page(client, "/countries/PK?on=2024-11-26&lang=nl")
    assert tags.find("html", lang="nl")
    assert "Risicoprofielen" in tags.text
    assert "26 november 2024" in tags.text
    assert "Beloetsjistan (PK-BA)" in tags.text
    assert "Leiders en leden van Pakistan Tehreek-e-Insaf (PTI)" in tags.text
    assert tags.find("a", href=f"/countries/PK/amendments/{pakistan.letter}?lang=nl")
    assert tags.find("input", type="hidden", name="lang", value="nl")
    [switch] = tags.find("a", class_="lang")
    assert switch["href"] == "/countries/PK?on=2024-11-26"


def test_page_markup_is_accessible(client: TestClient, pakistan: Demo) -> None:
    for url in ("/", "/countries/PK", "/countries/PK/chart", "/audits/new"):
        tags = page(client, url)
        assert tags.find("a", class_="skip", href="#main"), url
        assert tags.find("main", id="main"), url
        labelled = {a["for"] for a in tags.find("label")}
        for field in tags.tags:
            tag, attrs = field
            if tag == "input" and attrs.get("type") != "hidden":
                assert attrs["id"] in labelled, (url, attrs)


def test_date_fields_show_and_take_iso_dates(client: TestClient, pakistan: Demo) -> None:
    """Not type=date, which shows the browser's locale format beside a YYYY-MM-DD hint."""
    fields = {
        "/countries/PK?on=2024-11-26": {"on": "2024-11-26"},
        "/countries/PK/chart?from=2024-11-20&to=2024-12-31": {
            "from": "2024-11-20",
            "to": "2024-12-31",
        },
        "/countries/PK/changes?from=2024-11-25&to=2024-11-26": {
            "from": "2024-11-25",
            "to": "2024-11-26",
        },
        "/audits/new?review_date=2025-06-01": {"review_date": "2025-06-01"},
    }
    for lang, placeholder in (("en", "YYYY-MM-DD"), ("nl", "JJJJ-MM-DD")):
        for url, values in fields.items():
            tags = page(client, f"{url}&lang={lang}")
            assert not tags.find("input", type="date"), url
            for id_, value in values.items():
                [field] = tags.find("input", id=id_)
                assert field["type"] == "text", (url, field)
                assert field["value"] == value, (url, field)
                assert field["placeholder"] == placeholder, (url, field)
                assert re.fullmatch(field["pattern"], value), (url, field)
                assert not re.fullmatch(field["pattern"], "26-11-2024"), (url, field)


# Chart ----------------------------------------------------------------------------------


def test_chart_has_a_lane_per_element_and_the_balochistan_change(
    client: TestClient, pakistan: Demo
) -> None:
    tags = page(client, "/countries/PK/chart")
    assert {
        "group:pti",
        "group:christians",
        "article_15c:default",
        "article_15c:PK-BA",
        "article_15c:PK-KP",
        "unaccompanied_minors",
        "note:protection",
        "note:article_1f",  # only the pending decree speaks of it
    } <= lanes(tags)
    levels = {
        (a["data-from"], a["data-value"])
        for a in tags.find("rect", class_="bar")
        if a.get("data-value", "").startswith("level-")
    }
    assert ("2024-11-26", "level-lower") in levels
    assert ("2024-11-26", "level-none") in levels
    assert tags.find("g", class_="today")
    markers = tags.find("a", class_="marker marker-in_force")
    assert {m["data-amendment"] for m in markers} == {pakistan.attestation, pakistan.letter}
    assert tags.find("a", class_="marker marker-pending", data_amendment=pakistan.decree)
    assert "Kamerstuk 19637, nr. 3318 (26 November 2024)" in tags.text  # a marker's sources
    assert tags.find("tbody", id="lane-article_15c:PK-BA")


def test_chart_zooms_to_a_period(client: TestClient, pakistan: Demo) -> None:
    tags = page(client, "/countries/PK/chart?from=2024-11-20&to=2024-12-31")
    [svg] = tags.find("svg", class_="timeline")
    assert (svg["data-start"], svg["data-end"]) == ("2024-11-20", "2024-12-31")
    assert not tags.find("g", class_="today")  # today is outside the period
    before = page(client, "/countries/PK/chart?from=2020-01-01&to=2020-02-01")
    assert not before.find("rect", class_="bar")


def _marker_centres(tags: Tags) -> list[tuple[str, str, float]]:
    """(lane, date, x) of each marker: the <a class="marker"> and the first circle in it."""
    out, lane, pending = [], "", None
    for tag, attrs in tags.tags:
        if tag == "g" and "lane" in attrs.get("class", "").split():
            lane = attrs.get("data-element", "")
        elif tag == "a" and "marker" in attrs.get("class", "").split():
            pending = attrs["data-date"]
        elif tag == "circle" and pending is not None:
            out.append((lane, pending, float(attrs["cx"])))
            pending = None
    return out


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_chart_draws_amendments_a_day_apart_apart(
    client: TestClient, pakistan: Demo, lang: str
) -> None:
    """25 and 26 November 2024 are a pixel apart over two years: drawn as two markers."""
    for query in ("", "&from=2024-11-20&to=2024-12-31", "&from=0001-01-01&to=9999-12-31"):
        tags = page(client, f"/countries/PK/chart?lang={lang}{query}")
        by_lane: dict[str, list[float]] = {}
        for lane, _, x in _marker_centres(tags):
            by_lane.setdefault(lane, []).append(x)
        assert len(by_lane[""]) == 3, query  # the amendments lane: letter, attestation, decree
        for lane, xs in by_lane.items():
            xs.sort()
            assert all(b - a >= 12.9 for a, b in itertools.pairwise(xs)), (lane, xs)


def test_chart_lane_labels_are_whole(client: TestClient, pakistan: Demo) -> None:
    for lang, name in (
        ("en", "Group: Leaders and members of Pakistan Tehreek-e-Insaf (PTI)"),
        ("nl", "Groep: Leiders en leden van Pakistan Tehreek-e-Insaf (PTI)"),
    ):
        response = client.get(f"/countries/PK/chart?lang={lang}")
        label = re.search(
            r'data-element="group:pti">\s*<text[^>]*class="lane-label">(.*?)</text>',
            response.text,
            re.S,
        )
        assert label is not None
        shown = " ".join(re.findall(r"<tspan[^>]*>(.*?)</tspan>", label.group(1)))
        assert html.unescape(shown) == name
        assert "…" not in response.text.split('class="lane-label"')[1].split("</text>")[0]


def test_chart_shows_a_retracted_amendment_as_such(
    client: TestClient, pakistan: Demo, open_ledger: Callable[..., Services]
) -> None:
    writer = open_ledger()
    writer.app.retract_amendment(
        "PK",
        pakistan.letter,
        reason="entered in error",
        author="t",
        expected_version=pakistan.version,
    )
    tags = page(client, "/countries/PK/chart")
    struck = tags.find("a", class_="marker marker-retracted", data_amendment=pakistan.letter)
    assert len(struck) > 1  # on the amendments lane and on the lanes it spoke of
    assert "group:pti" in lanes(tags)  # its lane stays, with the struck marker only
    assert not [a for a in tags.find("rect", class_="bar") if a["data-from"] == "2024-11-26"]
    amendment = page(client, f"/countries/PK/amendments/{pakistan.letter}")
    assert amendment.find("span", class_="status status-retracted")
    assert "entered in error" in amendment.text
    # As recorded before the retraction, the letter stands.
    known = page(client, "/countries/PK/chart?known_at=2020-01-01")
    assert not known.find("a", class_="marker marker-retracted")


# Changes --------------------------------------------------------------------------------


def test_changes_between_two_dates(client: TestClient, pakistan: Demo) -> None:
    tags = page(client, "/countries/PK/changes?from=2024-11-25&to=2024-11-26")
    rows = {a["data-element"]: a["data-kind"] for a in tags.find("tr") if "data-kind" in a}
    assert rows == {
        "group:pti": "added",
        "article_15c:PK-BA": "added",
        "article_15c:PK-KP": "added",
        "article_15c:default": "added",
        "unaccompanied_minors": "added",
        "note:protection": "added",
    }
    assert tags.find("a", href=f"/countries/PK/amendments/{pakistan.letter}")
    assert "Between 25 November 2024 and 26 November 2024" in tags.text
    none = page(client, "/countries/PK/changes?from=2024-12-01&to=2024-12-20")
    assert "Nothing differs between these two dates." in none.text
    # By default the page opens on the latest change: the day before it, and its day.
    default = page(client, "/countries/PK/changes")
    assert default.find("input", id="from", value="2024-11-25")
    assert default.find("input", id="to", value="2024-11-26")
    assert "Nothing differs" not in default.text
    assert default.find("tr", data_element="group:pti", data_kind="added")
    dutch = page(client, "/countries/PK/changes?lang=nl")
    assert dutch.find("tr", data_element="group:pti", data_kind="added")


# Amendments -----------------------------------------------------------------------------


def test_amendment_page(client: TestClient, pakistan: Demo) -> None:
    tags = page(client, f"/countries/PK/amendments/{pakistan.letter}")
    assert "Kamerbrief landgebonden asielbeleid Pakistan" in tags.text
    assert tags.find("span", class_="status status-in_force")
    assert "Announced" in tags.text
    assert "In force from" in tags.text
    assert "Recorded in the ledger" in tags.text
    assert tags.find("a", href="https://deeplink.rechtspraak.nl/uitspraak?id=ECLI:NL:RVS:2024:2927")
    assert "Algemeen ambtsbericht Pakistan, juli 2024" in tags.text
    assert "Leaders and members of PTI are added as a risk profile" in tags.text  # rationale
    assert tags.find("tr", data_element="article_15c:PK-BA")
    assert tags.find("a", href="/countries/PK?on=2024-11-26")
    decree = page(client, f"/countries/PK/amendments/{pakistan.decree}?lang=nl")
    assert decree.find("span", class_="status status-pending")
    assert "nog niet bekend (in afwachting)" in decree.text
    assert "hernoemd: LGBTIQ+ / LHBTIQ+" in decree.text


def published(tags: Tags) -> dict[str, str]:
    """The amendment page's publication list: act -> the date it was published."""
    return {a["data-act"]: a["data-published"] for a in tags.find("dd") if "data-act" in a}


def test_amendment_page_says_when_each_act_about_it_was_published(
    client: TestClient, pakistan: Demo, open_ledger: Callable[..., Services]
) -> None:
    letter = page(client, f"/countries/PK/amendments/{pakistan.letter}")
    assert published(letter) == {"amendment": "2024-11-26", "in_force": "2024-11-26"}
    assert "(with the amendment)" in letter.text
    decree = page(client, f"/countries/PK/amendments/{pakistan.decree}")
    assert published(decree) == {"amendment": "2024-12-18"}  # pending: no in-force date yet

    writer = open_ledger()
    version = writer.app.record_in_force_date(
        "PK",
        pakistan.decree,
        dt.date(2025, 1, 1),
        author="t",
        expected_version=pakistan.version,
        announced_on=dt.date(2025, 1, 20),
    ).version
    between = dt.datetime.now(dt.UTC).isoformat()
    writer.app.retract_amendment(
        "PK", pakistan.decree, reason="entered in error", author="t", expected_version=version
    )
    recorded_on = dt.datetime.now(dt.UTC).date().isoformat()

    decree = page(client, f"/countries/PK/amendments/{pakistan.decree}")
    assert published(decree) == {
        "amendment": "2024-12-18",
        "in_force": "2025-01-20",  # as stated with the in-force date
        "retraction": recorded_on,  # none stated: the day it was recorded
    }
    assert "(not stated: counts from the day it was recorded)" in decree.text
    dutch = page(client, f"/countries/PK/amendments/{pakistan.decree}?lang=nl")
    assert "De datum van inwerkingtreding" in dutch.text
    assert "20 januari 2025" in dutch.text
    # As recorded before the retraction, there is no retraction to have been published.
    before = page(
        client, f"/countries/PK/amendments/{pakistan.decree}", params={"known_at": between}
    )
    assert published(before) == {"amendment": "2024-12-18", "in_force": "2025-01-20"}


# Errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "status", "words"),
    [
        ("/countries/PK?on=2024-13-01", 422, "is not a date"),
        ("/countries/PK?on=yesterday", 422, "is not a date"),
        ("/countries/PK?known_at=soon", 422, "is not an ISO 8601 timestamp"),
        ("/countries/PK/chart?from=2024-02-30", 422, "is not a date"),
        ("/countries/PK/chart?from=2025-01-01&to=2024-01-01", 422, "must be after"),
        ("/countries/PK/changes?from=2024-11-25&to=x", 422, "is not a date"),
        ("/countries/XX", 404, "not an ISO 3166-1"),
        ("/countries/FR", 404, "no policy is recorded for FR"),
        ("/countries/FR/chart", 404, "no policy is recorded for FR"),
        ("/countries/PK/amendments/nope", 404, "has no amendment nope"),
        ("/countries/PK?on=2024-13-01&lang=nl", 422, "De invoer kan niet worden gelezen"),
    ],
)
def test_bad_input_gives_an_html_error_page(
    client: TestClient, pakistan: Demo, url: str, status: int, words: str
) -> None:
    tags = page(client, url, status)
    assert words in html.unescape(tags.text)
    assert tags.find("p", class_="problem", role="alert")


def test_reads_needing_a_token_give_a_401_page(
    make_client: Callable[..., TestClient], reader_token: str, pakistan: Demo
) -> None:
    client = make_client(read_requires_token=True)
    for url in ("/", "/countries/PK", "/countries/PK/chart", "/audits/new"):
        response = client.get(url)
        assert response.status_code == 401, url
        assert response.headers["content-type"] == HTML
        assert response.headers["www-authenticate"] == "Bearer"
        assert "Authentication required" in response.text
    assert client.get("/countries/PK", headers=bearer(reader_token)).status_code == 200
    refused = client.post("/audits/new", files={"decisions": ("d.csv", CSV.encode())})
    assert refused.status_code == 401


# Audits ---------------------------------------------------------------------------------


def test_an_upload_needs_a_token_by_default(
    make_client: Callable[..., TestClient], reader_token: str, pakistan: Demo
) -> None:
    """As POST /audits: a real server (audits_require_token on) audits for token holders."""
    client = make_client()
    files = {"decisions": ("d.csv", CSV.encode(), "text/csv")}
    refused = client.post("/audits/new", files=files)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == HTML
    assert "Audits need a token on this server" in html.unescape(refused.text)
    assert Tags(refused.text).find("input", type="file")  # the form, to try again
    answered = client.post("/audits/new", files=files, headers=bearer(reader_token))
    assert answered.status_code == 200
    assert answered.headers["content-type"].startswith("text/html")


def test_audit_form_and_report(client: TestClient, pakistan: Demo) -> None:
    form = page(client, "/audits/new")
    assert form.find("form", method="post", enctype="multipart/form-data")
    assert form.find("input", type="file", name="decisions", id="decisions")
    response = client.post(
        "/audits/new",
        files={"decisions": ("decisions.csv", CSV.encode(), "text/csv")},
        data={"review_date": "2025-06-01"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == HTML
    assert 'filename="audit-report-2025-06-01.html"' in response.headers["content-disposition"]
    report = Tags(response.text)
    assert "Audit of 3 decisions" in report.text
    assert report.find("tr", class_="decision", data_id="D-1")  # PTI since: in favour
    assert report.find("tr", class_="rejected-row")  # XX
    assert "review date 1 June 2025" in report.text
    # Sealed like every report: the digest of the ledger the audit read, and its signature.
    digest = client.get("/countries/PK/policy").json()["ledger_digest"]
    assert f'<code data-ledger="digest">{digest}</code>' in response.text
    assert "Not signed: the service had no signing key." in report.text  # this one has none


@pytest.mark.parametrize(
    ("files", "data", "status", "words"),
    [
        ({"decisions": ("d.csv", b"foo,bar\n1,2\n")}, {}, 422, "missing required columns"),
        ({"decisions": ("d.csv", b"")}, {}, 422, "the file is empty"),
        ({"decisions": ("d.xlsx", b"PK\x03\x04")}, {}, 422, "unknown file type '.xlsx'"),
        ({"decisions": ("d.csv", CSV.encode())}, {"review_date": "junk"}, 422, "not a date"),
        ({}, {"review_date": "2025-01-01"}, 422, "Choose a file of decisions."),
    ],
)
def test_a_bad_upload_gives_the_form_again_with_the_reason(
    client: TestClient,
    pakistan: Demo,
    files: dict[str, tuple[str, bytes]],
    data: dict[str, str],
    status: int,
    words: str,
) -> None:
    response = client.post("/audits/new", files=files or None, data=data)
    assert response.status_code == status
    assert response.headers["content-type"] == HTML
    tags = Tags(response.text)
    assert tags.find("div", class_="problem", role="alert", id="audit-error")
    assert words in html.unescape(tags.text)
    assert tags.find("input", type="file")


def test_an_upload_over_the_limit_gives_413_and_the_form(
    make_client: Callable[..., TestClient], pakistan: Demo
) -> None:
    client = make_client(max_body_bytes=2048, audits_require_token=False)
    big = (CSV + "D-9,PK,2024-12-01,pti,PK-BA,no\n" * 100).encode()
    response = client.post("/audits/new?lang=nl", files={"decisions": ("d.csv", big)})
    assert response.status_code == 413
    assert "Het bestand is groter dan 2 kB" in html.unescape(response.text)


# Data -----------------------------------------------------------------------------------


def test_histories_equal_each_elements_history(
    client: TestClient, pakistan: Demo, open_ledger: Callable[..., Services]
) -> None:
    queries = client.app.state.ledger.reads.queries()  # type: ignore[attr-defined]
    writer = open_ledger()
    writer.app.retract_amendment(
        "PK", pakistan.attestation, reason="test", author="t", expected_version=pakistan.version
    )
    client.get("/countries/PK")  # catches the read model up
    now = dt.datetime.now(dt.UTC)
    every = queries.histories("PK", now)["elements"]
    assert every
    for element, intervals in every.items():
        assert intervals == queries.history("PK", element, now)["intervals"], element
