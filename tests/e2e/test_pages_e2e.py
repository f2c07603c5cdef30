"""The web pages in headless Chromium against a real server on the Pakistan demo: a person
picks dates and sees PTI appear, finds the Balochistan lane change on the timeline, and
uploads decisions to read the audit report; keyboard, language and print checks on the way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

# Module-scoped: the tests a worker runs share one server and one browser. (xdist's
# loadgroup would keep them on one worker, but with pytest 9.2 it groups nothing.)
pytestmark = pytest.mark.e2e

PTI = "Leaders and members of Pakistan Tehreek-e-Insaf (PTI)"
PTI_ROW = 'tr[data-element="group:pti"]'
BALOCHISTAN = 'g.lane[data-element="article_15c:PK-BA"]'


# Screenshots a person can look at after a run (test-output/ is not committed).
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-output" / "e2e"


def shot(page: Any, folder: Path, name: str) -> None:
    """A full-page screenshot in the test's folder and under test-output/e2e/."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for where in (folder, ARTEFACTS):
        page.screenshot(path=str(where / f"{name}.png"), full_page=True)


def expected_console_error(page: Any, words: str) -> None:
    """Takes one console error the test caused on purpose off the page's list."""
    [caused] = [p for p in page.browser_problems if words in p]
    page.browser_problems.remove(caused)


def show_policy_on(page: Any, day: str) -> None:
    page.get_by_label("In force on (date)").fill(day)
    with page.expect_navigation():
        page.get_by_role("button", name="Show the policy").click()


def test_picking_dates_before_and_after_the_letter_shows_pti(page: Any, tmp_path: Path) -> None:
    page.goto("/")
    shot(page, tmp_path, "countries")
    page.get_by_role("link", name="Pakistan").click()
    page.wait_for_url("**/countries/PK")
    assert page.locator("h1").inner_text().startswith("Pakistan (PK): Policy on")

    show_policy_on(page, "2024-11-25")
    assert "on=2024-11-25" in page.url
    assert "known_at" not in page.url  # the empty optional field is left out
    assert page.locator('tr[data-element="group:christians"]').is_visible()
    assert page.locator(PTI_ROW).count() == 0
    shot(page, tmp_path, "policy-2024-11-25")

    show_policy_on(page, "2024-11-26")
    row = page.locator(PTI_ROW)
    assert row.is_visible()
    assert PTI in row.inner_text()
    assert "26 November 2024" in row.inner_text()
    # The element cites the letter that made it by number; the letter, with its sources,
    # is listed once under the elements.
    cite = row.get_by_role("link", name="Kamerbrief landgebonden asielbeleid")
    cite.click()
    page.wait_for_url("**/countries/PK?on=2024-11-26#ref-*")
    entry = page.locator(cite.get_attribute("href"))
    assert entry.is_visible()
    source = entry.get_by_role("link", name="Kamerstuk 19637, nr. 3318", exact=True)
    assert source.get_attribute("href") == (
        "https://zoek.officielebekendmakingen.nl/kst-19637-3318.html"
    )
    entry.get_by_role("link", name="Kamerbrief landgebonden asielbeleid").click()
    page.wait_for_url("**/countries/PK/amendments/*")
    assert page.locator(".status-in_force").is_visible()
    shot(page, tmp_path, "amendment-letter")
    page.go_back()
    shot(page, tmp_path, "policy-2024-11-26")

    # Before anything was in force the page says so plainly.
    show_policy_on(page, "2024-11-01")
    assert page.get_by_role("heading", name="No recorded policy on this date").is_visible()
    shot(page, tmp_path, "policy-no-coverage")


