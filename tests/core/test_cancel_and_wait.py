"""``layerlink.cancel_and_wait``: a cancelled task that won't end never holds a socket's close.

Seen in CI: channels_redis' core ``receive`` sat on a Redis read long after its cancellation;
a relay's stop awaited it, so the socket's close and the test waiting for it hung.
"""

from __future__ import annotations

import asyncio

from hyperchannels.layerlink import cancel_and_wait


async def test_a_task_that_ignores_its_cancellation_is_waited_for_at_most_the_bound() -> None:
    released = asyncio.Event()

    async def stubborn() -> str:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            await released.wait()  # like a library that finishes its read before giving in
        return "ended"

    async def polite() -> None:
        await asyncio.sleep(3600)

    slow, quick = asyncio.create_task(stubborn()), asyncio.create_task(polite())
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await cancel_and_wait([slow, quick, None], seconds=0.2)
    assert 0.2 <= loop.time() - started < 5
    assert quick.cancelled()
    assert not slow.done()  # left to end on its own
    released.set()
    assert await slow == "ended"


async def test_the_caller_can_still_be_cancelled_while_it_waits() -> None:
    async def stubborn() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            await asyncio.sleep(3600)

    inner = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    outer = asyncio.create_task(cancel_and_wait([inner], seconds=60))
    await asyncio.sleep(0.05)
    outer.cancel()
    done, _ = await asyncio.wait([outer], timeout=5)
    assert outer in done and outer.cancelled()
    inner.cancel()
