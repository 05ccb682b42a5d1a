"""Recovery in Chromium (docs/client.md, "Recovery"): a page whose socket dies without a close
frame gets what was broadcast meanwhile, each item once and in order, without a reload; a page
rendered before its socket connected gets what was broadcast in between."""

from __future__ import annotations

import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.proxy import DroppingProxy
from tests.servers import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.daphne]

ITEMS = "() => [...document.querySelectorAll('#items li')].map((li) => li.textContent)"
RECORD_SENT = """
  window.sent = [];
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (text) {
    window.sent.push(JSON.parse(text));
    return send.call(this, text);
  };
"""
RESUMES = "window.ends.filter((data) => Array.isArray(data.recovered))"  # the resumes' ends, in order


@pytest.fixture
def proxy(server: ServerProcess) -> Iterator[DroppingProxy]:
    with DroppingProxy(server.port) as proxy:
        yield proxy


def broadcast(server: ServerProcess, name: str, text: str, stream: bool = False) -> None:
    """One push to the page's group (or its stream's), from a request of its own (not the page's
    socket)."""
    query = urllib.parse.urlencode({"text": text, "stream": "1" if stream else "0"})
    with urllib.request.urlopen(f"{server.http_url}/recovery/{name}/broadcast/?{query}", timeout=10) as reply:
        assert reply.read() == b"sent"


def recovery_page(
    context: Any, server: ServerProcess, name: str, socket_url: str, defer: bool = False, stream: bool = False
) -> Any:
    page = context.new_page()
    page.add_init_script(RECORD_SENT)
    query = urllib.parse.urlencode(
        {"socket": socket_url, "defer": "1" if defer else "0", "stream": "1" if stream else "0"}
    )
    page.goto(f"{server.http_url}/recovery/{name}/?{query}")
    page.wait_for_function("() => typeof window.go === 'function'")
    if not defer:
        page.evaluate("window.hyperReady")
    return page


def wait_for_items(page: Any, count: int) -> list[str]:
    page.wait_for_function(f"() => document.querySelectorAll('#items li').length >= {count}", timeout=10_000)
    items: list[str] = page.evaluate(ITEMS)
    return items


def test_a_dropped_socket_gets_what_was_broadcast_while_down_once_in_order(
    context: Any, server: ServerProcess, proxy: DroppingProxy
) -> None:
    name = "drop"
    page = recovery_page(context, server, name, f"ws://127.0.0.1:{proxy.port}/ws/recovery/{name}/")
    born = page.evaluate("window.born")
    base = page.evaluate("window.hyper.positions()")["recovery-drop"]
    for i in range(1, 4):
        broadcast(server, name, f"item-{i}")
    assert wait_for_items(page, 3) == ["item-1", "item-2", "item-3"]

    proxy.drop()  # TCP reset: no close frame either way
    page.wait_for_function("() => document.documentElement.dataset.hyperState === 'reconnecting'")
    for i in range(4, 9):
        broadcast(server, name, f"item-{i}")
    assert page.evaluate(ITEMS) == ["item-1", "item-2", "item-3"]

    ended = page.evaluate(RESUMES)
    proxy.restore()
    # The resume ends once its replay was sent: then nothing more is coming.
    page.wait_for_function(f"() => ({RESUMES}).length > {len(ended)}", timeout=10_000)
    assert wait_for_items(page, 8) == [f"item-{i}" for i in range(1, 9)]
    assert page.evaluate(RESUMES)[len(ended) :] == [{"recovered": ["recovery-drop"], "resynced": []}]
    assert page.evaluate("window.resyncs") == []
    assert page.evaluate("window.born") == born, "the page was not reloaded"
    after = page.evaluate("window.hyper.positions()")["recovery-drop"]
    assert after == {"seq": base["seq"] + 8, "epoch": base["epoch"]}
    broadcast(server, name, "item-9")
    assert wait_for_items(page, 9)[-1] == "item-9"
    assert page.evaluate(ITEMS) == [f"item-{i}" for i in range(1, 10)]


