"""Access in Chromium (docs/security.md): signing out over HTTP closes the tab's socket for good,
and the heartbeat notices a server that stopped answering and reconnects once it answers again."""

from __future__ import annotations

import os
import signal
import uuid
from typing import Any

import pytest

from tests.example.conftest import Example, example, sign_in  # noqa: F401  (the example fixture)
from tests.example.conftest import open_page as open_example_page
from tests.servers import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.daphne]

# Counts what a page's client does from before its first script runs: every WebSocket it opens
# (a reconnect opens a new one), every lifecycle event, the close it was given, the pings it sent
# and the `end` frames it received (the server answers a ping with one).
RECORD = """
  window.record = {
    sockets: 0, connected: 0, disconnected: 0, reconnecting: 0, closed: [], pings: 0, ends: 0,
  };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      window.record.sockets += 1;
      this.addEventListener("message", (m) => {
        if (JSON.parse(m.data).event === "end") window.record.ends += 1;
      });
    }
    send(text) {
      if (JSON.parse(text).type === "ping") window.record.pings += 1;
      return super.send(text);
    }
  };
  for (const name of ["connected", "disconnected", "reconnecting"]) {
    window.addEventListener(`hyper:${name}`, () => { window.record[name] += 1; });
  }
  window.addEventListener("hyper:closed", (e) => window.record.closed.push(e.detail));
"""
STATE = "() => document.documentElement.dataset.hyperState"


def record(page: Any) -> dict[str, Any]:
    value: dict[str, Any] = page.evaluate("window.record")
    return value


@pytest.mark.redis
def test_signing_out_in_another_tab_closes_the_socket_with_4401_and_it_stays_closed(
    browser: Any,
    example: Example,  # noqa: F811
) -> None:
    context = browser.new_context()
    try:
        context.add_init_script(RECORD)
        other = sign_in(context, example, "ann")  # the home page, with its "Sign out" form
        tab = open_example_page(context, example, f"/board/t-{uuid.uuid4().hex[:8]}/")
        assert tab.text_content("#who") == "ann"
        assert tab.evaluate(STATE) == "open"
        assert record(tab)["sockets"] == 1

        with other.expect_navigation():
            other.click("header form button")  # POST /accounts/logout/ with the CSRF token
        assert other.url == f"{example.url}/accounts/login/"
        assert other.locator("#who").count() == 0, "the other tab is signed out"

        tab.wait_for_function("() => window.record.closed.length > 0", timeout=10_000)
        closed = record(tab)["closed"]
        assert [entry["code"] for entry in closed] == [4401]
        assert isinstance(closed[0]["reason"], str)
        assert tab.evaluate(STATE) == "closed"

        # The client's first reconnect would come after reconnectMin (1 s by default) and the next
        # ones sooner than 4 s: none may come, the server would only refuse the same user again.
        tab.wait_for_timeout(4000)
        after = record(tab)
        assert after["sockets"] == 1, "no new socket was opened"
        assert after["connected"] == 1
        assert after["reconnecting"] == 0
        assert after["closed"] == closed
        assert tab.evaluate(STATE) == "closed"
        failure = tab.evaluate(
            "window.hyper.action('set_theme', {theme: 'dark'}).then(() => 'ran', (e) => e.message)"
        )
        assert failure == "Socket is closed"
        assert record(tab)["sockets"] == 1
    finally:
        context.close()


HEARTBEAT = 500
HEARTBEAT_TIMEOUT = 500


def test_the_heartbeat_notices_a_stopped_server_and_reconnects_when_it_resumes(
    context: Any, server_name: str
) -> None:
    app, settings = "tests.browser.asgi:application", "tests.browser.settings"
    with ServerProcess(app, settings, server=server_name) as own:
        assert own.process is not None
        pid = own.process.pid
        page = context.new_page()
        page.add_init_script(RECORD)
        page.goto(f"{own.http_url}/heartbeat/?heartbeat={HEARTBEAT}&timeout={HEARTBEAT_TIMEOUT}")
        page.wait_for_function("() => window.record.connected === 1", timeout=10_000)

        # While the server answers, a silent socket is pinged every interval and stays open.
        page.wait_for_function("() => window.record.pings >= 3 && window.record.ends >= 3", timeout=10_000)
        alive = record(page)
        assert (alive["connected"], alive["disconnected"], alive["sockets"]) == (1, 0, 1)
        assert page.evaluate(STATE) == "open"

        os.kill(pid, signal.SIGSTOP)
        try:
            # Silent for at most `heartbeat` ms, then pinged, then `heartbeatTimeout` ms without an
            # answer: the page gives the socket up (the TCP connection itself is still up).
            page.wait_for_function(
                "() => window.record.disconnected === 1", timeout=HEARTBEAT + HEARTBEAT_TIMEOUT + 1500
            )
            assert page.evaluate(STATE) in ("reconnecting", "connecting")
            assert record(page)["connected"] == 1
        finally:
            os.kill(pid, signal.SIGCONT)

        page.wait_for_function("() => window.record.connected === 2", timeout=15_000)
        assert page.evaluate(STATE) == "open"
        resumed = record(page)
        assert resumed["disconnected"] == 1
        assert resumed["closed"] == []
        # The new socket is answered too: its pings get their ends and it stays open.
        pings, ends = resumed["pings"] + 2, resumed["ends"] + 2
        page.wait_for_function(
            f"() => window.record.pings >= {pings} && window.record.ends >= {ends}", timeout=10_000
        )
        assert record(page)["connected"] == 2
        assert page.evaluate(STATE) == "open"
