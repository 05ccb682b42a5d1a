"""What a patch keeps, in real Chromium: morphing with each morph library (and the fallback
without one), Alpine state, the swap lifecycle, Back/Forward, CSP nonces, deep signals
(docs/client.md)."""

from __future__ import annotations

import time
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


def poll(page: Any, predicate: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not page.evaluate(predicate):
        assert time.monotonic() < deadline, f"timed out waiting for {predicate}"
        page.wait_for_timeout(50)


def morph_page(context: Any, server: ServerProcess, morph: str) -> Any:
    page = open_page(context, server, f"/dom/?morph={morph}" if morph else "/dom/")
    if morph == "alpine":
        page.wait_for_function("window.Alpine && typeof window.Alpine.morph === 'function'")
    elif morph:
        page.wait_for_function(f"!!window.{'Idiomorph' if morph == 'idiomorph' else 'morphdom'}")
    return page


def field(page: Any) -> Any:
    return page.evaluate("""() => {
      const el = document.activeElement;
      return { id: el.id, value: el.value, caret: [el.selectionStart, el.selectionEnd],
               same: el === window.editing, defaultValue: el.defaultValue };
    }""")


@pytest.mark.parametrize("morph", ["alpine", "idiomorph", "morphdom", ""])
def test_ann_keeps_her_text_focus_and_caret_while_bobs_card_arrives(
    browser: Any, server: ServerProcess, morph: str
) -> None:
    ann_context, bob_context = browser.new_context(), browser.new_context()
    try:
        ann, bob = morph_page(ann_context, server, morph), morph_page(bob_context, server, morph)
        ann.click("#card-2-title")
        ann.keyboard.press("End")
        ann.keyboard.type(" and a half")
        for _ in range(4):
            ann.keyboard.press("ArrowLeft")
        ann.evaluate("window.editing = document.activeElement")
        scrolled = ann.evaluate(
            "() => { const ul = document.getElementById('cards'); ul.scrollTop = 7; return ul.scrollTop; }"
        )
        assert scrolled == 7
        assert call(bob, "add_card", {"titles": ["one", "two", "three"]})["ok"]["event"] == "end"
        ann.wait_for_selector("#card-3")
        now = field(ann)
        if morph:
            # Morphed: the same element, the user's text and caret, the server's value as its default.
            assert now == {
                "id": "card-2-title",
                "value": "two and a half",
                "caret": [10, 10],
                "same": True,
                "defaultValue": "two",
            }
        else:
            # The documented fallback: the field is replaced and focused again; its text is the
            # server's, the caret where it was (at most the text's end).
            assert now == {
                "id": "card-2-title",
                "value": "two",
                "caret": [3, 3],
                "same": False,
                "defaultValue": "two",
            }
        if morph:
            assert ann.evaluate("document.getElementById('cards').scrollTop") == 7
        # An unfocused field always shows the server's value; the new card is there.
        assert ann.eval_on_selector_all("#cards input", "els => els.map(e => e.value)")[::2] == [
            "one",
            "three",
        ]
    finally:
        ann_context.close()
        bob_context.close()


def test_morph_false_replaces_even_with_a_library(context: Any, server: ServerProcess) -> None:
    page = morph_page(context, server, "idiomorph")
    page.evaluate("""async () => {
      const { connect } = await import('/static/hyperchannels/hyperchannels.js');
      window.hyper.close();
      window.hyper = connect('/ws/dom/', { morph: false });
      await new Promise((r) => window.addEventListener('hyper:connected', r, { once: true }));
      window.before = document.getElementById('label');
    }""")
    call(page, "panel", {"label": "second"})
    assert page.text_content("#label") == "second"
    assert page.evaluate("document.getElementById('label') === window.before") is False


@pytest.mark.parametrize("morph", ["alpine", "idiomorph", "morphdom"])
def test_alpine_state_survives_a_morph(context: Any, server: ServerProcess, morph: str) -> None:
    page = open_page(context, server, f"/dom/?morph={morph}&alpine=1")
    page.wait_for_function("window.Alpine && document.querySelector('#state').textContent === 'false 0'")
    page.click("#toggle")
    page.click("#toggle")
    page.click("#toggle")
    page.wait_for_function("document.querySelector('#state').textContent === 'true 3'")
    call(page, "panel", {"label": "from the server"})
    assert page.text_content("#label") == "from the server"
    state = "() => { const d = Alpine.$data(document.getElementById('panel')); return [d.open, d.count]; }"
    assert page.evaluate(state) == [True, 3]
    if morph == "alpine":
        # Alpine's own morph renders the new markup with the kept state (x-text included).
        assert page.text_content("#state") == "true 3"
    page.click("#toggle")
    page.wait_for_function("document.querySelector('#state').textContent === 'false 4'")


def test_without_a_morph_library_alpine_state_starts_again(context: Any, server: ServerProcess) -> None:
    page = open_page(context, server, "/dom/?alpine=1")
    page.wait_for_function("window.Alpine && document.querySelector('#state').textContent === 'false 0'")
    page.click("#toggle")
    page.wait_for_function("document.querySelector('#state').textContent === 'true 1'")
    call(page, "panel", {"label": "replaced"})
    page.wait_for_function("document.querySelector('#state').textContent === 'false 0'")


def test_swap_lifecycle_classes_and_events_in_order_with_delays(context: Any, server: ServerProcess) -> None:
    page = open_page(context, server, "/dom/")
    page.evaluate("""() => {
      window.seen = [];
      const box = document.getElementById('box');
      const state = (name, e) => ({
        name, on: e.target.id, detail: e.detail, t: performance.now(),
        swapping: box.classList.contains('hyper-swapping'),
        old: !!document.getElementById('old'),
      });
      for (const name of ['hyper:swap:start', 'hyper:swap:end', 'hyper:settle:end']) {
        window.addEventListener(name, (e) => window.seen.push(state(name, e)));
      }
      window.addEventListener('hyper:swap:end', () => setTimeout(() => {
        const p = document.getElementById('new');
        window.seen.push({ name: 'settling', settling: p.classList.contains('hyper-settling'),
                           view: p.style.viewTransitionName, t: performance.now() });
      }, 100));
    }""")
    outcome = call(page, "lifecycle")
    assert outcome["ok"]["event"] == "end"
    seen = page.evaluate("window.seen")
    names = [s["name"] for s in seen]
    assert names == ["hyper:swap:start", "hyper:swap:end", "settling", "hyper:settle:end"]
    start, end, settling, settled = seen
    assert start["swapping"] is True and start["old"] is True
    assert end["swapping"] is False and end["old"] is False
    assert settling == {**settling, "settling": True, "view": "hero"}
    assert end["t"] - start["t"] >= 290  # swap_delay=300
    assert settled["t"] - end["t"] >= 290  # settle_delay=300
    assert start["detail"]["target"] == "#box" and start["detail"]["swap"] == "inner"
    assert {s["on"] for s in (start, end, settled)} == {"box"}
    assert page.evaluate("document.getElementById('new').className") == ""


def test_strict_targets_from_the_body_attribute_and_per_call(context: Any, server: ServerProcess) -> None:
    page = open_page(context, server, "/dom/")
    assert call(page, "missing")["ok"]["event"] == "end"
    assert call(page, "missing", {}, {"strictTargets": True})["status"] == 404
    strict = open_page(context, server, "/dom/?strict=1")
    assert call(strict, "missing") == {
        "status": 404,
        "message": "Target not found: #nowhere",
        "kind": "client",
    }
    assert call(strict, "missing", {}, {"strictTargets": False})["ok"]["event"] == "end"


def test_first_invalid_finds_djangos_errorlist_before_invalid(context: Any, server: ServerProcess) -> None:
    page = open_page(context, server, "/dom/")
    call(page, "invalid")
    assert page.evaluate("document.activeElement.name") == "body"


def test_back_and_forward_restore_the_content_of_pushed_entries(context: Any, server: ServerProcess) -> None:
    page = open_page(context, server, "/dom/?morph=idiomorph")
    page.evaluate("""() => {
      document.getElementById('kept').marker = 'same element';
      window.restored = [];
      window.addEventListener('hyper:history:restored', (e) => window.restored.push(e.detail.url));
    }""")
    call(page, "navigate")
    assert page.text_content("#main") == "page two"
    assert page.evaluate("location.pathname") == "/dom/two/"
    page.go_back()
    page.wait_for_function("window.restored.length === 1")
    assert page.evaluate("location.pathname") == "/dom/"
    assert page.text_content("#main").strip() == "home"
    page.go_forward()
    page.wait_for_function("window.restored.length === 2")
    assert page.text_content("#main").strip() == "page two"
    assert page.title() == "dom page two"
    # Only the pop target changed: the rest of the page and the socket are the same.
    assert page.evaluate("document.getElementById('kept').marker") == "same element"
    assert page.evaluate("window.hyper.state") == "open"
    assert call(page, "missing")["ok"]["event"] == "end"


@pytest.mark.parametrize("meta", [False, True])
def test_load_js_carries_the_csp_nonce(context: Any, server: ServerProcess, meta: bool) -> None:
    page = context.new_page()
    page.goto(server.http_url + "/dom/csp/" + ("?meta=1" if meta else ""))
    # Playwright's wait_for_function evaluates strings, which the policy forbids: poll instead.
    poll(page, "() => !!window.hyperReady")
    page.evaluate("() => window.hyperReady")
    # The policy holds: an inline script without the nonce did not run, nor does a script added without it.
    assert page.evaluate("() => window.inlineWithoutNonce") is None
    page.evaluate("""() => {
      const s = document.createElement('script');
      s.src = '/dom/js/intruder.js';
      document.head.append(s);
    }""")
    poll(page, "() => window.violations.some((u) => u.includes('intruder'))")
    assert call(page, "load", {"name": "ours"})["ok"]["event"] == "end"
    poll(page, "() => (window.ran || []).includes('ours')")
    assert page.evaluate("() => window.ran") == ["ours"]
    assert page.evaluate("() => document.querySelector('script[src$=\"ours.js\"]').nonce") != ""


def test_signals_merge_deeply(context: Any, server: ServerProcess) -> None:
    page = open_page(context, server, "/dom/?alpine=1")
    page.wait_for_function(
        "window.Alpine && document.querySelector('#stats-text').textContent.includes('present')"
    )
    page.click("#signals")
    page.wait_for_function("JSON.parse(document.querySelector('#stats-text').textContent).present === 2")
    page.click("#signals2")
    page.wait_for_function("JSON.parse(document.querySelector('#stats-text').textContent).by.bob === 5")
    assert page.evaluate("JSON.parse(document.querySelector('#stats-text').textContent)") == {
        "present": 2,
        "cards": 4,
        "by": {"ann": 3, "bob": 5},
    }
    page.wait_for_function("document.querySelector('#board').textContent.includes('Sprint')")
    assert page.evaluate("JSON.parse(document.querySelector('#board').textContent)") == {
        "theme": "dark",
        "name": "Sprint",
    }
