"""A consumer's link to the channel layer that outlives a Redis outage.

Channels lets an exception from the layer's ``receive`` end the consumer, which closes the
socket. Here a failing receive is retried with backoff, the socket stays open, and once the
layer answers again the socket's groups are joined anew (a restarted Redis without
persistence has forgotten them).

An outage is logged once per process, layer and component (``"group relays"``, ``"socket
channels"``), not once per socket: a process with a thousand sockets logs one warning, and
one line when the layer is back. "Back" means a call really reached the layer (a group was
joined, a probe answered, a message arrived), never that a retry merely had nothing to do.

After a restart the sockets find out one by one: the first link that reaches the layer says
"back" while other links still hold connections from before, which fail on their next read.
A fault within ``SETTLE_SECONDS`` of a recovery is that same outage's tail: it is logged at
DEBUG, and only if it lasts past that window does it become a new warning.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import weakref
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger("hyperchannels")

RETRY_MIN_SECONDS = 0.5
RETRY_MAX_SECONDS = 5.0
PROBE_GROUP = "hyperchannels.probe"
"""A group no channel is in: leaving it is a harmless round trip that proves the layer answers."""

SETTLE_SECONDS = RETRY_MAX_SECONDS
"""After a recovery, how long a new fault of the same component counts as the old outage's tail."""

clock = time.monotonic


@dataclass
class _Health:
    """What one layer's components last reported: faulted (loudly or quietly) and recovered when."""

    faults: dict[str, float] = field(default_factory=dict)
    """component -> when its fault began; present while it is failed."""
    quiet: set[str] = field(default_factory=set)
    """Failed components whose fault is not (yet) logged as a warning: an outage's tail."""
    recovered: dict[str, float] = field(default_factory=dict)
    """component -> when it last came back."""


_health: weakref.WeakKeyDictionary[Any, _Health] = weakref.WeakKeyDictionary()


def report_failure(layer: Any, component: str, exc: BaseException) -> None:
    """Log a fault of ``component`` on ``layer`` once, until it is reported back.

    Called on every failed attempt of every link. A fault that starts within
    ``SETTLE_SECONDS`` of the component's recovery is logged at DEBUG; if the component is
    still failing once that window has passed, the warning is logged then.
    """
    health = _health.setdefault(layer, _Health())
    now = clock()
    if component in health.faults:
        if component in health.quiet and now - health.recovered.get(component, now) >= SETTLE_SECONDS:
            health.quiet.discard(component)
            _warn(layer, component, exc)
        return
    health.faults[component] = now
    if now - health.recovered.get(component, -SETTLE_SECONDS) < SETTLE_SECONDS:
        health.quiet.add(component)
        logger.debug("Channel layer %s: %s failed again while settling (%r)", layer, component, exc)
        return
    _warn(layer, component, exc)


def _warn(layer: Any, component: str, exc: BaseException) -> None:
    logger.warning(
        "Channel layer %s failed for %s (%s: %s); sockets stay open, retrying every %g s doubling to %g s",
        layer,
        component,
        type(exc).__name__,
        exc,
        RETRY_MIN_SECONDS,
        RETRY_MAX_SECONDS,
    )


def report_recovery(layer: Any, component: str) -> None:
    """Log that ``component`` reached ``layer`` again, once, if its fault was logged as a warning."""
    health = _health.get(layer)
    if health is None or component not in health.faults:
        return
    del health.faults[component]
    health.recovered[component] = clock()
    if component in health.quiet:
        health.quiet.discard(component)
        logger.debug("Channel layer %s settled for %s", layer, component)
        return
    logger.info("Channel layer %s is back for %s", layer, component)


CANCEL_WAIT_SECONDS = 10.0
"""How long a cancelled task is waited for before it is left to end on its own."""
RECANCEL_SECONDS = 0.5
"""How often a cancelled task that has not ended is cancelled again (``cancel_and_wait``)."""


def recancel_seconds(layer: Any) -> float | None:
    """How often ``cancel_and_wait`` cancels again the tasks that receive from ``layer``:
    ``RECANCEL_SECONDS`` for channels_redis' core layer, whose receive can swallow a
    cancellation and read on (below); ``None`` (once more, at the bound) for any other layer,
    whose receive may be running its own clean-up after the first cancellation (the pubsub
    layer unsubscribes, which takes seconds when thousands of sockets close at once) and must
    not be cut short: that would leave the channel subscribed and log an error."""
    module = type(layer).__module__
    return RECANCEL_SECONDS if module.startswith("channels_redis.core") else None


