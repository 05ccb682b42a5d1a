"""A consumer's link to the channel layer that outlives a Redis outage.

Channels lets an exception from the layer's ``receive`` end the consumer, which closes the
socket. Here a failing receive is retried with backoff, the socket stays open, and once the
layer answers again the socket's groups are joined anew (a restarted Redis without
persistence has forgotten them).

An outage is logged once per process, layer and component (``"group relays"``, ``"socket
channels"``), not once per socket: a process with a thousand sockets logs one warning, and
one line when the layer is back. "Back" means a call really reached the layer (a group was
joined, a probe answered, a message arrived), never that a retry merely had nothing to do.
"""

from __future__ import annotations

import asyncio
import logging
import random
import weakref
from collections.abc import Callable, Iterable
from typing import Any

logger = logging.getLogger("hyperchannels")

RETRY_MIN_SECONDS = 0.5
RETRY_MAX_SECONDS = 5.0
PROBE_GROUP = "hyperchannels.probe"
"""A group no channel is in: leaving it is a harmless round trip that proves the layer answers."""

_failed: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def report_failure(layer: Any, component: str, exc: BaseException) -> None:
    """Log a fault of ``component`` on ``layer`` once, until it is reported back."""
    failed = _failed.setdefault(layer, set())
    if component in failed:
        return
    failed.add(component)
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
    """Log that ``component`` reached ``layer`` again, once, if its fault was reported."""
    failed = _failed.get(layer)
    if failed is None or component not in failed:
        return
    failed.discard(component)
    logger.info("Channel layer %s is back for %s", layer, component)


def raise_if_cancelled() -> None:
    """Re-raise a cancellation that a client library turned into another exception.

    redis-py may answer a cancelled read with a ``ConnectionError``; a retry loop that caught
    it as a fault would swallow the cancellation and never end (a test's loop then hangs at
    teardown). Every ``except Exception`` of a loop calls this first.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def is_failed(layer: Any, component: str) -> bool:
    return component in _failed.get(layer, ())


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
