"""The real site in a real browser: html/ and the demo app's pages in headless Chromium.

Needs Debian's `chromium` (/usr/bin/chromium) and the `playwright` package;
`bash scripts/test.sh` installs both. Playwright drives the system Chromium,
its own browser download is not used.
"""

from __future__ import annotations

import os

import pytest
from helpers import REPO
from playwright.sync_api import Page, sync_playwright

from apps.stocks import create_app as create_stocks_app
from wsgiserver.testing import live_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SITE = os.path.join(REPO, "html")
# html/css/site.css: body { background-color: #f7f7f4 }, .site-header { background: #1f6f5c }
PAGE_BACKGROUND = "rgb(247, 247, 244)"
HEADER_BACKGROUND = "rgb(31, 111, 92)"


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def site(tmp_path):
    """The repository's html/ and the stocks app (on a fresh database) on one server."""
    app = create_stocks_app(tmp_path / "stocks.sqlite3")
    with live_server(app, static_root=SITE) as server:
        yield server


class Problems:
    """Everything that went wrong while pages loaded: failed requests, 4xx/5xx, JS errors."""

    def __init__(self, page: Page) -> None:
        self.items: list[str] = []
        page.on("requestfailed", lambda r: self.items.append(f"failed: {r.url} {r.failure}"))
        page.on("response", self._on_response)
        page.on("pageerror", lambda error: self.items.append(f"script error: {error}"))
        page.on("console", self._on_console)

    def _on_response(self, response) -> None:
        if response.status >= 400:
            self.items.append(f"HTTP {response.status}: {response.url}")

    def _on_console(self, message) -> None:
        if message.type == "error":
            self.items.append(f"console: {message.text}")


def computed(page: Page, selector: str, prop: str) -> str:
    return page.eval_on_selector(selector, f"e => getComputedStyle(e).{prop}")


def stylesheet_rules(page: Page) -> int:
    return page.evaluate("() => Array.from(document.styleSheets)"
                         ".reduce((n, s) => n + s.cssRules.length, 0)")


def test_home_page_and_app_page_in_chromium(site, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    problems = Problems(page)

    page.goto(site.url + "/", wait_until="networkidle")
    assert page.title().startswith("wsgiserver")
    assert stylesheet_rules(page) > 20  # /css/site.css arrived and parsed
    assert computed(page, "body", "backgroundColor") == PAGE_BACKGROUND
    assert computed(page, ".site-header", "backgroundColor") == HEADER_BACKGROUND
    assert page.eval_on_selector(".diagram img", "img => img.complete && img.naturalWidth") > 0
    # js/site.js ran and saw the server answer 200, 206 and 304 for the stylesheet.
    page.wait_for_function("document.getElementById('probe-status').dataset.codes")
    assert page.get_attribute("#probe-status", "data-codes") == "200,206,304"
    page.screenshot(path=str(tmp_path / "home.png"), full_page=True)

    page.click("text=Open the demo app")
    page.wait_for_load_state("networkidle")
    assert page.url == site.url + "/stocks"
    assert computed(page, "body", "backgroundColor") == PAGE_BACKGROUND
    assert computed(page, ".site-header", "backgroundColor") == HEADER_BACKGROUND
    assert page.locator("table.stocks tbody tr").count() > 0
    page.screenshot(path=str(tmp_path / "stocks.png"), full_page=True)

    assert problems.items == []
    assert (tmp_path / "home.png").stat().st_size > 0
    assert (tmp_path / "stocks.png").stat().st_size > 0


def test_static_404_page_in_chromium(tmp_path, browser):
    """With no app, a missing path shows html/404.html, styled by the shared stylesheet."""
    with live_server(None, static_root=SITE) as server:
        page = browser.new_page()
        response = page.goto(server.url + "/no/such/page", wait_until="networkidle")
        assert response.status == 404
        assert page.inner_text("h1") == "There is no page here"
        assert computed(page, "body", "backgroundColor") == PAGE_BACKGROUND
        page.screenshot(path=str(tmp_path / "404.png"))
