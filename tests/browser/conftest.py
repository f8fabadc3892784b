"""A real browser against a real server: Debian's chromium driven by Playwright.

Chromium is the system's (/usr/bin/chromium, installed by .ci/run), never a downloaded build. A
missing browser fails these tests: what they prove must not go unchecked quietly.

Each page records what would show that it is broken under its Content-Security-Policy: the
policy violations it reports, console errors, and uncaught exceptions.
"""

import importlib.util
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PAGE_TIMEOUT_MS = 15_000

# The real-server fixtures of tests/e2e, shared rather than copied.
_spec = importlib.util.spec_from_file_location("e2e_servers", Path(__file__).parents[1] / "e2e" / "conftest.py")
e2e_servers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(e2e_servers)
start_server = e2e_servers.start_server
server = e2e_servers.server
pytest_runtest_makereport = e2e_servers.pytest_runtest_makereport  # a failed test shows the server's log

# Runs before any of the page's own scripts; a listener on the document sees every violation.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageProblems:
    """What a page reported going wrong: CSP violations, console errors, uncaught exceptions."""

    def __init__(self, page):
        self.page = page
        self.console_errors = []
        self.exceptions = []
        page.on("console", lambda message: message.type == "error" and self.console_errors.append(message.text))
        page.on("pageerror", lambda error: self.exceptions.append(str(error)))
        page.add_init_script(RECORD_VIOLATIONS)

    def violations(self):
        return self.page.evaluate("window.__cspViolations")

    def assert_none(self):
        found = {"violations": self.violations(), "console": self.console_errors, "exceptions": self.exceptions}
        assert found == {"violations": [], "console": [], "exceptions": []}


@pytest.fixture
def page(browser):
    """A fresh browser page, in its own context: no storage shared between tests."""
    context = browser.new_context()
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    yield context.new_page()
    context.close()


@pytest.fixture
def problems(page):
    return PageProblems(page)
