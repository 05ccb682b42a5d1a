"""hyperchannels: server actions over one Django Channels WebSocket.

The names below are importable from here; importing ``hyperchannels`` itself needs no
configured settings (the consumer and testing modules are loaded on first use).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .actions import action
from .items import (
    HTML,
    ActionItem,
    Actions,
    Delete,
    Event,
    History,
    LoadJS,
    Redirect,
    Signal,
    Signals,
    Toast,
)

if TYPE_CHECKING:
    from .broadcasting import abroadcast, asend_to_user, broadcast, send_to_user
    from .closing import aclose_group, aclose_user_sockets, arevoke, close_group, close_user_sockets, revoke
    from .consumers import HyperConsumer
    from .groups import user_group
    from .streams import sign_stream, unsign_stream
    from .testing import ActionCommunicator
    from .tracking import apresence, presence

__version__ = "0.1.0"

_LAZY = {
    "HyperConsumer": "consumers",
    "abroadcast": "broadcasting",
    "broadcast": "broadcasting",
    "asend_to_user": "broadcasting",
    "send_to_user": "broadcasting",
    "user_group": "groups",
    "aclose_group": "closing",
    "close_group": "closing",
    "aclose_user_sockets": "closing",
    "close_user_sockets": "closing",
    "arevoke": "closing",
    "revoke": "closing",
    "sign_stream": "streams",
    "unsign_stream": "streams",
    "ActionCommunicator": "testing",
    "apresence": "tracking",
    "presence": "tracking",
}

__all__ = [
    "HTML",
    "ActionItem",
    "Actions",
    "Delete",
    "Event",
    "History",
    "LoadJS",
    "Redirect",
    "Signal",
    "Signals",
    "Toast",
    "action",
    "HyperConsumer",
    "abroadcast",
    "broadcast",
    "asend_to_user",
    "send_to_user",
    "user_group",
    "aclose_group",
    "close_group",
    "aclose_user_sockets",
    "close_user_sockets",
    "arevoke",
    "revoke",
    "sign_stream",
    "unsign_stream",
    "ActionCommunicator",
    "apresence",
    "presence",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hyperchannels' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f".{module}", __name__), name)
