"""The browser client end to end: every event, errors, pushes, reconnects, declarative use."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import open_page
from tests.servers import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.daphne]

CALL = """async ([name, data, options]) => {
  try { return { ok: await window.hyper.action(name, data, options || {}) }; }
  catch (e) { return { status: e.status, message: e.message, kind: e.kind }; }
}"""


def call(
    page: Any, name: str, data: dict[str, Any] | None = None, options: dict[str, Any] | None = None
) -> Any:
    return page.evaluate(CALL, [name, data or {}, options])


@pytest.mark.parametrize(
    "swap, expected",
    [
        ("inner", ["new"]),
        ("outer", None),
        ("before", None),
        ("after", None),
        ("prepend", ["new", "first"]),
        ("append", ["first", "new"]),
        ("none", ["first"]),
    ],
)
def test_patch_html_swaps(context: Any, server: ServerProcess, swap: str, expected: list[str] | None) -> None:
    page = open_page(context, server)
    assert call(page, "patch", {"swap": swap})["ok"]["event"] == "end"
    items = (
        page.eval_on_selector_all("#list li", "els => els.map(e => e.textContent)")
        if page.query_selector("#list")
        else None
    )
    if swap == "outer":
        assert page.query_selector("#list") is None
        assert page.text_content("li.new") == "new"
    elif swap in ("before", "after"):
        order = page.evaluate("[...document.body.children].map(e => e.id || e.className)")
        position = order.index("new")
        assert order[position + (1 if swap == "before" else -1)] == "list"
    else:
        assert items == expected


def test_delete_strict_targets_and_streamed_progress(context: Any, server: ServerProcess) -> None:
    page = open_page(context, server)
    call(page, "delete")
    assert page.query_selector("#gone") is None
    assert call(page, "strict") == {"status": 404, "message": "Target not found: #missing", "kind": "client"}
    page.evaluate("""() => {
      window.seen = [];
      new MutationObserver(() => {
        const bar = document.querySelector('#bar');
        if (bar) window.seen.push(bar.value);
      }).observe(document.body, {childList: true, subtree: true});
    }""")
    call(page, "progress")
    assert page.evaluate("window.seen") == [25, 50, 75, 100]


def test_view_transition_swap(context: Any, server: ServerProcess) -> None:
    page = open_page(context, server)
    page.evaluate("""() => {
      const original = document.startViewTransition.bind(document);
      window.transitions = 0;
      document.startViewTransition = (cb) => { window.transitions++; return original(cb); };
    }""")
    call(page, "transition")
    assert page.text_content("#list") == "viewed"
    assert page.evaluate("window.transitions") == 1


def test_events_toast_history_and_load_js(context: Any, server: ServerProcess) -> None:
    page = open_page(context, server)
    call(page, "events")
    assert page.evaluate("window.saved") == {"id": 7}
    assert page.evaluate("window.toasts") == [{"message": "Saved"}]
    assert page.evaluate("location.pathname") == "/pushed/"
    page.wait_for_function("window.loadedCount === 1")
    call(page, "events")
    page.wait_for_timeout(200)
    assert page.evaluate("window.loadedCount") == 1  # a module script is loaded once
    assert page.evaluate("window.events").count("load_js") == 2


@pytest.mark.parametrize("replace", [False, True])
def test_redirect_navigates(context: Any, server: ServerProcess, replace: bool) -> None:
    page = open_page(context, server)
    before = page.evaluate("history.length")
    with page.expect_navigation():
        # Not awaited in the page: the navigation ends the page's context.
        page.evaluate(
            "() => { window.hyper.action('go', {replace: %s}); }" % ("true" if replace else "false")
        )
    assert page.evaluate("location.pathname") == "/landed/"
    assert page.evaluate("history.length") == (before if replace else before + 1)


def test_errors_reject_with_status_and_never_leak(context: Any, server: ServerProcess) -> None:
    page = open_page(context, server)
    assert call(page, "forbidden") == {"status": 403, "message": "Not your board", "kind": "server"}
    assert call(page, "boom") == {"status": 500, "message": "Internal server error", "kind": "server"}
    assert call(page, "nope") == {"status": 404, "message": "Unknown action", "kind": "server"}


def test_focus_and_caret_survive_a_swap(context: Any, server: ServerProcess) -> None:
    page = open_page(context, server)
    page.focus("#title")
    page.evaluate("document.querySelector('#title').setSelectionRange(3, 7)")
    call(page, "field", {"title": "hello world"})
    assert page.evaluate("document.activeElement.id") == "title"
    assert page.evaluate("[document.activeElement.selectionStart, document.activeElement.selectionEnd]") == [
        3,
        7,
    ]


def test_push_from_another_socket_arrives(browser: Any, server: ServerProcess) -> None:
    sender_context, receiver_context = browser.new_context(), browser.new_context()
    try:
        sender, receiver = open_page(sender_context, server), open_page(receiver_context, server)
        assert call(sender, "announce", {"text": "Hello everyone"})["ok"]["event"] == "end"
        receiver.wait_for_function("window.toasts.includes('Hello everyone')")
        assert sender.evaluate("window.toasts") == ["sent"]
    finally:
        sender_context.close()
        receiver_context.close()


def test_declarative_button_and_form(context: Any, server: ServerProcess) -> None:
    page = open_page(context, server)
    page.click("#declared")
    page.wait_for_selector("#list li.new")
    page.click("#add")
    page.wait_for_function("document.querySelector('#card').textContent === 'From form'")
    assert page.evaluate("location.pathname") == "/"  # the form's submit was prevented
    assert page.get_attribute("#adder", "aria-busy") is None


def test_alpine_signals_and_action_magic(context: Any, server: ServerProcess) -> None:
    page = open_page(context, server, "/?alpine=1")
    page.wait_for_function("window.Alpine && document.querySelector('#count').textContent === '0'")
    page.click("#alpine-button")
    page.wait_for_function("document.querySelector('#count').textContent === '5'")
    page.wait_for_function("document.querySelector('#user').textContent === 'ann'")
    assert page.evaluate("Alpine.$data(document.querySelector('#other')).unrelated") == 1


def test_reconnects_after_a_server_restart_and_sends_queued_actions(
    context: Any, server: ServerProcess
) -> None:
    page = open_page(context, server)
    server.stop()
    page.wait_for_function("document.documentElement.dataset.hyperState === 'reconnecting'")
    page.evaluate(
        "() => { window.queued = window.hyper.action('patch', {swap: 'append'}, {timeout: 20000}); }"
    )
    server.start()
    page.wait_for_function("document.documentElement.dataset.hyperState === 'open'", timeout=15000)
    assert page.evaluate("window.queued.then(r => r.event)") == "end"
    assert page.text_content("#list li.new") == "new"
    states = page.evaluate("window.states")
    assert (
        states[0] == "hyper:connected" and "hyper:disconnected" in states and states[-1] == "hyper:connected"
    )
