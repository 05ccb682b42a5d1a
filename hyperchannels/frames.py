"""Parse and validate client frames (docs/protocol.md, "Client to server").

Every flaw is a ``FrameError`` with its status and, where the frame had a valid one, its id.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from . import protocol
from .exceptions import FrameError
from .history import Position
from .protocol import FrameType, Status


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

    type: FrameType
    id: str
    stream: str
    since: Position | None = None
    """The page's own last position of the token's group, if it has one: replay from there
    rather than from the token's (so a re-subscribe after a reconnect replays no more)."""


@dataclass(slots=True)
class PingFrame:
    id: str


@dataclass(slots=True)
class ResumeFrame:
    """``positions``: group -> the last position the page applied (docs/recovery.md)."""

    id: str
    positions: dict[str, Position]


ClientFrame = ActionFrame | CancelFrame | StreamFrame | PingFrame | ResumeFrame

def _valid_id(value: Any) -> str | None:
    """The id, if it is 1 to 64 characters that valid UTF-8 can carry back in replies."""
    if isinstance(value, str) and 1 <= len(value) <= protocol.ID_MAX_LENGTH:
        if value.isascii():
            return value
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: no reply could name it
            return None
        return value
    return None


def utf8_length_exceeds(text: str, limit: int) -> bool:
    """Whether ``text`` is longer than ``limit`` bytes in UTF-8, without encoding short text."""
    if len(text) * 4 <= limit:
        return False
    return len(text.encode("utf-8", "surrogatepass")) > limit


_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _loads(text: str) -> Any:
    """``json.loads(text)``: compact JSON (what clients send) goes straight to the decoder's
    scanner, skipping ``loads``' whitespace matching; anything else takes ``json.loads``, which
    raises what is wrong with it."""
    try:
        value, end = _scan(text, 0)
    except StopIteration:  # not a JSON value at the first character
        return json.loads(text)
    return value if end == len(text) else json.loads(text)


def parse_frame(text: str | None, max_bytes: int) -> ClientFrame:
    """The typed frame of one WebSocket message, or ``FrameError``."""
    if text is None:
        raise FrameError(Status.BAD_REQUEST, "Binary frames are not supported")
    if len(text) * 4 > max_bytes and utf8_length_exceeds(text, max_bytes):
        raise FrameError(Status.TOO_LARGE, protocol.message("too_large"))
    try:
        frame = _loads(text)
    except (ValueError, RecursionError):
        raise FrameError(Status.BAD_REQUEST, "Frame is not valid JSON") from None
    if not isinstance(frame, dict):
        raise FrameError(Status.BAD_REQUEST, "Frame must be a JSON object")
    frame_id = _valid_id(frame.get("id"))
    kind = frame.get("type")
    if kind is None:
        raise FrameError(Status.BAD_REQUEST, "Frame has no type", frame_id)
    parse = HANDLED.get(kind) if isinstance(kind, str) else None
    if parse is None:
        raise FrameError(Status.BAD_REQUEST, "Unknown frame type", frame_id)
    if frame_id is None:
        raise FrameError(
            Status.BAD_REQUEST, f"{kind} frames need an id of 1 to {protocol.ID_MAX_LENGTH} characters"
        )
    return parse(frame, frame_id)


def _action_frame(frame: dict[str, Any], frame_id: str) -> ActionFrame:
    name = frame.get("name")
    if not isinstance(name, str) or not name:
        raise FrameError(Status.BAD_REQUEST, "An action frame needs a name", frame_id)
    data = frame.get("data")
    if data is None:
        data = {}
    elif not isinstance(data, dict):
        raise FrameError(Status.BAD_REQUEST, "Action data must be a JSON object", frame_id)
    target = frame.get("target")
    if target is not None and not isinstance(target, str):
        raise FrameError(Status.BAD_REQUEST, "Action target must be a string", frame_id)
    block = frame.get("block")
    if block is not None and not isinstance(block, str):
        raise FrameError(Status.BAD_REQUEST, "Action block must be a string", frame_id)
    return ActionFrame(frame_id, name, data, target, block)


def _resume_frame(frame: dict[str, Any], frame_id: str) -> ResumeFrame:
    return ResumeFrame(frame_id, parse_positions(frame.get("positions"), frame_id))


def _stream_frame(kind: FrameType, frame: dict[str, Any], frame_id: str) -> StreamFrame:
    stream = frame.get("stream")
    if not isinstance(stream, str) or not stream:
        raise FrameError(Status.BAD_REQUEST, f"{kind} frames need a stream token", frame_id)
    since = frame.get("since")
    if since is not None:
        since = parse_positions({"": since}, frame_id)[""]
    return StreamFrame(kind, frame_id, stream, since)


HANDLED: dict[str, Callable[[dict[str, Any], str], ClientFrame]] = {
    FrameType.ACTION: _action_frame,
    FrameType.CANCEL: lambda frame, frame_id: CancelFrame(frame_id),
    FrameType.PING: lambda frame, frame_id: PingFrame(frame_id),
    FrameType.RESUME: _resume_frame,
    FrameType.SUBSCRIBE: partial(_stream_frame, FrameType.SUBSCRIBE),
    FrameType.UNSUBSCRIBE: partial(_stream_frame, FrameType.UNSUBSCRIBE),
}
"""Every frame type this server answers, with its parser (a frame and its valid id); any other
``type`` is a 400 "Unknown frame type"."""


def parse_positions(value: Any, frame_id: str | None = None) -> dict[str, Position]:
    """``{group: {"seq": int >= 0, "epoch": str}}`` as positions, or ``FrameError`` 400."""
    bad = FrameError(
        Status.BAD_REQUEST, 'positions must map group names to {"seq": int, "epoch": str}', frame_id
    )
    if not isinstance(value, dict):
        raise bad
    positions: dict[str, Position] = {}
    for group, position in value.items():
        if not isinstance(position, dict):
            raise bad
        seq, epoch = position.get("seq"), position.get("epoch")
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0 or not isinstance(epoch, str):
            raise bad
        positions[group] = Position(seq, epoch)
    return positions
