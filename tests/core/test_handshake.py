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
OPEN_GATE = asyncio.Event()


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


class GatedLayer(InMemoryChannelLayer):
    """A layer whose ``new_channel`` waits for ``OPEN_GATE`` (a Redis shard's lock under a storm)."""

    async def new_channel(self, prefix: str = "specific.") -> str:
        EVENTS.append("new_channel started")
        STARTED.set()
        await OPEN_GATE.wait()
        name = await super().new_channel(prefix)
        EVENTS.append("new_channel done")
        return name

    async def receive(self, channel: str) -> Any:
        try:
            return await super().receive(channel)
        except asyncio.CancelledError:
            EVENTS.append("channel let go")
            raise


class GroupedStalledConnect(StalledConnect):
    groups = ["handshake-group"]

    async def connect(self) -> None:
        await self.membership.join(["handshake-group"])  # what accept() does first
        await super().connect()


@pytest.fixture(autouse=True)
def _fresh() -> None:
    global STARTED, OPEN_GATE
    EVENTS.clear()
    STARTED = asyncio.Event()  # an Event belongs to the loop of its first wait: one per test
    OPEN_GATE = asyncio.Event()


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


@override_settings(CHANNEL_LAYERS={"default": {"BACKEND": f"{__name__}.GatedLayer"}})
async def test_a_client_that_leaves_while_the_layer_opens_its_channel_ends_at_once() -> None:
    await _leave_during_handshake(StalledConnect)
    # The socket ended without waiting for the layer; connect() never ran, nor disconnect().
    assert EVENTS == ["new_channel started"]
    # The opening finishes in the background and the channel is given back (a receive started
    # and cancelled: channels_redis' pubsub layer unsubscribes then), not left registered.
    OPEN_GATE.set()
    for _ in range(100):
        if "channel let go" in EVENTS:
            break
        await asyncio.sleep(0.01)
    assert EVENTS == ["new_channel started", "new_channel done", "channel let go"]


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
    with override_settings(CHANNEL_LAYERS={"default": {"BACKEND": f"{__name__}.GatedLayer"}}):
        connected, code = await communicator.connect()
    assert not connected
    assert EVENTS == []  # refused before any layer work


class GatedGroupLayer(InMemoryChannelLayer):
    """A layer whose ``group_add`` waits for ``OPEN_GATE``: a group relay that takes long to start."""

    async def group_add(self, group: str, channel: str) -> None:
        STARTED.set()
        await OPEN_GATE.wait()
        await super().group_add(group, channel)


class GroupedConsumer(HyperConsumer):
    groups = ["slow-relay-group"]


@override_settings(CHANNEL_LAYERS={"default": {"BACKEND": f"{__name__}.GatedGroupLayer"}})
async def test_a_relay_whose_only_joiner_left_is_stopped() -> None:
    from channels.layers import get_channel_layer

    await _leave_during_handshake(GroupedConsumer)
    relays = relays_for(get_channel_layer())
    for _ in range(100):
        if "slow-relay-group" not in relays.relays:
            break
        await asyncio.sleep(0.01)
    assert "slow-relay-group" not in relays.relays  # not kept, subscribed, for nobody
