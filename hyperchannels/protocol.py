"""Wire protocol names, loaded from ``protocol.json`` (shared with the browser client)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from django.core.serializers.json import DjangoJSONEncoder

_SPEC: Final[dict[str, Any]] = json.loads(
    (Path(__file__).with_name("protocol.json")).read_text(encoding="utf-8")
)

CLIENT_FRAMES: Final[frozenset[str]] = frozenset(_SPEC["client_frames"])
EVENTS: Final[dict[str, str]] = _SPEC["events"]
TERMINAL_EVENTS: Final[frozenset[str]] = frozenset(_SPEC["terminal_events"])
SWAPS: Final[tuple[str, ...]] = tuple(_SPEC["swaps"])
STATUSES: Final[dict[str, int]] = _SPEC["statuses"]
MESSAGES: Final[dict[str, str]] = _SPEC["messages"]
ID_MAX_LENGTH: Final[int] = _SPEC["id_max_length"]
DEFAULT_SWAP: Final[str] = _SPEC["defaults"]["swap"]

PATCH_HTML: Final = EVENTS["patch_html"]
DISPATCH_EVENT: Final = EVENTS["dispatch_event"]
TOAST: Final = EVENTS["toast"]
REDIRECT: Final = EVENTS["redirect"]
HISTORY: Final = EVENTS["history"]
LOAD_JS: Final = EVENTS["load_js"]
PATCH_SIGNALS: Final = EVENTS["patch_signals"]
END: Final = EVENTS["end"]
ERROR: Final = EVENTS["error"]


def default_message(status: int) -> str:
    """The message an error of ``status`` carries when the application gave none."""
    return MESSAGES.get(str(status), MESSAGES["500"])


_encoder = DjangoJSONEncoder(ensure_ascii=False, separators=(",", ":"))


def encode_frame(event: str, data: dict[str, Any], id: str | None = None) -> str:
    """One server frame as JSON text: a reply when ``id`` is given, else a push.

    Raises ``TypeError``/``ValueError`` when ``data`` holds something JSON can't carry.
    """
    frame: dict[str, Any] = (
        {"event": event, "data": data}
        if id is None
        else {
            "id": id,
            "event": event,
            "data": data,
        }
    )
    return _encoder.encode(frame)


def encode_end(id: str) -> str:
    """The ``end`` frame of invocation ``id``: ``encode_frame(END, {}, id)``, without an encoder pass."""
    return '{"id":' + _encoder.encode(id) + ',"event":"' + END + '","data":{}}'


def encode_error(status: int, message: str, id: str | None) -> str:
    """An ``error`` frame; ``id`` is kept (as ``null`` when unknown) so the client can tell."""
    return _encoder.encode({"id": id, "event": ERROR, "data": {"status": status, "message": message}})
