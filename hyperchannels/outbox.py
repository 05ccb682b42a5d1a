"""A socket's bounded outgoing buffer: a reader too slow for its frames is closed with 4408
instead of making the server hold its frames without bound (docs/security.md, "Slow readers").

Where unsent frames pile up depends on the server:

- daphne's ``send`` never waits: twisted keeps every byte the client has not read in the
  connection's write buffer. daphne's ``send`` is ``partial(server.handle_reply, protocol)``,
  so the outbox finds the twisted transport and reads how many bytes it holds. Above
  ``HIGH_WATER`` bytes it stops handing frames to daphne and keeps them in its own queue
  (whole frames it can drop), handing them on as the transport drains.
- A server whose ``send`` waits for the client (uvicorn) holds what its transport takes
  before ``send`` blocks (64 KiB with ``--ws websockets``) besides the kernel's buffers; the
  frames wait in the socket's inbox instead, and ``hold``/``release`` count them there.
  uvicorn then gives the client ``websockets``' close timeout (10 s) to read up to the 4408
  close frame before it drops the connection, as ``CLOSE_GRACE_SECONDS`` does on daphne.

Either way, past ``MAX_BUFFERED_BYTES`` the socket's queued frames are dropped at once and the
consumer closes it with 4408; the page reconnects and resumes what it missed. The bytes counted
are the frames' text before any permessage-deflate (uvicorn negotiates it, daphne doesn't): what
the server holds in memory, not what crosses the network. tests/access/test_daphne_limits.py
measures both servers.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any

from .servers import daphne_protocol, is_client_gone
from .types import Send

HIGH_WATER = 262_144
"""Bytes daphne's transport may hold for one socket before the outbox keeps frames itself."""
DRAIN_POLL_SECONDS = 0.01
"""How often a socket with queued frames looks whether its transport drained (only then)."""
CLOSE_GRACE_SECONDS = 10.0
"""How long daphne waits for a slow reader to read up to its 4408 close frame (instead of
autobahn's 1 s close handshake timeout) before it drops the connection."""


def daphne_transport(send: Send) -> Any | None:
    """The twisted transport behind daphne's ``send``, when its write buffer can be read."""
    transport = getattr(daphne_protocol(send), "transport", None)
    if all(hasattr(transport, name) for name in ("dataBuffer", "offset", "_tempDataLen")):
        return transport
    return None


def transport_unsent(transport: Any) -> int:
    """Bytes a twisted transport holds that the kernel has not taken yet."""
    return len(transport.dataBuffer) - int(transport.offset) + int(transport._tempDataLen)


_NOTHING_QUEUED: deque[str] = deque(maxlen=0)
"""The queue of every outbox that never had to keep a frame: empty, and it stays empty (an
append to it would drop the frame, so ``send`` swaps in a deque of its own first)."""


class Outbox:
    """The frames one socket has not sent yet, bounded by ``limit`` bytes (``on_overflow`` is
    called once, past it)."""

    def __init__(self, send: Send, limit: int, on_overflow: Callable[[], None]) -> None:
        self._send = send
        self.limit = limit
        self._on_overflow = on_overflow
        self.transport = daphne_transport(send)
        self.queue: deque[str] = _NOTHING_QUEUED
        """Frames kept while daphne's buffer is full; an idle socket shares one empty deque."""
        self.queued_bytes = 0
        self.held_bytes = 0
        """Bytes of push frames waiting in the socket's inbox (a server whose send waits)."""
        self.overflowed = False
        self.gone = False
        """The server said the client has left (``servers.is_client_gone``): nothing more is sent."""
        self._draining: asyncio.Task[None] | None = None

    def unsent(self) -> int:
        """Bytes this socket's frames occupy that its client has not taken yet."""
        in_transport = transport_unsent(self.transport) if self.transport is not None else 0
        return in_transport + self.queued_bytes + self.held_bytes

    async def send(self, text: str) -> None:
        """Send one frame, or queue it while daphne's buffer for this socket is full.

        A frame for a client that has left is dropped: the server raises for it (its
        ``websocket.disconnect`` may not have reached the consumer yet, while ``connect()`` or
        an action still runs), and raising would end the application before the socket's end
        let go of its groups and presence.
        """
        if self.overflowed or self.gone:
            return
        transport = self.transport
        if transport is None or (not self.queue and transport_unsent(transport) < HIGH_WATER):
            try:  # _hand_over, inline: this is every frame's path
                await self._send({"type": "websocket.send", "text": text})
            except Exception as exc:
                if not is_client_gone(exc):
                    raise
                self.gone = True
            return
        if self.queue is _NOTHING_QUEUED:
            self.queue = deque()
        self.queue.append(text)
        self.queued_bytes += len(text.encode("utf-8")) if not text.isascii() else len(text)
        if self.unsent() > self.limit:
            self.overflow()
        elif self._draining is None or self._draining.done():
            self._draining = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        transport = self.transport
        while self.queue:
            if transport_unsent(transport) >= HIGH_WATER:
                await asyncio.sleep(DRAIN_POLL_SECONDS)
                continue
            text = self.queue.popleft()
            self.queued_bytes -= len(text.encode("utf-8")) if not text.isascii() else len(text)
            await self._hand_over(text)
            if self.gone:
                self.queue.clear()
                self.queued_bytes = 0
                return

    async def _hand_over(self, text: str) -> None:
        """Give one frame to the server; a client that has left makes the outbox ``gone``."""
        try:
            await self._send({"type": "websocket.send", "text": text})
        except Exception as exc:
            if not is_client_gone(exc):
                raise
            self.gone = True

    def hold(self, nbytes: int) -> None:
        """``nbytes`` of frames joined the socket's inbox; past the limit the socket overflows."""
        self.held_bytes += nbytes
        if self.held_bytes > self.limit and not self.overflowed:
            self.overflow()

    def release(self, nbytes: int) -> None:
        """``nbytes`` of frames left the socket's inbox (sent, or dropped)."""
        self.held_bytes = max(0, self.held_bytes - nbytes)

    def overflow(self) -> None:
        """Drop every queued frame now and tell the consumer (once)."""
        if self.overflowed:
            return
        self.overflowed = True
        self.discard()
        protocol = daphne_protocol(self._send)
        if protocol is not None and hasattr(protocol, "closeHandshakeTimeout"):
            protocol.closeHandshakeTimeout = CLOSE_GRACE_SECONDS
        self._on_overflow()

    def discard(self) -> None:
        """Forget what is queued (the socket is closing) and stop draining."""
        self.queue.clear()
        self.queued_bytes = 0
        self.held_bytes = 0
        if self._draining is not None:
            self._draining.cancel()
            self._draining = None
