"""One slow member never holds up its group (issue 11, fault 13; docs/broadcast.md, "Groups").

The relay hands each group message to every member's own inbox without waiting; a socket's
handler that awaits, or a client that stops reading, delays only that socket. The relay's own
channel is drained as fast as the layer fills it, so it never expires out of its group, and a
relay the layer dropped anyway joins again.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import pytest
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from django.test import override_settings
from django.urls import path
from websockets.asyncio.client import ClientConnection

from hyperchannels.relays import refresh_seconds, relays_for
from hyperchannels.testing import ActionCommunicator
from tests.broadcast.consumers import SlowChatConsumer
from tests.servers import ServerProcess
from tests.wire import connect

app = URLRouter([path("ws/slow/<str:room>/", SlowChatConsumer.as_asgi())])


async def open_many(room: str, count: int) -> list[ActionCommunicator]:
    comms = [ActionCommunicator(app, f"/ws/slow/{room}/") for _ in range(count)]
    for comm in comms:
        assert (await comm.connect(timeout=5))[0]
    return comms


async def test_a_handler_that_awaits_delays_only_its_own_socket(layer: str) -> None:
    comms = await open_many("twenty", 20)
    started = time.monotonic()
    await get_channel_layer().group_send("room-twenty", {"type": "chat.message", "text": "hi"})
    pushes = await asyncio.gather(*(comm.receive_push(timeout=10) for comm in comms))
    elapsed = time.monotonic() - started
    assert pushes == [("toast", {"value": "hi"})] * 20
    # Each socket waits its own 0.2 s at once; members awaited in turn would take 20 x 0.2 = 4 s.
    assert elapsed < 1.5, f"20 sockets with a 0.2 s handler took {elapsed:.2f} s"
    for comm in comms:
        await comm.disconnect()


@override_settings(
    CHANNEL_LAYERS={"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"expiry": 1}}}
)
async def test_the_relay_channel_is_drained_so_it_never_expires_out_of_its_group() -> None:
    layer = get_channel_layer()
    comms = await open_many("drain", 3)
    relay = relays_for(layer).relays["room-drain"]
    # 15 messages x 0.2 s = 3 s of handler time per socket, three times the layer's expiry.
    for n in range(15):
        await layer.group_send("room-drain", {"type": "chat.message", "text": str(n)})
    for comm in comms:
        assert [await comm.receive_push(timeout=10) for _ in range(15)] == [
            ("toast", {"value": str(n)}) for n in range(15)
        ]
    await layer.group_send("room-drain", {"type": "chat.message", "text": "after"})
    assert relay.channel_name in layer.groups["room-drain"]
    for comm in comms:
        assert await comm.receive_push(timeout=5) == ("toast", {"value": "after"})
        await comm.disconnect()


@override_settings(
    CHANNEL_LAYERS={
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"group_expiry": 1}}
    }
)
async def test_a_relay_the_layer_dropped_joins_its_group_again() -> None:
    layer = get_channel_layer()
    assert refresh_seconds(layer) == 0.5
    (comm,) = await open_many("dropped", 1)
    relay = relays_for(layer).relays["room-dropped"]
    await layer.group_discard("room-dropped", relay.channel_name)  # as expiry or a Redis restart would
    deadline = time.monotonic() + 5
    while relay.channel_name not in layer.groups.get("room-dropped", {}):
        assert time.monotonic() < deadline, "the relay never joined its group again"
        await asyncio.sleep(0.05)
    await layer.group_send("room-dropped", {"type": "chat.message", "text": "back"})
    assert await comm.receive_push(timeout=5) == ("toast", {"value": "back"})
    # Past group_expiry (1 s) the layer would drop a member that joined once; the refresh keeps it.
    await asyncio.sleep(2.5)
    await layer.group_send("room-dropped", {"type": "chat.message", "text": "still"})
    assert await comm.receive_push(timeout=5) == ("toast", {"value": "still"})
    await comm.disconnect()


async def frames_until(ws: ClientConnection, predicate: Any, timeout: float) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            frame: dict[str, Any] = json.loads(await ws.recv())
            if predicate(frame):
                return frame


@pytest.mark.daphne
@pytest.mark.parametrize("kind", ["memory", "core"])
async def test_a_client_that_stops_reading_does_not_stop_the_others(
    kind: str, redis_url: str, server_name: str
) -> None:
    env = {
        "HYPER_TEST_LAYER": kind,
        "REDIS_URL": redis_url,
        "HYPER_TEST_PREFIX": f"stall-{uuid.uuid4().hex[:8]}",
    }
    with ServerProcess(
        "tests.broadcast.asgi_slow:application", "tests.broadcast.settings", env=env, server=server_name
    ) as server:
        url = f"{server.ws_url}/ws/slow/stall/"
        # The stalled client reads nothing: its library queue holds one frame, then TCP fills up.
        room = ["room-stall"]
        stalled = await connect(url, groups=room, max_queue=1, max_size=None)
        readers = [await connect(url, groups=room, max_size=None) for _ in range(3)]
        talker = await connect(url, groups=room)
        count, size = 60, 100_000  # 6 MB per socket, far beyond the socket buffers
        await talker.send(
            json.dumps({"type": "action", "id": "f", "name": "flood", "data": {"count": count, "size": size}})
        )
        started = time.monotonic()
        for ws in readers:
            last = await frames_until(ws, lambda f: f.get("data") == {"n": count - 1}, timeout=30)
            assert (last["event"], last["data"]) == ("patch_signals", {"n": count - 1})
        elapsed = time.monotonic() - started
        # Still answering while the stalled socket holds megabytes unread.
        await talker.send(json.dumps({"type": "action", "id": "p", "name": "ping", "data": {}}))
        assert (await frames_until(talker, lambda f: f.get("id") == "p", timeout=10))["data"] == {
            "value": "pong"
        }
        for ws in [*readers, talker, stalled]:
            await ws.close()
        assert "Exception inside application" not in server.log(), server.log()
        print(f"{count} pushes of {size} B reached 3 readers in {elapsed:.2f} s beside a stalled socket")
