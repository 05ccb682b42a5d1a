"""One socket's layer and group messages: taken without waiting, handled in order.

A group relay hands every message to each member socket's inbox and never waits, so a socket
that is slow to take one (a client that doesn't read, a handler that awaits) delays no other
member. The messages wait here until the socket is open; their frames count against
``MAX_BUFFERED_BYTES`` (``outbox``) until they are handled.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from . import control
from .outbox import Outbox

logger = logging.getLogger("hyperchannels")

Route = Callable[[dict[str, Any]], Awaitable[None]]


class Inbox:
    """The queue of one socket's layer messages and the loop that handles them.

    Lighter than an ``asyncio.Queue`` and an ``asyncio.Event``, which an idle socket would
    hold for nothing (five deques, about 6 KiB a socket; docs/performance.md, "Scale"): the
    deque is made by the first message and a future exists only while the loop waits.
    """

    __slots__ = ("messages", "outbox", "route", "owner", "opened", "_wakeup")

    def __init__(self, outbox: Outbox, route: Route, owner: str) -> None:
        self.messages: deque[dict[str, Any]] | None = None
        self.outbox = outbox
        self.route = route
        self.owner = owner
        """The consumer class's name, for log records."""
        self.opened = False
        """Set by ``open()``: until then messages wait (nothing may be sent before the accept)."""
        self._wakeup: asyncio.Future[None] | None = None

    def put(self, message: dict[str, Any]) -> None:
        """Take ``message`` now; never waits."""
        self.outbox.hold(control.inbox_bytes(message))
        if self.messages is None:
            self.messages = deque()
        self.messages.append(message)
        self._wake()

    def open(self) -> None:
        """The socket is accepted: handle the messages that waited, and the rest as they come."""
        self.opened = True
        self._wake()

    def clear(self) -> None:
        """Drop every waiting message (the socket is closing)."""
        if self.messages is not None:
            self.messages.clear()

    def _wake(self) -> None:
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)

    async def run(self) -> None:
        """Handle the messages in order once the socket is open; a message whose handler
        fails is logged and dropped."""
        loop = asyncio.get_running_loop()
        while True:
            if not (self.opened and self.messages):
                self._wakeup = loop.create_future()
                try:
                    await self._wakeup
                finally:
                    self._wakeup = None
                continue
            message = self.messages.popleft()
            self.outbox.release(control.inbox_bytes(message))
            try:
                await self.route(message)
            except Exception:
                logger.exception(
                    "%s could not handle a layer message of type %r", self.owner, message.get("type")
                )