def test_a_page_rendered_before_its_socket_connects_gets_the_broadcasts_in_between(
    context: Any, server: ServerProcess
) -> None:
    name = "render-gap"
    page = recovery_page(context, server, name, f"/ws/recovery/{name}/", defer=True)
    rendered = page.evaluate("JSON.parse(document.getElementById('positions').textContent)")
    for i in range(1, 4):
        broadcast(server, name, f"late-{i}")
    page.evaluate("window.go()")
    page.wait_for_function(f"() => ({RESUMES}).length > 0", timeout=10_000)
    assert page.evaluate(RESUMES) == [{"recovered": ["recovery-render-gap"], "resynced": []}]
    assert wait_for_items(page, 3) == ["late-1", "late-2", "late-3"]
    start = rendered["recovery-render-gap"]
    position = page.evaluate("window.hyper.positions()")["recovery-render-gap"]
    assert position == {"seq": start["seq"] + 3, "epoch": start["epoch"]}
    assert page.evaluate("window.resyncs") == []


def test_a_new_epoch_after_a_server_restart_resyncs_the_page_and_later_pushes_apply(
    context: Any, server_name: str
) -> None:
    """The in-memory history dies with its process: the restarted server's epoch differs, so the
    page resyncs (the consumer's hook replaces the list) and the new history's pushes, whose seq
    restarted below the page's old one, are applied, not dropped as duplicates."""
    name = "epoch"
    with ServerProcess("tests.browser.asgi:application", "tests.browser.settings", server=server_name) as own:
        page = recovery_page(context, own, name, f"/ws/recovery/{name}/")
        for i in range(1, 4):
            broadcast(own, name, f"old-{i}")
        assert wait_for_items(page, 3) == ["old-1", "old-2", "old-3"]
        before = page.evaluate("window.hyper.positions()")["recovery-epoch"]
        ended = page.evaluate(RESUMES)

        own.restart()
        page.wait_for_function(f"() => ({RESUMES}).length > {len(ended)}", timeout=15_000)
        assert page.evaluate(RESUMES)[len(ended) :] == [{"recovered": [], "resynced": ["recovery-epoch"]}]
        assert page.evaluate("window.resyncs") == ["recovery-epoch"]
        assert page.evaluate(ITEMS) == ["resynced recovery-epoch"]
        after = page.evaluate("window.hyper.positions()")["recovery-epoch"]
        assert after["epoch"] != before["epoch"]
        assert after["seq"] < before["seq"]

        broadcast(own, name, "new-1")
        assert wait_for_items(page, 2) == ["resynced recovery-epoch", "new-1"]


def test_a_stream_resubscribes_from_the_page_position_after_a_drop(
    context: Any, server: ServerProcess, proxy: DroppingProxy
) -> None:
    """A group joined by ``subscribe``: after the drop the page re-subscribes with ``since`` (its
    own position) and resumes it too; the replay is applied once, in order, whichever replays it."""
    name = "streamed"
    page = recovery_page(
        context, server, name, f"ws://127.0.0.1:{proxy.port}/ws/recovery/{name}/", stream=True
    )
    page.evaluate("window.subscribed")
    for i in range(1, 4):
        broadcast(server, name, f"s-{i}", stream=True)
    assert wait_for_items(page, 3) == ["s-1", "s-2", "s-3"]
    position = page.evaluate("window.hyper.positions()")["stream-streamed"]
    sent_before = page.evaluate("window.sent.length")

    proxy.drop()
    page.wait_for_function("() => document.documentElement.dataset.hyperState === 'reconnecting'")
    for i in range(4, 9):
        broadcast(server, name, f"s-{i}", stream=True)
    ended = page.evaluate(RESUMES)
    proxy.restore()
    page.wait_for_function(f"() => ({RESUMES}).length > {len(ended)}", timeout=10_000)
    page.wait_for_function("() => window.ends.filter((data) => data.group === 'stream-streamed').length >= 2")
    assert wait_for_items(page, 8) == [f"s-{i}" for i in range(1, 9)]

    again = page.evaluate("window.sent")[sent_before:]
    assert [frame["type"] for frame in again] == ["subscribe", "resume"]
    assert again[0]["since"] == position
    assert again[1]["positions"]["stream-streamed"] == position
    broadcast(server, name, "s-9", stream=True)
    assert wait_for_items(page, 9) == [f"s-{i}" for i in range(1, 10)]
    assert page.evaluate("window.hyper.positions()")["stream-streamed"]["seq"] == position["seq"] + 6