async def cancel_and_wait(
    tasks: Iterable[asyncio.Task[Any] | None],
    seconds: float = CANCEL_WAIT_SECONDS,
    recancel: float | None = RECANCEL_SECONDS,
) -> None:
    """Cancel ``tasks`` and wait until they end, at most ``seconds``; never raises.

    A task that has not ended ``recancel`` seconds after its cancellation is cancelled again,
    until it ends or ``seconds`` have passed; with ``recancel=None`` a task still running at
    the bound is cancelled once more and left to end (``recancel_seconds`` picks per layer).
    One cancellation is not enough for a task that waits on the core Redis layer on Python
    3.11: redis-py sends each command through ``asyncio.wait_for``, which returns normally
    when the cancellation arrives just as the send completes (CPython gh-86296, fixed in
    3.12; redis-py issue 2028), and channels_redis' ``receive`` then reads on until a message
    arrives, possibly for ever. Measured on this
    machine: 55 of 200 receives cancelled within a few loop turns of their start did not end
    (``tests/broadcast/test_cancelling.py``). Left running, such a receive holds the layer's
    receive lock, takes the messages of this process's channels into a buffer no socket reads,
    and hangs an event loop's shutdown (``asyncio.run`` cancels once).

    A task still running after the bound finishes by itself. While the server shuts down,
    callers pass a shorter bound (``shutdown``).
    """
    waiting = {task for task in tasks if task is not None and not task.done()}
    if not waiting:
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while waiting:
        left = deadline - loop.time()
        if left <= 0:
            break
        for task in waiting:
            task.cancel()
        _, waiting = await asyncio.wait(waiting, timeout=left if recancel is None else min(recancel, left))
    for task in waiting:
        if recancel is None:
            task.cancel()  # a cancellation swallowed at the start, if that is what holds it
        logger.debug("%s did not end within %g s of its cancellation", task.get_name(), seconds)


_background: set[asyncio.Task[Any]] = set()
"""Tasks nobody awaits (``in_background``): the event loop keeps only a weak reference."""


def in_background(work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
    """Run ``work`` in a task of its own that lives until it ends, awaited by nobody."""
    task = asyncio.ensure_future(work)
    _background.add(task)
    task.add_done_callback(_background.discard)
    return task


async def open_channel(layer: Any) -> str:
    """``layer.new_channel()``, safe to cancel (a socket whose client left during the handshake).

    A cancelled caller doesn't cancel the opening: channels_redis' pubsub layer registers the
    channel's queue before it waits for its shard's lock and only a cancelled ``receive``
    removes it (and unsubscribes), so an opening cut short would leave the queue, and maybe the
    subscription, for good. The opening finishes instead, and the channel is let go of at once
    (``_let_go``) without holding up the caller's cancellation.
    """
    opening = asyncio.ensure_future(layer.new_channel())
    try:
        return str(await asyncio.shield(opening))
    except asyncio.CancelledError:
        opening.add_done_callback(lambda done: _let_go_when_open(layer, done))
        raise


def _let_go_when_open(layer: Any, opening: asyncio.Future[Any]) -> None:
    if opening.cancelled() or opening.exception() is not None:
        return
    in_background(_let_go(layer, str(opening.result())))


LET_GO_SECONDS = 300.0
"""How long giving back a channel may take (``_let_go``): nobody waits for it, and cutting it
short would leave the channel subscribed (under a reconnect storm the pubsub layer's
unsubscribes wait in line for many seconds)."""


async def _let_go(layer: Any, channel: str) -> None:
    """A receive started and cancelled: the Channels API's only way to give a channel back."""
    receiving = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(0)  # a task cancelled before its first step would run no clean-up
    await cancel_and_wait([receiving], LET_GO_SECONDS, recancel_seconds(layer))


def raise_if_cancelled() -> None:
    """Re-raise a cancellation that a client library turned into another exception.

    redis-py may answer a cancelled read with a ``ConnectionError``; a retry loop that caught
    it as a fault would swallow the cancellation and never end (a test's loop then hangs at
    teardown). Every ``except Exception`` of a loop calls this first.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


class Backoff:
    """Delays of one retry loop: 0.5 s doubling to 5 s, with jitter so retries don't align.

    It starts over only after a success that lasted (``ok``), so a layer that fails again at
    once is not retried at the first delay forever.
    """

    def __init__(self) -> None:
        self.delay = RETRY_MIN_SECONDS

    def ok(self) -> None:
        self.delay = RETRY_MIN_SECONDS

    async def wait(self) -> None:
        await asyncio.sleep(self.delay * random.uniform(0.8, 1.2))
        self.delay = min(self.delay * 2, RETRY_MAX_SECONDS)


class LayerLink:
    """Receive layer messages for one channel; ``groups`` names what to rejoin after an outage."""

    def __init__(
        self,
        layer: Any,
        channel_name: str,
        groups: Callable[[], Iterable[str]],
        component: str = "socket channels",
        on_recover: Callable[[], None] | None = None,
    ) -> None:
        self.layer = layer
        self.channel_name = channel_name
        self.groups = groups
        self.component = component
        self.on_recover = on_recover
        """Called once each time the link is back after a failure (the groups joined again)."""
        self.failed = False
        self.backoff = Backoff()

    async def receive(self) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            try:
                if self.failed:
                    await self._rejoin()
                message: dict[str, Any] = await self.layer.receive(self.channel_name)
                raise_if_cancelled()  # redis-py may have eaten the cancellation
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                raise_if_cancelled()
                if loop.time() - started >= RETRY_MAX_SECONDS:
                    self.backoff.ok()  # it worked for a while: a new fault, not the same one
                self.failed = True
                report_failure(self.layer, self.component, exc)
                await self.backoff.wait()
                continue
            self.backoff.ok()
            return message

    async def _rejoin(self) -> None:
        """Join the groups again; with none, probe the layer so "back" is never a guess."""
        groups = list(self.groups())
        for group in groups:
            await self.layer.group_add(group, self.channel_name)
        if not groups:
            await self.layer.group_discard(PROBE_GROUP, self.channel_name)
        self.failed = False
        report_recovery(self.layer, self.component)
        if self.on_recover is not None:
            self.on_recover()
