"""Calls in real Chromium: lanes, loading state, triggers, lifecycle events, HyperDjango's listeners."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import open_page
from tests.servers import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.daphne]

# Two searches, the older one slower: which one's result is on the page once both ended?
TWO_SEARCHES = """async (sync) => {
  const options = sync ? { sync } : {};
  const older = window.hyper.action("search", { q: "older", delay: 0.6 }, options);
  await new Promise((r) => setTimeout(r, 50));
  const newer = window.hyper.action("search", { q: "newer", delay: 0.05 }, options);
  const outcomes = await Promise.all([older, newer]);
  await new Promise((r) => setTimeout(r, 800));  // long after the older reply would have come
  return { outcomes, shown: document.querySelector("#results").textContent };
}"""


def test_without_lanes_an_older_slower_search_overwrites_the_newer(
    context: Any, server: ServerProcess
) -> None:
    page = open_page(context, server, "/calls/")
    result = page.evaluate(TWO_SEARCHES, "none")
    assert [o["event"] for o in result["outcomes"]] == ["end", "end"]
    assert result["shown"] == "older"


def test_the_default_replace_lane_lets_the_newer_search_win(context: Any, server: ServerProcess) -> None:
    page = open_page(context, server, "/calls/")
    result = page.evaluate(TWO_SEARCHES, None)
    assert result["outcomes"] == [{"aborted": True}, {"event": "end", "data": {}}]
    assert result["shown"] == "newer"
    replaced = [r for r in page.evaluate("window.requests") if r[0] == "hyper:requestReplaced"]
    assert replaced == [["hyper:requestReplaced", "search", "2"]]


def test_debounced_search_as_you_type_sends_one_call_for_a_burst(context: Any, server: ServerProcess) -> None:
    page = open_page(context, server, "/calls/")
    page.type("#q", "hello", delay=40)
    page.wait_for_function("document.querySelector('#results').textContent === 'hello'")
    page.wait_for_timeout(400)  # more than the debounce: no late call follows
    sent = [r for r in page.evaluate("window.requests") if r[0] == "hyper:beforeRequest"]
    assert sent == [["hyper:beforeRequest", "search", "1"]]
    page.type("#q", "<b>x</b>", delay=10)  # typed text is escaped by the server's format_html
    page.wait_for_function("document.querySelector('#results li').textContent === 'hello<b>x</b>'")
    assert page.query_selector("#results b") is None


CLICK_AND_WATCH = """() => new Promise((resolve) => {
  const spinner = document.querySelector("#spinner");
  const t0 = performance.now();
  const seen = {};
  new MutationObserver(() => {
    if (!spinner.hidden && seen.shownAfter === undefined) seen.shownAfter = performance.now() - t0;
  }).observe(spinner, { attributes: true });
  document.querySelector("#go").click();
  seen.atClick = {
    spinnerHidden: spinner.hidden,
    anyHidden: document.querySelector("#any").hidden,
    htmlBusy: document.documentElement.getAttribute("aria-busy"),
    sourceBusy: document.querySelector("#go").getAttribute("aria-busy"),
    sourceClass: document.querySelector("#go").classList.contains("hyper-loading"),
    otherDisabled: document.querySelector("#stop").disabled,
  };
  window.addEventListener("hyper:request:end", () => {
    seen.atEnd = {
      spinnerHidden: spinner.hidden,
      anyHidden: document.querySelector("#any").hidden,
      htmlBusy: document.documentElement.getAttribute("aria-busy"),
      sourceBusy: document.querySelector("#go").getAttribute("aria-busy"),
      otherDisabled: document.querySelector("#stop").disabled,
    };
    resolve(seen);
  }, { once: true });
})"""


def test_loading_attributes_with_a_delay(context: Any, server: ServerProcess) -> None:
    page = open_page(context, server, "/calls/")
    seen = page.evaluate(CLICK_AND_WATCH)
    assert seen["atClick"] == {
        "spinnerHidden": True,  # hyper-loading-delay="200": not yet
        "anyHidden": False,
        "htmlBusy": "true",
        "sourceBusy": "true",
        "sourceClass": True,
        "otherDisabled": True,  # hyper-loading-disable="slow-lane"
    }
    assert seen["shownAfter"] >= 200  # shown once the delay passed, while the 0.6 s call ran
    assert seen["atEnd"] == {
        "spinnerHidden": True,
        "anyHidden": True,
        "htmlBusy": None,
        "sourceBusy": None,
        "otherDisabled": False,
    }


def test_hyperdjango_toast_and_event_listeners_work_unchanged(context: Any, server: ServerProcess) -> None:
    page = open_page(context, server, "/calls/")
    assert page.evaluate("window.action('saved').then((o) => o.event)") == "end"
    assert page.evaluate("window.toasts") == ["success: Card added."]
    # On its target (bubbling to window), on window, and nothing at all for a target that matches nothing.
    assert page.evaluate("window.received") == [
        ["card:saved", "board", {"id": 7}],
        ["card:ping", "window", {}],
    ]


def test_before_request_cancels_a_call_unsent(context: Any, server: ServerProcess) -> None:
    page = open_page(context, server, "/calls/")
    result = page.evaluate(
        """async () => {
          const stop = (e) => e.detail.name === "slow" && e.preventDefault();
          window.addEventListener("hyper:beforeRequest", stop);
          const outcome = await window.action("slow", { delay: 0 });
          const done = await window.action("search", { q: "after" });
          return { outcome, done: done.event, busy: document.documentElement.getAttribute("aria-busy") };
        }"""
    )
    assert result == {"outcome": {"cancelled": True}, "done": "end", "busy": None}
    names = [(r[0], r[1]) for r in page.evaluate("window.requests")]
    assert names == [
        ("hyper:beforeRequest", "slow"),
        ("hyper:beforeRequest", "search"),
        ("hyper:request:start", "search"),
        ("hyper:requestSuccess", "search"),
        ("hyper:afterRequest", "search"),
        ("hyper:request:end", "search"),
    ]
