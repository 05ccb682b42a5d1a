"""A cancelled receive on the core Redis layer ends: the case behind ``layerlink.cancel_and_wait``.

On Python 3.11, redis-py sends each command through ``asyncio.wait_for``, which swallows a
cancellation that arrives just as the send completes; channels_redis' ``receive`` then reads on.
Cancelled within a few loop turns of its start (where its sends are) one receive in four went on
reading on this machine. Every socket and relay stops its receives with ``cancel_and_wait``.
"""

from __future__ import annotations

import asyncio
import random
import uuid

from hyperchannels.layerlink import cancel_and_wait
from hyperchannels.redis_layer import redis_channel_layer

ATTEMPTS = 40


async def test_every_cancelled_core_layer_receive_ends(redis_url: str) -> None:
    from channels_redis.core import RedisChannelLayer

    config = redis_channel_layer(redis_url, prefix=f"hypertest-{uuid.uuid4().hex[:8]}")["CONFIG"]
    layer = RedisChannelLayer(**config)
    loop = asyncio.get_running_loop()
    rng = random.Random(2028)
    try:
        for _ in range(ATTEMPTS):
            channel = await layer.new_channel()
            receiving = asyncio.create_task(layer.receive(channel))
            for _ in range(rng.randint(0, 12)):  # land among the receive's first sends
                await asyncio.sleep(0)
            started = loop.time()
            await cancel_and_wait([receiving], seconds=10)
            assert receiving.done(), "a cancelled receive went on reading"
            assert loop.time() - started < 10
        # The layer is still usable on this loop: nothing holds its receive lock.
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "after"})
        assert (await asyncio.wait_for(layer.receive(channel), 10))["type"] == "after"
    finally:
        await layer.flush()
        await layer.close_pools()
