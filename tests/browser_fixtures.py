"""Live server and Playwright page on Debian's Chromium. Browser tests skip only outside CI
when Chromium is missing; in CI (CI set) a missing browser fails them."""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is required in CI but {CHROMIUM} is missing")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server):
    # Playwright's string predicates (wait_for_function) are evaluated in the page, which
    # Rapport's Content-Security-Policy refuses; strict_page keeps the policy.
    yield from _tab(browser, live_server, bypass_csp=True)


@pytest.fixture
def strict_page(browser, live_server):
    """A tab that obeys the Content-Security-Policy, as a user's browser does."""
    yield from _tab(browser, live_server, bypass_csp=False)


def _tab(browser, live_server, bypass_csp: bool):
    context = browser.new_context(base_url=live_server, locale="en-US", bypass_csp=bypass_csp)
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()


def drag(page, card_selector: str, column_selector: str) -> None:
    """Drag a board card onto a column with real mouse steps (SortableJS in fallback mode
    follows mouse events)."""
    card = page.locator(card_selector).bounding_box()
    column = page.locator(column_selector).bounding_box()
    page.mouse.move(card["x"] + 20, card["y"] + 10)
    page.mouse.down()
    page.mouse.move(card["x"] + 30, card["y"] + 20, steps=5)
    target_x, target_y = column["x"] + column["width"] / 2, column["y"] + 20
    page.mouse.move(target_x, target_y, steps=20)
    page.mouse.move(target_x + 2, target_y + 4, steps=5)
    page.mouse.up()
