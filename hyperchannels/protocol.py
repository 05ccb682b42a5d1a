"""The wire protocol's names, read from ``protocol.json`` (the one source both languages read).

Python code spells no frame type, event, status or close code as a literal: it uses the
typed names below. docs/protocol.md explains each of them.
"""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import Any, Final

SOURCE: Final[Path] = Path(__file__).with_name("protocol.json")
"""The protocol file; the browser client's constants are generated from it."""

_DATA: Final[dict[str, Any]] = json.loads(SOURCE.read_text(encoding="utf-8"))


class FrameType(enum.StrEnum):
    """The ``type`` of a client frame, from ``client_frames``: ``FrameType.ACTION == "action"``."""

    ACTION = "action"
    CANCEL = "cancel"
    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"
    RESUME = "resume"
    PING = "ping"


class EventName(enum.StrEnum):
    """The ``event`` of a server frame, from ``events``: ``EventName.PATCH_HTML == "patch_html"``."""

    PATCH_HTML = "patch_html"
    DISPATCH_EVENT = "dispatch_event"
    TOAST = "toast"
    REDIRECT = "redirect"
    HISTORY = "history"
    LOAD_JS = "load_js"
    PATCH_SIGNALS = "patch_signals"
    END = "end"
    ERROR = "error"
    POSITIONS = "positions"
    RESYNC = "resync"
    PRESENCE_STATE = "presence_state"
    PRESENCE_DIFF = "presence_diff"
    REVOKED = "revoked"


class ConnectionState(enum.StrEnum):
    """The server's state of one socket, from ``connection_states.server``."""

    CONNECTING = "connecting"
    """Handshake received; ``connect()`` runs, groups are joined; nothing may be sent."""
    OPEN = "open"
    """Accepted: frames flow both ways."""
    CLOSING = "closing"
    """The socket is gone: groups are being left and ``disconnect()`` runs; nothing is sent."""
    CLOSED = "closed"
    """Done."""


class Status(enum.IntEnum):
    """Statuses of ``error`` frames (and 0, the client's own "network"), from ``errors``."""

    NETWORK = 0
    BAD_REQUEST = 400
    UNAUTHORIZED = 401
    FORBIDDEN = 403
    NOT_FOUND = 404
    CONFLICT = 409
    TOO_LARGE = 413
    TOO_MANY = 429
    CANCELLED = 499
    SERVER_ERROR = 500


class CloseCode(enum.IntEnum):
    """WebSocket close codes the server sends, from ``close_codes``."""

    NORMAL = 1000
    CONNECT_FAILED = 1011
    SERVICE_RESTART = 1012
    GROUP_CLOSED = 4000
    SIGNED_OUT = 4401
    ORIGIN_REFUSED = 4403
    TOO_SLOW = 4408


ERRORS: Final[dict[str, tuple[Status, str]]] = {
    name: (Status(entry["status"]), entry["message"]) for name, entry in _DATA["errors"].items()
}
"""Error name -> (status, default message): ``ERRORS["conflict"] == (409, "Duplicate invocation id")``."""

CLIENT_FRAMES: Final[frozenset[str]] = frozenset(FrameType)
TERMINAL_EVENTS: Final[frozenset[str]] = frozenset(_DATA["terminal_events"])
SWAPS: Final[tuple[str, ...]] = tuple(_DATA["swaps"])
SWAP_ALIASES: Final[dict[str, str]] = dict(_DATA["swap_aliases"])
ID_MAX_LENGTH: Final[int] = _DATA["limits"]["id_max_length"]
MAX_FRAME_BYTES: Final[int] = _DATA["limits"]["max_frame_bytes"]
GROUP_NAME_MAX_LENGTH: Final[int] = _DATA["limits"]["group_name_max_length"]
DEFAULT_SWAP: Final[str] = _DATA["defaults"]["swap"]
NO_RECONNECT_CLOSE_CODES: Final[range] = range(
    _DATA["no_reconnect_close_codes"]["min"], _DATA["no_reconnect_close_codes"]["max"] + 1
)

_DEFAULT_MESSAGES: Final[dict[int, str]] = {}
for _status, _message in ERRORS.values():
    _DEFAULT_MESSAGES.setdefault(int(_status), _message)


def message(error: str) -> str:
    """The default message of the error called ``error`` in ``protocol.json``."""
    return ERRORS[error][1]


def known_message(status: int) -> str | None:
    """The default message of ``status`` when ``protocol.json`` has one."""
    return _DEFAULT_MESSAGES.get(status)


def default_message(status: int) -> str:
    """The message an error of ``status`` carries when the application gave none."""
    return _DEFAULT_MESSAGES.get(status, ERRORS["server_error"][1])


def _check_enums() -> None:
    """The hand-written enums name exactly what ``protocol.json`` defines."""
    statuses = {int(status) for status, _ in ERRORS.values()}
    if statuses != {int(s) for s in Status}:
        raise RuntimeError(f"protocol.Status differs from protocol.json's errors: {sorted(statuses)}")
    if list(_DATA["client_frames"]) != [str(f) for f in FrameType]:
        raise RuntimeError("protocol.FrameType differs from protocol.json's client_frames")
    if list(_DATA["events"]) != [str(e) for e in EventName]:
        raise RuntimeError("protocol.EventName differs from protocol.json's events")
    if list(_DATA["connection_states"]["server"]) != [str(s) for s in ConnectionState]:
        raise RuntimeError("protocol.ConnectionState differs from protocol.json's connection_states.server")
    if dict(_DATA["close_codes"]) != {code.name.lower(): int(code) for code in CloseCode}:
        raise RuntimeError("protocol.CloseCode differs from protocol.json's close_codes")


_check_enums()
