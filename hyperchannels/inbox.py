"""One socket's layer and group messages: taken without waiting, handled in order.

A group relay hands every message to each member socket's inbox and never waits, so a socket
that is slow to take one (a client that doesn't read, a handler that awaits) delays no other
member. The messages wait here until the socket is open; their frames count against
``MAX_BUFFERED_BYTES`` (``outbox``) until they are handled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from . import control
from .outbox import Outbox

logger = logging.getLogger("hyperchannels")

Route = Callable[[dict[str, Any]], Awaitable[None]]


class Inbox:
    """The queue of one socket's layer messages and the loop that handles them."""

    def __init__(self, outbox: Outbox, route: Route, owner: str) -> None:
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.outbox = outbox
        self.route = route
        self.owner = owner
        """The consumer class's name, for log records."""

    def put(self, message: dict[str, Any]) -> None:
        """Take ``message`` now; never waits."""
        self.outbox.hold(control.inbox_bytes(message))
        self.queue.put_nowait(message)

    def clear(self) -> None:
        """Drop every waiting message (the socket is closing)."""
        while not self.queue.empty():
            self.queue.get_nowait()

    async def run(self, opened: asyncio.Event) -> None:
        """Handle the messages in order once ``opened`` is set (nothing may be sent before
        the socket is accepted); a message whose handler fails is logged and dropped."""
        await opened.wait()
        while True:
            message = await self.queue.get()
            self.outbox.release(control.inbox_bytes(message))
            try:
                await self.route(message)
            except Exception:
                logger.exception(
                    "%s could not handle a layer message of type %r", self.owner, message.get("type")
                )
