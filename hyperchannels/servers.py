"""What hyperchannels must know of one ASGI server's internals, kept in one place.

daphne hands ``websocket.close`` to autobahn's ``sendClose``, which accepts only the codes a
*client* may send (1000 and 3000-4999) and raises for any other: the protocol's 1011 (connect
failed) and 1012 (server restarting, docs/protocol.md "Close codes") would fail inside daphne
and the client would see 1006. daphne itself closes with 1011 through autobahn's
``sendCloseFrame``, which sends any code; ``close_directly`` does the same for those codes.
uvicorn sends every code it is given. (How unsent bytes are read from daphne's transport is
``outbox``'s.)
"""

from __future__ import annotations

import logging
from typing import Any

from .types import Send

logger = logging.getLogger("hyperchannels")

_AUTOBAHN_ENDED = (0, 2)
"""autobahn's ``WebSocketProtocol.STATE_CLOSED`` and ``STATE_CLOSING``."""
_AUTOBAHN_OPEN = 3
"""autobahn's ``WebSocketProtocol.STATE_OPEN``."""


def _sendable_by_asgi(code: int) -> bool:
    return code == 1000 or 3000 <= code <= 4999


def daphne_protocol(send: Send) -> Any | None:
    """The autobahn protocol behind daphne's ``send`` (``partial(server.handle_reply, protocol)``)."""
    args = getattr(send, "args", None)
    protocol = args[0] if args else None
    return protocol if hasattr(protocol, "sendCloseFrame") else None


def close_directly(send: Send, code: int | None, reason: str | None = None) -> bool:
    """Send a close frame with ``code`` past daphne's check, if this is daphne, the socket is
    open and the code is one its ``websocket.close`` would refuse. Returns whether it dealt
    with the close; if not, the caller sends ``websocket.close`` as usual.

    A socket whose closing handshake has begun (the client left while ``connect()`` ran, say)
    needs no close frame: that close is dealt with too. Handed to daphne, autobahn would
    raise for the code, and the exception would end the application before the socket's
    presence and groups were let go.
    """
    if code is None or _sendable_by_asgi(code):
        return False
    protocol = daphne_protocol(send)
    if protocol is None:
        return False
    state = getattr(protocol, "state", None)
    if state in _AUTOBAHN_ENDED:
        return True
    if state != _AUTOBAHN_OPEN:
        return False  # still connecting: daphne turns a close into its refusal (403)
    reason_bytes = reason.encode()[:123] if reason else None
    protocol.sendCloseFrame(code=code, reasonUtf8=reason_bytes, isReply=False)
    return True


def is_client_gone(exc: BaseException) -> bool:
    """Whether ``exc``, raised by a server's ``send``, only says the client has left: uvicorn's
    ``ClientDisconnected`` (an ``OSError``, as ASGI 2.4 asks), autobahn's ``Disconnected``
    under daphne ("Attempt to send on a closed protocol"). Nothing sent then can reach the
    client; its ``websocket.disconnect`` is on the way and ends the socket."""
    kind = type(exc)
    if isinstance(exc, OSError) and kind.__name__ == "ClientDisconnected":
        return True
    return kind.__name__ == "Disconnected" and kind.__module__.startswith("autobahn")


def client_gone(exc: BaseException, owner: str, path: object) -> bool:
    """Whether ``exc`` only says the client left while its socket was being opened
    (``is_client_gone``). That is no fault of the application: one INFO line, no traceback,
    and nothing more is sent to it. In a reconnect storm thousands of clients give up
    mid-handshake; each was an ERROR with a traceback before."""
    if not is_client_gone(exc):
        return False
    logger.info("%s: the client left while its socket on %s was opening", owner, path)
    return True
