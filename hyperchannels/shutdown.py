"""How a socket ends: closed by its client or by the server, or because the server shuts down.

Every close (docs/actions.md, "Closing"): running invocations are cancelled without waiting
for them, presence is untracked, the groups are left and ``disconnect()`` runs.

A server that shuts down (SIGTERM; docs/deploy.md, "Shutdown") tells the application in one of
two ways, and both end the same:

- daphne cancels every application instance when its reactor stops, with the sockets still
  open and no close frame sent (clients would see 1006). ``server_stopping`` closes the socket
  with 1012 first, and waits (at most ``FLUSH_SECONDS``) until the close frame left.
- uvicorn closes every socket with 1012 itself and delivers ``websocket.disconnect`` with code
  1012.

On shutdown, untracking presence is awaited (the process is about to go, so a background task
would be lost) and the leaves it starts are handed to the group's other processes, which push
them once ``PRESENCE_GRACE`` has passed (``tracking``). The whole end of a socket,
``disconnect()`` included, is bounded by ``SHUTDOWN_SECONDS``: the exit never waits on user
code or on a layer that hangs. Sync code
still blocked in a worker thread is not waited for either (``workers``).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .layerlink import CANCEL_WAIT_SECONDS
from .outbox import transport_unsent
from .protocol import CloseCode, ConnectionState
from .servers import daphne_protocol

if TYPE_CHECKING:
    from .consumers import HyperConsumer

logger = logging.getLogger("hyperchannels")

SHUTDOWN_SECONDS = 3.0
"""The most one socket's end may take when its server shuts down (``disconnect()`` included)."""
FLUSH_SECONDS = 1.0
"""How long daphne's shutdown waits for a socket's 1012 close frame to leave the process."""
FLUSH_POLL_SECONDS = 0.01

_stopping = False


def stopping() -> bool:
    """Whether this process's server is shutting down: a socket was cancelled by daphne or
    closed with 1012. (A client that closes with 1012 itself sets it too: the only cost is a
    layer message per presence leave, handing its push to other processes.)"""
    return _stopping


async def end(consumer: HyperConsumer, code: int) -> bool:
    """The socket closed with ``code`` (``websocket.disconnect``): end it everywhere, once.

    Code 1012 is the server shutting down: then the end is bounded by ``SHUTDOWN_SECONDS``
    and waits for presence to be untracked. Returns whether this call ended the socket (a
    second call, while daphne's shutdown and the client's close race, returns False at once).
    """
    if consumer in _ending:
        return False
    _ending.add(consumer)
    await _end(consumer, code)
    return True


_ending: weakref.WeakSet[HyperConsumer] = weakref.WeakSet()


async def _end(consumer: HyperConsumer, code: int) -> None:
    global _stopping
    if code == CloseCode.SERVICE_RESTART:
        _stopping = True
    consumer.state = ConnectionState.CLOSING
    consumer.running.detach()
    untracking = consumer.tracking.close()
    try:
        if code != CloseCode.SERVICE_RESTART:
            await _finish(consumer, code, ())
            return
        try:
            await asyncio.wait_for(_finish(consumer, code, untracking), SHUTDOWN_SECONDS)
        except TimeoutError:
            logger.warning(
                "%s: a socket's end took over %g s while the server shut down (disconnect() or the "
                "channel layer); it was cut short",
                type(consumer).__qualname__,
                SHUTDOWN_SECONDS,
            )
    finally:
        consumer.state = ConnectionState.CLOSED


async def _finish(consumer: HyperConsumer, code: int, untracking: Sequence[asyncio.Task[Any]]) -> None:
    await consumer.membership.leave_all()
    if untracking:
        await asyncio.gather(*untracking, return_exceptions=True)
    if consumer.connect_called is False:
        return  # connect() never ran (a refused Origin, a client that left first): nor does disconnect()
    try:
        await consumer.disconnect(code)
    except Exception:
        logger.exception("%s.disconnect() failed", type(consumer).__qualname__)


async def server_stopping(consumer: HyperConsumer) -> bool:
    """The server cancelled this socket's application (daphne's shutdown): close it with
    1012, wait for the close frame to leave, and end the socket. Never raises. Only under
    daphne: any other cancellation (a test's event loop closing, ``ApplicationCommunicator``'s
    timeout) is no shutdown and propagates as before.

    Returns whether the socket was open or ending (then the application should return rather
    than end cancelled: daphne waits for its applications with ``asyncio.gather``, which
    stops waiting, and lets the process exit, at the first one that ends cancelled).
    """
    if daphne_protocol(consumer.base_send) is None:
        return False  # not daphne: a test's event loop closing, a caller's timeout; not a shutdown
    if consumer in _ending:  # the client's close reached the socket first: let its end finish
        await asyncio.wait([consumer.reader], timeout=SHUTDOWN_SECONDS)
        return True
    if consumer.state is not ConnectionState.OPEN:
        return False
    try:
        await consumer.close_now(CloseCode.SERVICE_RESTART)
        await _flushed(consumer)
        if not await end(consumer, CloseCode.SERVICE_RESTART):
            # The client's close arrived meanwhile and the reader is ending the socket: the
            # application's task must not cancel that reader before it is done.
            await asyncio.wait([consumer.reader], timeout=SHUTDOWN_SECONDS)
    except Exception:
        logger.warning("Could not close a socket while the server shut down", exc_info=True)
    return True


def cancel_wait_seconds() -> float:
    """How long a closing socket waits for its own cancelled tasks: ``layerlink``'s bound, or
    ``FLUSH_SECONDS`` once the server shuts down (the process is going; nothing is reused)."""
    return FLUSH_SECONDS if _stopping else CANCEL_WAIT_SECONDS


async def _flushed(consumer: HyperConsumer) -> None:
    """Wait until daphne's transport holds no unsent bytes (the close frame is out), at most
    ``FLUSH_SECONDS``; without a readable transport (another server), one turn of the loop."""
    transport = consumer.outbox.transport
    if transport is None:
        await asyncio.sleep(0)
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + FLUSH_SECONDS
    while transport_unsent(transport) > 0 and loop.time() < deadline:
        await asyncio.sleep(FLUSH_POLL_SECONDS)
