"""Who is here on the example board, in real Chromium, over two workers (daphne or uvicorn) sharing Redis
(docs/presence.md): one avatar per user however many tabs, a reload is no leave and no join."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.example.conftest import Example, sign_in
from tests.servers import ROOT, ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.daphne, pytest.mark.redis]

GRACE = 3.0  # the example's PRESENCE_GRACE: the default

RECORD = """
window.presenceLog = [];
window.addEventListener("hyper:presence", (e) => window.presenceLog.push(e.detail));
"""


@pytest.fixture(scope="module")
def worker_b(example: Example) -> Iterator[ServerProcess]:
    """A second worker of the example on the same database and Redis."""
    app, settings = "example.asgi:application", "example.settings"
    with ServerProcess(app, settings, env=example.env, server=example.server.server) as server:
        yield server


def avatars(page: Any) -> list[str]:
    return list(page.eval_on_selector_all("#avatars .name", "els => els.map(e => e.textContent)"))


def wait_avatars(page: Any, expected: list[str], timeout: float = 5000) -> None:
    page.wait_for_function(
        "(expected) => JSON.stringify([...document.querySelectorAll('#avatars .name')]"
        ".map(e => e.textContent).sort()) === JSON.stringify(expected)",
        arg=sorted(expected),
        timeout=timeout,
    )


def changes(page: Any) -> list[dict[str, Any]]:
    """Joins and leaves the page was told about since the last call."""
    log = page.evaluate("window.presenceLog.splice(0)")
    return [{"joins": d["joins"], "leaves": d["leaves"]} for d in log if d["joins"] or d["leaves"]]


def open_board(context: Any, url: str, path: str) -> Any:
    page = context.new_page()
    page.add_init_script(RECORD)
    page.goto(url + path)
    page.evaluate("window.hyperReady")
    return page


def test_two_tabs_one_avatar_a_reload_is_nothing_and_the_last_tab_leaves_after_the_grace(
    browser: Any, example: Example, worker_b: ServerProcess
) -> None:
    board = f"/board/p-{uuid.uuid4().hex[:8]}/"
    ann_context, bob_context = browser.new_context(), browser.new_context()
    try:
        sign_in(ann_context, example, "ann").close()
        sign_in(bob_context, example, "bob").close()
        ann1 = open_board(ann_context, example.url, board)
        ann2 = open_board(ann_context, example.url, board)
        bob = open_board(bob_context, worker_b.http_url, board)
        for page, you in ((ann1, "ann"), (ann2, "ann"), (bob, "bob")):
            other = "bob" if you == "ann" else "ann"
            wait_avatars(page, [f"{you} (you)", other])
            assert page.text_content("#present") == "2"
        assert bob.get_attribute("#avatars li[data-key]:not(.you)", "title") == "ann (2 tabs)"
        screenshot = (
            ROOT / "docs" / "presence.png"
            if os.environ.get("UPDATE_SCREENSHOTS")
            else Path(os.environ.get("TMPDIR", "/tmp")) / "hyperchannels-presence.png"
        )
        bob.set_viewport_size({"width": 900, "height": 360})
        bob.screenshot(path=str(screenshot))
        assert screenshot.stat().st_size > 5000
        changes(bob)

        # ann closes one tab: nothing changes for bob.
        ann1.close()
        time.sleep(GRACE + 1)
        assert changes(bob) == []
        wait_avatars(bob, ["bob (you)", "ann"])
        assert bob.get_attribute("#avatars li:not(.you)", "title") == "ann"
        ann_key = bob.get_attribute("#avatars li:not(.you)", "data-key")  # her user's pk

        # ann reloads her other tab: no leave, no join.
        with ann2.expect_navigation():
            ann2.reload()
        ann2.evaluate("window.hyperReady")
        wait_avatars(ann2, ["ann (you)", "bob"])
        time.sleep(GRACE + 1)
        assert changes(bob) == []
        wait_avatars(bob, ["bob (you)", "ann"])

        # ann closes her last tab: bob sees her leave, once the grace has passed.
        closed = time.monotonic()
        ann2.close()
        wait_avatars(bob, ["bob (you)"], timeout=(GRACE + 5) * 1000)
        assert time.monotonic() - closed >= GRACE - 0.2
        assert changes(bob) == [{"joins": [], "leaves": [ann_key]}]
        assert bob.text_content("#present") == "1"
    finally:
        ann_context.close()
        bob_context.close()
