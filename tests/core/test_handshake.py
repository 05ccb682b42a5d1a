"""A client that leaves during the handshake (docs/deploy.md, "Many sockets per process"):
the handshake's work is cancelled wherever it waits, the socket still ends as every socket
does (``disconnect()`` runs, nothing stays joined), and a client that stays is served as before."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.layers import InMemoryChannelLayer
from django.test import override_settings

from hyperchannels import HyperConsumer, action
from hyperchannels.relays import relays_for
from hyperchannels.testing import ActionCommunicator

EVENTS: list[str] = []
STARTED = asyncio.Event()


class StalledConnect(HyperConsumer):
    """``connect()`` waits for ever: only the client leaving ends it."""

    async def connect(self) -> None:
        EVENTS.append("connect started")
        STARTED.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            EVENTS.append("connect cancelled")
            raise

    async def disconnect(self, code: int) -> None:
        EVENTS.append(f"disconnect {code}")


class SlowConnect(HyperConsumer):
    """Accepts at once, then goes on with ``connect()`` for a while (as ``track()`` would)."""

    async def connect(self) -> None:
        await self.accept()
        await asyncio.sleep(0.3)
        EVENTS.append("connect finished")

    @action
    async def hello(self, request: Any) -> Any:
        EVENTS.append("hello ran")
        return None


class StalledLayer(InMemoryChannelLayer):
    """A layer whose ``new_channel`` waits for ever (a Redis shard's lock under a storm)."""

    async def new_channel(self, prefix: str = "specific.") -> str:
        EVENTS.append("new_channel started")
        STARTED.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            EVENTS.append("new_channel cancelled")
            raise
        raise AssertionError("unreachable")


class GroupedStalledConnect(StalledConnect):
    groups = ["handshake-group"]

    async def connect(self) -> None:
        await self.membership.join(["handshake-group"])  # what accept() does first
        await super().connect()


@pytest.fixture(autouse=True)
def _fresh() -> None:
    global STARTED
    EVENTS.clear()
    STARTED = asyncio.Event()  # an Event belongs to the loop of its first wait: one per test


async def _leave_during_handshake(consumer: type[HyperConsumer]) -> ActionCommunicator:
    communicator = ActionCommunicator(consumer.as_asgi(), "/ws/handshake/")
    await communicator.send_input({"type": "websocket.connect"})
    await asyncio.wait_for(STARTED.wait(), 2)
    await communicator.send_input({"type": "websocket.disconnect", "code": 1001})
    await communicator.wait(2)  # the application ends: raises if it is still running
    return communicator


async def test_a_client_that_leaves_during_connect_cancels_it() -> None:
    await _leave_during_handshake(StalledConnect)
    assert EVENTS == ["connect started", "connect cancelled", "disconnect 1001"]


@override_settings(CHANNEL_LAYERS={"default": {"BACKEND": f"{__name__}.StalledLayer"}})
async def test_a_client_that_leaves_while_the_layer_opens_its_channel_cancels_that() -> None:
    await _leave_during_handshake(StalledConnect)
    # connect() never ran: the channel was never opened; the socket still ended as every one does.
    assert EVENTS == ["new_channel started", "new_channel cancelled", "disconnect 1001"]


async def test_a_handshake_cancelled_after_joining_leaves_its_groups() -> None:
    from channels.layers import get_channel_layer

    await _leave_during_handshake(GroupedStalledConnect)
    assert EVENTS == ["connect started", "connect cancelled", "disconnect 1001"]
    assert "handshake-group" not in relays_for(get_channel_layer()).relays


async def test_a_client_that_stays_is_served_after_connect_finishes() -> None:
    communicator = ActionCommunicator(SlowConnect.as_asgi(), "/ws/handshake/")
    connected, _ = await communicator.connect()
    assert connected
    # A frame sent while connect() still runs waits for it (as before): it neither cancels
    # connect() nor runs ahead of it.
    invocation = await communicator.send_action("hello", {})
    assert await communicator.receive_reply(invocation) == ("end", {})
    assert EVENTS == ["connect finished", "hello ran"]
    await communicator.disconnect()


async def test_the_server_refusing_the_origin_opens_no_channel() -> None:
    communicator = ActionCommunicator(
        StalledConnect.as_asgi(), "/ws/handshake/", headers=[(b"origin", b"https://evil.example")]
    )
    with override_settings(CHANNEL_LAYERS={"default": {"BACKEND": f"{__name__}.StalledLayer"}}):
        connected, code = await communicator.connect()
    assert not connected
    assert EVENTS == []  # refused before any layer work