def test_the_timeline_shows_the_balochistan_change(page: Any, tmp_path: Path) -> None:
    page.goto("/countries/PK")
    page.get_by_role("link", name="Timeline chart").click()
    page.wait_for_url("**/countries/PK/chart")
    lane = page.locator(BALOCHISTAN)
    assert "Balochistan (PK-BA)" in lane.locator("text.lane-label").text_content()
    bar = lane.locator('rect.bar[data-value="level-lower"]')
    assert bar.get_attribute("data-from") == "2024-11-26"
    assert bar.get_attribute("data-to") == ""  # still in force
    assert page.locator("g.today").count() == 1
    shot(page, tmp_path, "chart")

    # Zoomed around the amendments: nothing in the lane before the letter, the bar after it.
    page.get_by_role("link", name="Around the amendments").click()
    page.wait_for_load_state()
    box = lane.locator("rect.bar").bounding_box()
    plot_left = page.locator('g.lane[data-element="group:christians"] rect.bar').bounding_box()
    assert box["x"] > plot_left["x"]  # Balochistan starts a day after the six groups
    marker = lane.locator("a.marker").first
    marker.hover()
    sources = marker.locator("title").text_content()
    assert "Kamerstuk 19637, nr. 3318" in sources
    assert "ECLI:NL:RVS:2024:2927" in sources
    # The pending decree is drawn apart, hollow and dashed.
    assert lane.locator("a.marker-pending").count() == 1
    shot(page, tmp_path, "chart-around-amendments")

    # The chart's table, by keyboard.
    summary = page.locator("details.as-table summary")
    summary.focus()
    page.keyboard.press("Enter")
    table_lane = page.locator('tbody[id="lane-article_15c:PK-BA"]')
    assert "Relatively lower level of indiscriminate violence" in table_lane.inner_text()


def test_uploading_decisions_gives_the_audit_report(page: Any, tmp_path: Path) -> None:
    decisions = tmp_path / "decisions.csv"
    decisions.write_text(
        "id,country,decided_on,groups,region,unaccompanied_minor\n"
        "D-1,PK,2024-11-25,pti,PK-BA,no\n"
        "D-2,PK,2024-12-01,christians,PK-PB,yes\n"
        "D-3,XX,2024-12-01,,,\n",
        encoding="utf-8",
    )
    page.goto("/")
    page.get_by_role("link", name="Audit decisions").click()
    page.wait_for_url("**/audits/new")
    page.get_by_label("Decisions file (CSV or JSON Lines)").set_input_files(str(decisions))
    page.get_by_label("Review date (optional)").fill("2025-06-01")
    shot(page, tmp_path, "audit-form")
    with page.expect_navigation():
        page.get_by_role("button", name="Audit the decisions").click()
    assert page.get_by_role("heading", name="Audit of 3 decisions").is_visible()
    flagged = page.locator('tr.decision[data-id="D-1"]')
    # Nothing was stated of PTI or of 15(c) in Balochistan before the letter: the report
    # says the verdict cannot be told, and why, never "in favour" on an assumption.
    assert "Indeterminate" in flagged.inner_text()
    assert "not stated → risk profile" in flagged.inner_text()
    assert "Kamerstuk 19637, nr. 3318" in flagged.inner_text()
    assert page.locator("tr.rejected-row").count() >= 1  # XX is no country
    shot(page, tmp_path, "audit-report")

    # A file with a bad header comes back with the reason, not a server error.
    bad = tmp_path / "bad.csv"
    bad.write_text("name,date\nx,2024-01-01\n", encoding="utf-8")
    page.goto("/audits/new")
    page.get_by_label("Decisions file (CSV or JSON Lines)").set_input_files(str(bad))
    with page.expect_response("**/audits/new") as answer, page.expect_navigation():
        page.get_by_role("button", name="Audit the decisions").click()
    assert answer.value.status == 422
    expected_console_error(page, "status of 422")  # Chromium logs every 4xx document
    alert = page.get_by_role("alert")
    assert "missing required columns id, country, decided_on" in alert.inner_text()
    shot(page, tmp_path, "audit-bad-file")


def test_keyboard_language_and_print(page: Any, tmp_path: Path) -> None:
    page.goto("/countries/PK?on=2024-11-26")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the content")
    assert skip.evaluate("link => link === document.activeElement")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    page.get_by_role("link", name="Nederlands").click()
    page.wait_for_url("**lang=nl*")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.get_by_role("heading", name="Risicoprofielen").is_visible()
    assert "26 november 2024" in page.locator("h1").inner_text()
    # Links keep the language.
    page.get_by_role("link", name="Tijdlijn").click()
    page.wait_for_url("**/chart?lang=nl")
    assert page.get_by_role("heading", name="Tijdlijn van Pakistan (PK)").is_visible()
    shot(page, tmp_path, "chart-nl")

    page.goto("/countries/PK?on=2024-11-26")
    page.emulate_media(media="print")
    assert not page.locator("form.pick").is_visible()
    assert not page.locator("header.site nav").is_visible()
    assert page.locator('tr[data-element="article_15c:PK-BA"]').is_visible()
    page.pdf(path=str(tmp_path / "policy.pdf"))
    assert (tmp_path / "policy.pdf").stat().st_size > 10_000


