"""hyperchannels: server actions over one Django Channels WebSocket.

The names below are importable from here; importing ``hyperchannels`` itself needs no
configured settings (the consumer and testing modules are loaded on first use).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .actions import (
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
    action,
)

if TYPE_CHECKING:
    from .broadcast import abroadcast, asend_to_user, broadcast, send_to_user, user_group
    from .consumers import HyperConsumer
    from .streams import sign_stream, unsign_stream
    from .testing import ActionCommunicator

__version__ = "0.1.0"

_LAZY = {
    "HyperConsumer": "consumers",
    "abroadcast": "broadcast",
    "broadcast": "broadcast",
    "asend_to_user": "broadcast",
    "send_to_user": "broadcast",
    "user_group": "broadcast",
    "sign_stream": "streams",
    "unsign_stream": "streams",
    "ActionCommunicator": "testing",
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
    "sign_stream",
    "unsign_stream",
    "ActionCommunicator",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hyperchannels' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f".{module}", __name__), name)
