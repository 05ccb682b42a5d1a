"""A history lost while sockets stay connected (Redis restarted empty): every socket of the
group is told the new epoch within a few seconds, even when nothing is broadcast, and a
broadcast accepted while the layer came back is in the new history (docs/recovery.md)."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from django.test import override_settings

from hyperchannels import Toast, abroadcast
from hyperchannels.redis_layer import redis_channel_layer
from hyperchannels.testing import ActionCommunicator
from tests.broadcast.asgi import websocket_app
from tests.redis_server import PrivateRedis


async def new_epoch_told(comm: ActionCommunicator, group: str, old: str, within: float) -> dict[str, object]:
    deadline = time.monotonic() + within
    while True:
        positions = await comm.receive_positions(timeout=max(0.1, deadline - time.monotonic()))
        if group in positions and positions[group]["epoch"] != old:  # type: ignore[index]
            return positions[group]  # type: ignore[return-value]


@pytest.mark.redis
@pytest.mark.parametrize("kind", ["core", "pubsub"])
async def test_redis_restarted_empty_tells_every_socket_the_new_epoch(
    private_redis: PrivateRedis, kind: str
) -> None:
    entry = redis_channel_layer(private_redis.url, layer=kind, prefix=f"epoch-{uuid.uuid4().hex[:8]}")  # type: ignore[arg-type]
    with override_settings(CHANNEL_LAYERS={"default": entry}):
        comms = [ActionCommunicator(websocket_app, "/ws/room/ep/") for _ in range(3)]
        for comm in comms:
            assert (await comm.connect(timeout=5))[0]
        old = (await comms[0].receive_positions())["room-ep"]
        for comm in comms[1:]:
            await comm.receive_positions()
        await abroadcast("room-ep", Toast("before"))
        for comm in comms:
            assert await comm.receive_push() == ("toast", {"value": "before"})

        await asyncio.to_thread(private_redis.stop)
        await asyncio.to_thread(private_redis.start)  # empty: no persistence
        deadline = time.monotonic() + 10
        while True:  # a broadcast accepted while the layer comes back...
            try:
                await abroadcast("room-ep", Toast("during"))
                break
            except Exception:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.2)
        told = [await new_epoch_told(comm, "room-ep", old["epoch"], within=15) for comm in comms]
        new_epoch = told[0]["epoch"]
        assert {t["epoch"] for t in told} == {new_epoch}
        # ...is in the new history: a page resuming the new epoch from its start gets it.
        assert await comms[0].resume({"room-ep": {"seq": 0, "epoch": new_epoch}}) == [
            ("end", {"recovered": ["room-ep"], "resynced": []})
        ]
        pushes = [e for e in [await comms[0].receive_push()] if e[0] == "toast"]
        assert pushes == [("toast", {"value": "during"})]
        # a page still on the old epoch resyncs
        reply = await comms[1].resume({"room-ep": old})
        assert reply[-1] == ("end", {"recovered": [], "resynced": ["room-ep"]})
        for comm in comms:
            await comm.disconnect(timeout=5)
