"""End-to-end fixtures: the demo data loaded with `policy-ledger load`, a real `policy-ledger
serve` on a free port, and headless Chromium (Debian's package) driven by Playwright.

Without Chromium or Playwright the e2e tests skip with the reason, unless
POLICY_LEDGER_REQUIRE_E2E=1 (CI), where they fail. Every page a test opens fails the test on
a browser console error, an uncaught script error or a Content-Security-Policy violation.
Screenshots go to the test's tmp_path.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servers import BIN, serving

PAKISTAN = Path(__file__).resolve().parents[2] / "data" / "pakistan.yaml"
CHROMIUM = os.environ.get("POLICY_LEDGER_CHROMIUM", "/usr/bin/chromium")
REQUIRE_E2E = os.environ.get("POLICY_LEDGER_REQUIRE_E2E") == "1"
CSP_VIOLATION = "CSP violation"
CSP_REPORTER = (
    "document.addEventListener('securitypolicyviolation', function (e) {"
    f" console.error('{CSP_VIOLATION}: ' + e.effectiveDirective + ' blocked ' + e.blockedURI);"
    " });"
)


def _missing() -> str | None:
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="session")
def chromium_available() -> None:
    reason = _missing()
    if reason is None:
        return
    if REQUIRE_E2E:
        pytest.fail(f"{reason} (required: POLICY_LEDGER_REQUIRE_E2E=1)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def base_url(chromium_available: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server on the demo data, loaded the way the README says."""
    folder = tmp_path_factory.mktemp("e2e-server")
    env = {
        **os.environ,
        "POLICY_LEDGER_DATABASE_URL": f"sqlite:///{folder / 'ledger.sqlite'}",
        "POLICY_LEDGER_TOKENS_FILE": str(folder / "tokens.json"),
        # As `./dev demo` serves: anyone may try the upload page.
        "POLICY_LEDGER_AUDITS_REQUIRE_TOKEN": "false",
    }
    loaded = subprocess.run(
        [str(BIN / "policy-ledger"), "load", str(PAKISTAN), "--author", "e2e"],
        env=env,
        cwd=folder,  # no stray .env is read
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    with serving(env, folder) as client:
        yield str(client.base_url).rstrip("/")


@pytest.fixture(scope="module")
def browser(chromium_available: None) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any, base_url: str) -> Iterator[Any]:
    """A fresh page on the server; its console errors and page errors are collected in
    `page.browser_problems`, and any of them fails the test (see pytest_runtest_call)."""
    context = browser.new_context(
        base_url=base_url, viewport={"width": 1280, "height": 900}, locale="en-GB"
    )
    # Every CSP violation is reported as a console error (Playwright's init scripts are not
    # subject to the page's CSP): a page that breaks the policy fails its test.
    context.add_init_script(CSP_REPORTER)
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    problems: list[str] = []
    opened.browser_problems = problems

    def on_console(message: Any) -> None:
        if message.type == "error":
            problems.append(f"console error on {opened.url}: {message.text}")

    opened.on("console", on_console)
    opened.on("pageerror", lambda error: problems.append(f"page error on {opened.url}: {error}"))
    try:
        yield opened
    finally:
        context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fails an e2e test whose page logged a console error or threw (the test's own
    failure, if any, is reported first)."""
    result = yield
    opened = getattr(item, "funcargs", {}).get("page")
    problems = getattr(opened, "browser_problems", None)
    if problems:
        pytest.fail("browser errors:\n" + "\n".join(problems))
    return result
