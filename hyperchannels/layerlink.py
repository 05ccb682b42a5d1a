"""A consumer's link to the channel layer that outlives a Redis outage.

Channels lets an exception from the layer's ``receive`` end the consumer, which closes the
socket. Here a failing receive is retried with backoff, the socket stays open, and once the
layer answers again the socket's groups are joined anew (a restarted Redis without
persistence has forgotten them).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Iterable
from typing import Any

logger = logging.getLogger("hyperchannels")

RETRY_MIN_SECONDS = 0.5
RETRY_MAX_SECONDS = 5.0


class LayerLink:
    """Receive layer messages for one channel; ``groups`` names what to rejoin after an outage."""

    def __init__(self, layer: Any, channel_name: str, groups: Callable[[], Iterable[str]]) -> None:
        self.layer = layer
        self.channel_name = channel_name
        self.groups = groups
        self.failed = False
        self._delay = RETRY_MIN_SECONDS

    async def receive(self) -> dict[str, Any]:
        while True:
            try:
                if self.failed:
                    await self._rejoin()
                message: dict[str, Any] = await self.layer.receive(self.channel_name)
                return message
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                await self._wait_after(exc)

    async def _rejoin(self) -> None:
        for group in list(self.groups()):
            await self.layer.group_add(group, self.channel_name)
        self.failed = False
        self._delay = RETRY_MIN_SECONDS
        logger.info("Channel layer is back for %s; groups joined again", self.channel_name)

    async def _wait_after(self, exc: Exception) -> None:
        if not self.failed:
            logger.warning(
                "Channel layer receive failed for %s (%s: %s); the socket stays open and retries",
                self.channel_name,
                type(exc).__name__,
                exc,
            )
        self.failed = True
        await asyncio.sleep(self._delay * random.uniform(0.8, 1.2))
        self._delay = min(self._delay * 2, RETRY_MAX_SECONDS)
