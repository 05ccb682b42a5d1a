"""Sync user code: one socket can't hold every worker thread, and closing never waits on it
(docs/actions.md, "Sync code and threads" and "Closing").

Regressions: two sockets each starting 16 slow sync actions made an unrelated socket's instant
sync action, and a new socket's handshake, wait until they ended; a socket closed while its
sync generator blocked in one step ran ``disconnect()`` only when the step returned (daphne
killed it first) and stayed in its group meanwhile.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from channels.layers import get_channel_layer
from django.test import override_settings

from hyperchannels import Toast, action
from hyperchannels.consumers import HyperConsumer
from hyperchannels.relays import relays_for
from hyperchannels.testing import ActionCommunicator

release = threading.Event()
busy_lock = threading.Lock()
busy: dict[str, int] = {"now": 0, "most": 0}


class Busy(HyperConsumer):
    @action
    def slow(self, request: Any) -> Toast:
        with busy_lock:
            busy["now"] += 1
            busy["most"] = max(busy["most"], busy["now"])
        try:
            release.wait(20)
        finally:
            with busy_lock:
                busy["now"] -= 1
        return Toast("slow")

    @action
    def quick(self, request: Any) -> Toast:
        return Toast("quick")


@pytest.fixture
def released() -> Iterator[None]:
    release.clear()
    busy.update(now=0, most=0)
    yield
    release.set()


async def start_slow(comm: ActionCommunicator, n: int) -> list[str]:
    return [await comm.send_action("slow") for _ in range(n)]


async def test_one_socket_holds_at_most_its_share_of_threads(released: None) -> None:
    tabs = [ActionCommunicator(Busy.as_asgi(), "/ws/") for _ in range(2)]
    for tab in tabs:
        assert (await tab.connect())[0]
    started = [await start_slow(tab, 16) for tab in tabs]
    other = ActionCommunicator(Busy.as_asgi(), "/ws/")
    assert (await other.connect())[0]
    # Answered while 32 slow actions are still waiting: they hold 2 x 4 threads, not all 32.
    assert await other.call("quick") == [("toast", {"value": "quick"}), ("end", {})]
    async with asyncio.timeout(5):
        while busy["now"] < 8:
            await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)  # room for more to start, were the share not kept
    assert busy["most"] == 8
    release.set()
    for tab, ids in zip(tabs, started, strict=True):
        for invocation_id in ids:
            assert (await tab.receive_until_terminal(invocation_id, timeout=10))[-1] == ("end", {})
        await tab.disconnect()
    await other.disconnect()


@override_settings(HYPERCHANNELS={"SYNC_THREADS_PER_SOCKET": 16})
async def test_a_handshake_needs_no_worker_thread(released: None) -> None:
    tabs = [ActionCommunicator(Busy.as_asgi(), "/ws/") for _ in range(2)]
    for tab in tabs:
        assert (await tab.connect())[0]
        await start_slow(tab, 16)
    while busy["now"] < 32:  # every shared worker thread is blocked
        await asyncio.sleep(0.01)
    newcomer = ActionCommunicator(Busy.as_asgi(), "/ws/")
    connected, _ = await newcomer.connect(timeout=3)
    assert connected
    release.set()
    for comm in [*tabs, newcomer]:
        await comm.disconnect(timeout=10)


step = threading.Event()
finished = threading.Event()
disconnected = asyncio.Event()


class Blocking(HyperConsumer):
    groups = ["closing-test"]

    @action
    def stream(self, request: Any) -> Iterator[Toast]:
        try:
            yield Toast("first")
            step.wait(20)
            yield Toast("never sent")
        finally:
            finished.set()

    @action
    def stuck(self, request: Any) -> Toast:
        step.wait(20)
        return Toast("late")

    async def disconnect(self, code: int) -> None:
        disconnected.set()


@pytest.mark.parametrize("name", ["stream", "stuck"])
async def test_closing_does_not_wait_for_a_blocked_step(name: str) -> None:
    step.clear()
    finished.clear()
    disconnected.clear()
    comm = ActionCommunicator(Blocking.as_asgi(), "/ws/")
    assert (await comm.connect())[0]
    invocation_id = await comm.send_action(name)
    if name == "stream":
        assert await comm.receive_reply(invocation_id) == ("toast", {"value": "first"})
    await asyncio.sleep(0.1)  # the step is blocked in its thread
    try:
        await comm.disconnect(timeout=2)  # the application ends while the step still blocks
        assert disconnected.is_set()
        layer: Any = get_channel_layer()
        assert "closing-test" not in relays_for(layer).relays
        assert not finished.is_set()
    finally:
        step.set()
    if name == "stream":  # the generator is closed once its step returns
        assert await asyncio.to_thread(finished.wait, 5)
