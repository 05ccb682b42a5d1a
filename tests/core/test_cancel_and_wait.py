"""``layerlink.cancel_and_wait``: a cancelled task ends, even one whose library swallowed the
cancellation once; one that never ends doesn't hold a socket's close past the bound.

Seen in CI: a socket's layer receive on the core Redis layer went on reading after its
cancellation (Python 3.11's ``asyncio.wait_for`` inside redis-py swallowed it), a test's event
loop then never closed, and other tests' sockets missed their pushes.
"""

from __future__ import annotations

import asyncio
import contextlib

from hyperchannels.layerlink import RECANCEL_SECONDS, cancel_and_wait


async def test_a_task_that_swallowed_its_cancellation_once_is_cancelled_again() -> None:
    swallowed = asyncio.Event()

    async def reads_on() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            swallowed.set()  # as asyncio.wait_for does on 3.11 when the send just completed
        await asyncio.sleep(3600)  # the next read, as channels_redis' receive loop does

    task = asyncio.create_task(reads_on())
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await cancel_and_wait([task], seconds=30)
    assert swallowed.is_set()
    assert task.cancelled()
    assert loop.time() - started < RECANCEL_SECONDS + 2  # the second cancellation, not the bound


class Stubborn:
    """A task body that swallows every cancellation until ``release`` is set, counting them."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.cancellations = 0

    async def run(self) -> str:
        while not self.release.is_set():
            try:
                await self.release.wait()
            except asyncio.CancelledError:
                self.cancellations += 1
        return "ended"


async def test_a_task_that_never_ends_is_waited_for_at_most_the_bound() -> None:
    stubborn = Stubborn()

    async def polite() -> None:
        await asyncio.sleep(3600)

    slow, quick = asyncio.create_task(stubborn.run()), asyncio.create_task(polite())
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await cancel_and_wait([slow, quick, None], seconds=1.2)
    assert 1.2 <= loop.time() - started < 5
    assert quick.cancelled()
    assert not slow.done()  # left to end on its own
    assert stubborn.cancellations == 3  # at 0, 0.5 and 1.0 s
    stubborn.release.set()
    assert await slow == "ended"


async def test_the_caller_can_still_be_cancelled_while_it_waits() -> None:
    stop = False

    async def stubborn() -> None:
        while not stop:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(3600)

    inner = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    outer = asyncio.create_task(cancel_and_wait([inner], seconds=60))
    await asyncio.sleep(0.05)
    outer.cancel()
    done, _ = await asyncio.wait([outer], timeout=5)
    assert outer in done and outer.cancelled()
    stop = True
    inner.cancel()
    await asyncio.wait([inner], timeout=5)
    assert inner.done()


async def test_without_recancel_a_clean_up_runs_to_its_end_and_a_stubborn_task_gets_one_more() -> None:
    """``recancel=None`` (every layer but channels_redis' core): a receive cleaning up after its
    cancellation (the pubsub layer unsubscribing under load) is not cut short; a task still
    running at the bound is cancelled once more there."""
    cleaned = asyncio.Event()

    async def cleans_up() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            await asyncio.sleep(1.2)  # longer than RECANCEL_SECONDS
            cleaned.set()
            raise

    stubborn = Stubborn()
    cleaning, stubborn_task = asyncio.create_task(cleans_up()), asyncio.create_task(stubborn.run())
    await asyncio.sleep(0)
    await cancel_and_wait([cleaning, stubborn_task], seconds=2.0, recancel=None)
    assert cleaned.is_set() and cleaning.cancelled()
    await asyncio.sleep(0)
    assert stubborn.cancellations == 2  # at the start and at the bound
    stubborn.release.set()
    await stubborn_task


def test_only_the_core_redis_layer_is_cancelled_again_quickly() -> None:
    from channels.layers import InMemoryChannelLayer
    from channels_redis.core import RedisChannelLayer
    from channels_redis.pubsub import RedisPubSubChannelLayer

    from hyperchannels.layerlink import recancel_seconds

    assert recancel_seconds(RedisChannelLayer()) == RECANCEL_SECONDS
    assert recancel_seconds(RedisPubSubChannelLayer()) is None
    assert recancel_seconds(InMemoryChannelLayer()) is None
