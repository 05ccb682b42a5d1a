"""Real Chromium (Debian's, driven by Playwright for Python) against a real ASGI server: each of
``tests.servers.SERVERS`` in turn (daphne, uvicorn)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.servers import ServerProcess

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    # Module scope: Playwright's sync API runs an event loop of its own in this thread while
    # it is open, which must be gone before the next module's asyncio tests run.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server(server_name: str) -> Iterator[ServerProcess]:
    app, settings = "tests.browser.asgi:application", "tests.browser.settings"
    with ServerProcess(app, settings, server=server_name) as process:
        yield process


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    yield context
    context.close()


def open_page(context: Any, server: ServerProcess, path: str = "/") -> Any:
    page = context.new_page()
    page.goto(server.http_url + path)
    page.evaluate("window.hyperReady")
    return page
