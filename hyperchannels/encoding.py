"""Server frames as JSON text: every frame the server sends is made here.

A reply frame carries the invocation's ``id``; a push has none. docs/protocol.md gives the
frame shapes.
"""

from __future__ import annotations

from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from .protocol import EventName

_encoder = DjangoJSONEncoder(ensure_ascii=False, separators=(",", ":"))


def encode_frame(event: str, data: dict[str, Any], id: str | None = None) -> str:
    """One server frame as JSON text: a reply when ``id`` is given, else a push.

    Raises ``TypeError``/``ValueError`` when ``data`` holds something JSON can't carry.
    """
    frame: dict[str, Any] = {"event": event, "data": data}
    if id is not None:
        frame = {"id": id, **frame}
    return _encoder.encode(frame)


def encode_end(id: str) -> str:
    """The ``end`` frame of invocation ``id``: ``encode_frame("end", {}, id)``, without an encoder pass."""
    return '{"id":' + _encoder.encode(id) + ',"event":"' + EventName.END + '","data":{}}'


def encode_error(status: int, message: str, id: str | None) -> str:
    """An ``error`` frame; ``id`` is kept (as ``null`` when unknown) so the client can tell."""
    data = {"status": int(status), "message": message}
    return _encoder.encode({"id": id, "event": EventName.ERROR, "data": data})
