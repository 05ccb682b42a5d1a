"""The example project end to end in real Chromium: board, notifications, multi-tab sync."""

from __future__ import annotations

import os
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus

from tests.example.conftest import Example, open_page, sign_in
from tests.servers import ROOT
from tests.wire import connect_sync

pytestmark = [pytest.mark.browser, pytest.mark.daphne, pytest.mark.redis]


@pytest.fixture
def board() -> str:
    return f"/board/t-{uuid.uuid4().hex[:8]}/"


def cards(page: Any) -> list[str]:
    return page.eval_on_selector_all("#cards li input[name=title]", "els => els.map(e => e.value)")


def wait_cards(expected: list[str], *pages: Any) -> None:
    """Every page shows exactly these cards, in order (each within 5 s)."""
    for page in pages:
        page.wait_for_function(
            "(expected) => JSON.stringify([...document.querySelectorAll('#cards li input[name=title]')]"
            ".map(e => e.value)) === JSON.stringify(expected)",
            arg=expected,
            timeout=5000,
        )


def test_two_browsers_on_one_board_see_each_others_changes(
    browser: Any, example: Example, board: str
) -> None:
    first, second = browser.new_context(), browser.new_context()
    try:
        sign_in(second, example, "bob").close()  # deleting needs a signed-in user
        a, b = open_page(first, example, board), open_page(second, example, board)
        for page in (a, b):
            page.wait_for_function("document.querySelector('#present').textContent === '2'")
        a.fill("#new-title", "Write the docs")
        a.press("#new-title", "Enter")
        wait_cards(["Write the docs"], b, a)
        b.fill("#new-title", "Ship it")
        b.click("#add-form button")
        wait_cards(["Write the docs", "Ship it"], a, b)
        # Edit on B shows on A.
        b.fill("#cards li:first-child input[name=title]", "Write the README")
        b.click("#cards li:first-child form button")
        wait_cards(["Write the README", "Ship it"], a, b)
        # Reorder on A shows on B.
        a.click("#cards li:last-child [aria-label='Move up']")
        wait_cards(["Ship it", "Write the README"], b, a)
        screenshot = (
            ROOT / "docs" / "board.png"
            if os.environ.get("UPDATE_SCREENSHOTS")
            else Path(os.environ.get("TMPDIR", "/tmp")) / "hyperchannels-board.png"
        )
        a.set_viewport_size({"width": 900, "height": 560})
        a.screenshot(path=str(screenshot))
        assert screenshot.stat().st_size > 5000
        # Delete: refused to anonymous A (401, nothing changes), done by signed-in B, shown on A.
        refused = a.evaluate(
            """() => window.hyper.action("delete", {card: Number(document.querySelector('#cards li')
                .id.replace('card-', ''))}).then(() => 0, (error) => error.status)"""
        )
        assert refused == 401
        b.click("#cards li:first-child [aria-label='Delete']")
        wait_cards(["Write the README"], a, b)
        # Presence follows a browser leaving.
        b.close()
        a.wait_for_function("document.querySelector('#present').textContent === '1'", timeout=5000)
    finally:
        first.close()
        second.close()


def test_invalid_input_shows_an_inline_error_and_writes_nothing(
    browser: Any, example: Example, board: str
) -> None:
    context = browser.new_context()
    try:
        sign_in(context, example, "ann").close()  # deleting needs a signed-in user
        page = open_page(context, example, board)
        page.click("#add-form button")
        page.wait_for_function("document.querySelector('#form-error').textContent.includes('needs a title')")
        page.fill("#new-title", "x" * 81)
        page.click("#add-form button")
        page.wait_for_function("document.querySelector('#form-error').textContent.includes('at most 80')")
        wait_cards([], page)
        # A card of another board: the action refuses it inline.
        other = open_page(context, example, board.rstrip("/") + "-other/")
        other.fill("#new-title", "Elsewhere")
        other.click("#add-form button")
        other.wait_for_selector("#cards li")
        foreign = other.get_attribute("#cards li", "id").removeprefix("card-")
        page.evaluate("([id]) => window.hyper.action('delete', {card: Number(id)})", [foreign])
        page.wait_for_function("document.querySelector('#form-error').textContent.includes('No such card')")
        other.reload()
        wait_cards(["Elsewhere"], other)
    finally:
        context.close()


