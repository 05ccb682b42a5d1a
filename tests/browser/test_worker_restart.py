"""A page on a worker (daphne or uvicorn) that is killed (``SIGKILL``: no close frame, no disconnect handler)
while another worker of the same Redis layer keeps broadcasting: once the worker is back on its
port, the page shows every item broadcast meanwhile, each once and in order, without a reload
(docs/recovery.md). The history lives in Redis, so the restarted worker replays it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.test_recovery import ITEMS, RESUMES, broadcast, recovery_page, wait_for_items
from tests.servers import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.daphne]

APP = "tests.browser.asgi:application"
SETTINGS = "tests.browser.settings_redis"


@pytest.fixture(params=["core", "pubsub"])
def workers(
    request: pytest.FixtureRequest, redis_url: str, server_name: str
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Workers A and B of one site: the same Redis layer and prefix."""
    env = {
        "HYPER_TEST_LAYER": request.param,
        "REDIS_URL": redis_url,
        "HYPER_TEST_PREFIX": f"hyperkill-{uuid.uuid4().hex[:8]}",
    }
    with (
        ServerProcess(APP, SETTINGS, env=env, server=server_name) as a,
        ServerProcess(APP, SETTINGS, env=env, server=server_name) as b,
    ):
        yield a, b


def kill(server: ServerProcess) -> None:
    """``SIGKILL``: the process gets no chance to close its sockets or leave its groups."""
    assert server.process is not None
    server.process.kill()
    server.process.wait(10)
    server.process = None


def test_a_page_on_a_killed_worker_gets_what_another_worker_broadcast_meanwhile(
    context: Any, workers: tuple[ServerProcess, ServerProcess]
) -> None:
    a, b = workers
    name = "killed"
    group = f"recovery-{name}"
    page = recovery_page(context, b, name, f"/ws/recovery/{name}/")
    born = page.evaluate("window.born")
    base = page.evaluate("window.hyper.positions()")[group]
    broadcast(a, name, "live")  # from worker A, through Redis, to the page on worker B
    assert wait_for_items(page, 1) == ["live"]

    kill(b)
    page.wait_for_function("() => document.documentElement.dataset.hyperState === 'reconnecting'")
    for i in range(1, 6):
        broadcast(a, name, f"while-down-{i}")
    assert page.evaluate(ITEMS) == ["live"]
    ended = page.evaluate(RESUMES)

    b.start()  # the same port: the page's reconnect attempts (100-200 ms apart) reach it
    page.wait_for_function(f"() => ({RESUMES}).length > {len(ended)}", timeout=20_000)
    assert page.evaluate(RESUMES)[len(ended) :] == [{"recovered": [group], "resynced": []}]
    assert wait_for_items(page, 6) == ["live", *(f"while-down-{i}" for i in range(1, 6))]
    assert page.evaluate("window.resyncs") == []
    assert page.evaluate("window.born") == born, "the page was not reloaded"
    after = page.evaluate("window.hyper.positions()")[group]
    assert after == {"seq": base["seq"] + 6, "epoch": base["epoch"]}

    # The restarted worker relays the group again: a later broadcast from A arrives once.
    broadcast(a, name, "after")
    assert wait_for_items(page, 7)[-1] == "after"
    assert page.evaluate(ITEMS) == ["live", *(f"while-down-{i}" for i in range(1, 6)), "after"]
    assert "Traceback" not in a.log() + b.log(), a.log() + b.log()
