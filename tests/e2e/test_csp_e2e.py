"""Every page template, the audit report and the Swagger UI at /docs under the server's
Content-Security-Policy in headless Chromium: each is served with the policy, holds no
inline script, renders, and reports no violation (the page fixture turns a violation into a
console error, which fails the test). A script injected inline is refused, so the policy is
enforced and a violation would be seen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import CSP_VIOLATION
from test_pages_e2e import expected_console_error, shot

from api.headers import content_security_policy

pytestmark = pytest.mark.e2e

PAGES = [
    ("/", "index"),
    ("/?lang=nl", "index-nl"),
    ("/countries/PK?on=2024-11-26", "country"),
    ("/countries/PK/chart", "chart"),
    ("/countries/PK/changes", "changes"),
    ("/audits/new", "audit_new"),
]


def opened(page: Any, path: str) -> Any:
    """Goes to `path` and checks the policy it was served with and its scripts."""
    response = page.goto(path)
    assert response.headers["content-security-policy"] == content_security_policy()
    assert response.headers["x-frame-options"] == "DENY"
    assert page.locator("script:not([src])").count() == 0
    return response


@pytest.mark.parametrize(("path", "name"), PAGES)
def test_pages_keep_to_the_policy(page: Any, tmp_path: Path, path: str, name: str) -> None:
    opened(page, path)
    assert page.locator("main h1").count() == 1
    shot(page, tmp_path, f"csp-{name}")


def test_the_amendment_and_error_pages_keep_to_the_policy(page: Any, tmp_path: Path) -> None:
    opened(page, "/countries/PK?on=2024-11-26")
    page.locator('a[href*="/amendments/"]').first.click()
    page.wait_for_url("**/countries/PK/amendments/*")
    assert page.locator(".status-in_force").is_visible()
    assert page.locator("script:not([src])").count() == 0
    response = opened(page, "/countries/PK/amendments/no-such-amendment")
    assert response.status == 404
    expected_console_error(page, "status of 404")
    shot(page, tmp_path, "csp-error")


def test_the_chart_legend_draws_its_colours(page: Any) -> None:
    """The legend's swatches are SVG (a style attribute would be refused)."""
    opened(page, "/countries/PK/chart")
    swatch = page.locator("section.legend svg.swatch rect").first
    assert swatch.get_attribute("fill", timeout=5000).startswith("#")
    assert swatch.bounding_box()["width"] > 5


def test_the_audit_report_keeps_to_the_policy(page: Any, tmp_path: Path) -> None:
    """The report's own <style> block is allowed by its hash: its styles apply."""
    decisions = tmp_path / "decisions.csv"
    decisions.write_text("id,country,decided_on,groups\nD-1,PK,2024-11-25,pti\n", encoding="utf-8")
    opened(page, "/audits/new")
    page.get_by_label("Decisions file (CSV or JSON Lines)").set_input_files(str(decisions))
    with page.expect_response("**/audits/new") as answer, page.expect_navigation():
        page.get_by_role("button", name="Audit the decisions").click()
    assert answer.value.headers["content-security-policy"] == content_security_policy()
    assert page.get_by_role("heading", name="Audit of 1 decision").is_visible()
    width = page.evaluate("getComputedStyle(document.querySelector('header')).maxWidth")
    assert width == "1200px"  # from the report's <style> block
    assert page.locator("svg.swatch").count() >= 1
    shot(page, tmp_path, "csp-audit-report")


def test_the_api_docs_keep_to_the_policy(page: Any, tmp_path: Path) -> None:
    """Swagger UI starts from /static/docs.js and its "Try it out" fetch is allowed."""
    opened(page, "/docs")
    page.locator(".opblock").first.wait_for()
    page.locator(".opblock-summary", has_text="/countries/{code}/policy").first.click()
    page.get_by_role("button", name="Try it out").first.click()
    page.locator("input[placeholder='code']").first.fill("PK")
    with page.expect_response("**/countries/PK/policy*") as answer:
        page.get_by_role("button", name="Execute").first.click()
    assert answer.value.status == 200
    page.locator(".responses-wrapper .response-col_status", has_text="200").first.wait_for()
    shot(page, tmp_path, "csp-docs")


def test_an_inline_script_is_refused_and_reported(page: Any) -> None:
    opened(page, "/")
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'document.body.dataset.ran = \"yes\"';"
        " document.head.appendChild(s); }"
    )
    page.wait_for_function("() => true")
    assert page.evaluate("document.body.dataset.ran") is None
    expected_console_error(page, f"{CSP_VIOLATION}: script-src-elem")  # our listener's
    expected_console_error(page, "violates the following Content Security Policy")  # Chromium's