def test_two_tabs_of_one_user_sync_and_another_user_is_untouched(browser: Any, example: Example) -> None:
    ann_context, bob_context = browser.new_context(), browser.new_context()
    try:
        ann1 = sign_in(ann_context, example, "ann")
        ann2 = open_page(ann_context, example, "/")
        bob = sign_in(bob_context, example, "bob")
        ann1.click("header button:has-text('Dark')")
        ann2.wait_for_function("document.documentElement.dataset.theme === 'dark'", timeout=5000)
        ann1.click("header button:has-text('+Tea')")
        ann2.wait_for_function(
            "document.querySelector('#cart-items').textContent.includes('Tea')", timeout=5000
        )
        bob.wait_for_timeout(500)
        assert bob.evaluate("document.documentElement.dataset.theme") == "light"
        assert "Tea" not in bob.text_content("#cart-items")
        ann2.click("header button:has-text('Light')")
        ann1.wait_for_function("document.documentElement.dataset.theme === 'light'", timeout=5000)
        ann2.click("header button:has-text('Clear')")
        ann1.wait_for_function(
            "document.querySelector('#cart-items').textContent.includes('empty')", timeout=5000
        )
    finally:
        ann_context.close()
        bob_context.close()


def test_pushed_notification_shows_as_a_toast_in_every_tab(browser: Any, example: Example) -> None:
    context = browser.new_context()
    try:
        home = sign_in(context, example, "ann")
        board_tab = open_page(context, example, "/board/welcome/")
        output = example.manage("hyperchannels_push", "--user", "ann", "--toast", "Deploy at 18:00")
        assert "pushed 1 event(s)" in output
        for page in (home, board_tab):
            page.wait_for_selector(".toast:has-text('Deploy at 18:00')", timeout=5000)
    finally:
        context.close()


def test_long_job_streams_its_progress_then_a_toast(browser: Any, example: Example) -> None:
    context = browser.new_context()
    try:
        page = sign_in(context, example, "ann")
        page.evaluate("""() => {
          window.progress = [];
          new MutationObserver(() => {
            const bar = document.querySelector('#job-bar');
            if (bar && window.progress.at(-1) !== bar.value) window.progress.push(bar.value);
          }).observe(document.querySelector('main'), {childList: true, subtree: true});
        }""")
        page.click("#start-job")
        page.wait_for_selector(".toast:has-text('Your export is ready')", timeout=15000)
        assert page.text_content("#job-label") == "Export finished"
        progress = page.evaluate("window.progress")
        assert progress[0] < 50 and progress[-1] == 100 and progress == sorted(progress), progress
        assert len(progress) >= 5
    finally:
        context.close()


def test_a_foreign_origin_is_refused(example: Example) -> None:
    host = example.url.removeprefix("http://")
    with (
        pytest.raises(InvalidStatus) as refused,
        connect_sync(f"ws://{host}/ws/board/welcome/", origin="https://evil.example"),
    ):
        pass
    assert refused.value.response.status_code == 403


def test_sign_in_needs_a_csrf_token(example: Example) -> None:
    request = urllib.request.Request(
        f"{example.url}/accounts/login/", method="POST", data=b"username=ann&password=ann-demo-pw"
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403
    refused.value.close()


def test_home_search_as_you_type_escapes_titles_and_sends_one_search_per_burst(
    browser: Any, example: Example, board: str
) -> None:
    context = browser.new_context()
    try:
        tag = uuid.uuid4().hex[:6]
        board_page = open_page(context, example, board)
        board_page.fill("#new-title", f"Find {tag} <b>me</b>")
        board_page.press("#new-title", "Enter")
        wait_cards([f"Find {tag} <b>me</b>"], board_page)
        home = sign_in(context, example, "ann")
        home.evaluate("window.searches = 0; addEventListener('hyper:beforeRequest', () => window.searches++)")
        home.type("#card-search", tag, delay=30)
        home.wait_for_selector(f"#card-results li:has-text('Find {tag} <b>me</b>')", timeout=5000)
        assert home.query_selector("#card-results b") is None
        assert home.evaluate("window.searches") == 1
    finally:
        context.close()