def test_the_policy_page_is_short(page: Any, tmp_path: Path) -> None:
    """Each amendment and its sources once: the page was 4,323 px tall on the demo."""
    page.goto("/countries/PK")
    assert page.evaluate("document.body.scrollHeight") <= 4323 // 2
    citing = page.locator('tr[data-element="group:christians"] a.ref')
    assert citing.count() == 2  # the attestation and the letter, by number
    assert page.locator("ol.references > li").count() == 2
    shot(page, tmp_path, "country")
    page.goto("/countries/PK?lang=nl")
    assert page.get_by_role("heading", name="Wijzigingen en hun bronnen").is_visible()
    shot(page, tmp_path, "country-nl")


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_amendments_a_day_apart_are_two_markers(page: Any, tmp_path: Path) -> None:
    for url in ("/countries/PK/chart", "/countries/PK/chart?from=2024-11-01&to=2024-12-31"):
        page.goto(url)
        lane = page.locator("g.amendments-lane")
        first = lane.locator('a.marker[data-date="2024-11-25"]').bounding_box()
        second = lane.locator('a.marker[data-date="2024-11-26"]').bounding_box()
        assert first
        assert second
        assert not _overlap(first, second), (url, first, second)
        assert first["x"] < second["x"]  # in the order of their dates
        for lane_element in ("group:christians", "group:ahmadis"):
            markers = page.locator(f'g.lane[data-element="{lane_element}"] a.marker')
            boxes = [markers.nth(i).bounding_box() for i in range(markers.count())]
            assert len(boxes) >= 2
            for i, a in enumerate(boxes):
                for b in boxes[i + 1 :]:
                    assert not _overlap(a, b), (url, lane_element, a, b)
    # Lane labels are whole: two lines where a name is long.
    label = page.locator('g.lane[data-element="group:pti"] text.lane-label')
    assert label.locator("tspan").count() == 2
    assert "Tehreek-e-Insaf (PTI)" in label.text_content()
    shot(page, tmp_path, "chart-november-2024")
    page.goto("/countries/PK/chart")
    shot(page, tmp_path, "chart-default")


def test_the_changes_page_opens_on_the_latest_change(page: Any, tmp_path: Path) -> None:
    page.goto("/countries/PK")
    page.get_by_role("link", name="Changes between two dates").click()
    page.wait_for_url("**/countries/PK/changes")
    assert page.get_by_label("From").input_value() == "2024-11-25"
    assert page.get_by_label("To").input_value() == "2024-11-26"
    assert page.locator('table.changes tr[data-element="group:pti"]').is_visible()
    assert page.locator("p.empty").count() == 0
    shot(page, tmp_path, "changes")
    # The dates stay ISO whatever the browser's locale, and are taken as typed.
    page.get_by_label("From").fill("2024-11-24")
    with page.expect_navigation():
        page.get_by_role("button", name="Compare").click()
    assert "from=2024-11-24" in page.url
    assert page.locator('table.changes tr[data-element="group:christians"]').is_visible()


def test_the_api_docs_render_without_the_internet(page: Any, base_url: str) -> None:
    """Every request that is not to the server is blocked and recorded: none is made."""
    elsewhere: list[str] = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(base_url + "/"):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.context.route("**/*", only_local)
    page.goto("/docs")
    operations = page.locator(".opblock")
    operations.first.wait_for()
    assert operations.count() >= 10
    assert page.locator(".opblock-summary-path", has_text="/countries/{code}/policy").count() >= 1
    page.locator(".opblock-summary", has_text="/countries/{code}/policy").first.click()
    page.get_by_role("button", name="Try it out").first.wait_for()
    assert page.locator(".errors-wrapper").count() == 0  # the document was read
    page.goto("/countries/PK/chart")
    page.goto("/countries/PK")
    assert elsewhere == []
