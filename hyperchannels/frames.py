"""Parse and validate client frames (SPEC 3.1); every flaw is a ``FrameError`` with its status."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from . import protocol
from .exceptions import ProtocolError


class FrameError(ProtocolError):
    """A client frame the server refuses; ``id`` is the frame's id when it had a valid one."""

    def __init__(self, status: int, message: str, id: str | None = None) -> None:
        super().__init__(status, message)
        self.id = id


@dataclass(slots=True)
class ActionFrame:
    id: str
    name: str
    data: dict[str, Any] = field(default_factory=dict)
    target: str | None = None
    block: str | None = None


@dataclass(slots=True)
class CancelFrame:
    id: str


@dataclass(slots=True)
class StreamFrame:
    """A ``subscribe`` or ``unsubscribe`` frame."""

    type: str
    id: str
    stream: str


ClientFrame = ActionFrame | CancelFrame | StreamFrame


def _valid_id(value: Any) -> str | None:
    if isinstance(value, str) and 1 <= len(value) <= protocol.ID_MAX_LENGTH:
        return value
    return None


def utf8_length_exceeds(text: str, limit: int) -> bool:
    """Whether ``text`` is longer than ``limit`` bytes in UTF-8, without encoding short text."""
    if len(text) * 4 <= limit:
        return False
    return len(text.encode("utf-8", "surrogatepass")) > limit


def parse_frame(text: str | None, max_bytes: int) -> ClientFrame:
    """The typed frame of one WebSocket message, or ``FrameError``."""
    if text is None:
        raise FrameError(400, "Binary frames are not supported")
    if utf8_length_exceeds(text, max_bytes):
        raise FrameError(413, protocol.message("too_large"))
    try:
        frame = json.loads(text)
    except (ValueError, RecursionError):
        raise FrameError(400, "Frame is not valid JSON") from None
    if not isinstance(frame, dict):
        raise FrameError(400, "Frame must be a JSON object")
    frame_id = _valid_id(frame.get("id"))
    kind = frame.get("type")
    if kind is None:
        raise FrameError(400, "Frame has no type", frame_id)
    if kind not in protocol.CLIENT_FRAMES:
        raise FrameError(400, "Unknown frame type", frame_id)
    if frame_id is None:
        raise FrameError(400, f"{kind} frames need an id of 1 to {protocol.ID_MAX_LENGTH} characters")
    if kind == "action":
        return _action_frame(frame, frame_id)
    if kind == "cancel":
        return CancelFrame(frame_id)
    stream = frame.get("stream")
    if not isinstance(stream, str) or not stream:
        raise FrameError(400, f"{kind} frames need a stream token", frame_id)
    return StreamFrame(kind, frame_id, stream)


def _action_frame(frame: dict[str, Any], frame_id: str) -> ActionFrame:
    name = frame.get("name")
    if not isinstance(name, str) or not name:
        raise FrameError(400, "An action frame needs a name", frame_id)
    data = frame.get("data")
    if data is None:
        data = {}
    elif not isinstance(data, dict):
        raise FrameError(400, "Action data must be a JSON object", frame_id)
    target = frame.get("target")
    block = frame.get("block")
    for key, value in (("target", target), ("block", block)):
        if value is not None and not isinstance(value, str):
            raise FrameError(400, f"Action {key} must be a string", frame_id)
    return ActionFrame(frame_id, name, data, target, block)
