"""Server frames as JSON text: every frame the server sends is made here.

A reply frame carries the invocation's ``id``; a push has none. docs/protocol.md gives the
frame shapes, docs/limits.md the limits. Every frame is strict JSON (RFC 8259: no ``NaN`` or
``Infinity``) in valid UTF-8 (no lone surrogates) and at most ``MAX_SERVER_FRAME_BYTES`` long,
or it is not made: the browser's ``JSON.parse`` would throw on the first two, and the server
(daphne caps what it sends) would refuse the last one on its own terms, after the fact.
"""

from __future__ import annotations

import json.encoder
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.functional import Promise

from .conf import get_setting
from .protocol import EventName

_encoder = DjangoJSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _one_shot_encoder() -> Callable[[Any], str]:
    """``_encoder.encode`` without building an encoder per call (most of its cost on a small
    frame): CPython's C encoder made once, with no circular-reference bookkeeping (a circular
    structure recurses until ``RecursionError``, which ``encode_frame`` reports as a
    ``ValueError`` like a too deeply nested one). Where the C encoder is missing, ``encode``."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return _encoder.encode
    iterencode = make(
        None, _encoder.default, json.encoder.encode_basestring, None,
        _encoder.key_separator, _encoder.item_separator, False, False, False,
    )  # fmt: skip

    def encode(value: Any) -> str:
        return "".join(iterencode(value, 0))

    return encode


_encode = _one_shot_encoder()
_encode_string = json.encoder.encode_basestring
"""A ``str`` as JSON, as ``_encoder`` writes it (``ensure_ascii=False``)."""
_END_AFTER_ID = ',"event":"' + EventName.END.value + '","data":{}}'

_ELLIPSIS = "…"
_WORST_BYTES_PER_CHAR = 6  # a control character is escaped as \u00XX in JSON


class FrameTooLarge(ValueError):
    """A server frame longer than ``MAX_SERVER_FRAME_BYTES`` in UTF-8.

    The server would refuse to send it (daphne raises, at 1 MiB by default) or the browser
    would get more than anyone configured; the message names the limit and the size.
    """

    def __init__(self, event: str, size: int, limit: int) -> None:
        super().__init__(
            f"the {event!r} frame is {size} bytes in UTF-8, over MAX_SERVER_FRAME_BYTES ({limit} bytes); "
            "send less (paginate, patch a smaller target) or raise the limit (docs/limits.md)"
        )
        self.event = event
        self.size = size
        self.limit = limit


def encode_frame(event: str, data: dict[str, Any], id: str | None = None) -> str:
    """One server frame as JSON text: a reply when ``id`` is given, else a push.

    Values go through Django's JSON encoder (dates, ``Decimal``, ``UUID``, lazy strings).
    Raises ``TypeError`` for a value JSON can't carry, ``ValueError`` for ``NaN``/``Infinity``,
    a lone surrogate, nesting too deep for the encoder, and ``FrameTooLarge`` (a ``ValueError``)
    for a frame over ``MAX_SERVER_FRAME_BYTES``.
    """
    frame = {"event": event, "data": data} if id is None else {"id": id, "event": event, "data": data}
    try:
        text = _encode(frame)
    except TypeError as exc:
        raise TypeError(f"cannot send the {event!r} frame: {exc}") from exc
    except ValueError as exc:
        raise ValueError(f"cannot send the {event!r} frame: {exc}") from exc
    except RecursionError:
        raise ValueError(
            f"cannot send the {event!r} frame: its data is circular or nested too deeply"
        ) from None
    _check_text(text, event)
    return text


def encode_end(id: str) -> str:
    """The ``end`` frame of invocation ``id``: ``encode_frame("end", {}, id)``, without an encoder pass.

    Raises ``ValueError`` when ``id`` holds a lone surrogate.
    """
    if not id.isascii():
        _check_unicode(id, EventName.END)
    return '{"id":' + _encode_string(id) + _END_AFTER_ID


def encode_error(status: int, message: str | Promise, id: str | None) -> str:
    """An ``error`` frame; ``id`` is kept (as ``null`` when unknown) so the client can tell.

    Never raises for a ``str`` (or lazy string) message: it is what the server sends when
    everything else failed. Lone surrogates in ``message`` become U+FFFD, an ``id`` that is not
    valid Unicode is sent as ``null`` (it could not be matched), and a message too long for
    ``MAX_SERVER_FRAME_BYTES`` is cut short with an ellipsis.
    """
    message = _valid_unicode(str(message))
    if id is not None and not id.isascii() and not _is_valid_unicode(id):
        id = None
    data = {"status": int(status), "message": message}
    text = _encoder.encode({"id": id, "event": EventName.ERROR, "data": data})
    limit = int(get_setting("MAX_SERVER_FRAME_BYTES"))
    size = _utf8_size(text, limit)
    if size > limit:
        overhead = size - _utf8_size(_encoder.encode(message), 0)
        keep = max(0, (limit - overhead - len(_ELLIPSIS.encode())) // _WORST_BYTES_PER_CHAR)
        data["message"] = message[:keep] + _ELLIPSIS
        text = _encoder.encode({"id": id, "event": EventName.ERROR, "data": data})
    return text


def _check_text(text: str, event: str) -> None:
    """Raise unless ``text`` is valid Unicode and within ``MAX_SERVER_FRAME_BYTES`` in UTF-8.

    ASCII text (most frames) costs two O(1) calls. Other text is encoded once: as UTF-8 when
    its size could exceed the limit (to measure it), else as UTF-16, which rejects lone
    surrogates as UTF-8 does but runs two to ten times faster (docs/limits.md, Cost).
    """
    limit = int(get_setting("MAX_SERVER_FRAME_BYTES"))
    if text.isascii():
        size = len(text)
    elif len(text) * 4 > limit:
        try:
            size = len(text.encode("utf-8"))
        except UnicodeEncodeError as exc:
            raise _surrogate_error(exc, event) from None
    else:
        _check_unicode(text, event)
        return
    if size > limit:
        raise FrameTooLarge(event, size, limit)


def _check_unicode(text: str, event: str) -> None:
    try:
        text.encode("utf-16-le")
    except UnicodeEncodeError as exc:
        raise _surrogate_error(exc, event) from None


def _surrogate_error(exc: UnicodeEncodeError, event: str) -> ValueError:
    char = exc.object[exc.start]
    return ValueError(
        f"cannot send the {event!r} frame: it holds a lone surrogate (U+{ord(char):04X}), "
        "which is not Unicode text and has no UTF-8 form"
    )


def _is_valid_unicode(text: str) -> bool:
    try:
        text.encode("utf-16-le")
    except UnicodeEncodeError:
        return False
    return True


def _valid_unicode(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD."""
    if text.isascii() or _is_valid_unicode(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _utf8_size(text: str, limit: int) -> int:
    """The UTF-8 length of valid ``text``; anything at most ``limit`` when it cannot exceed it."""
    if text.isascii():
        return len(text)
    if len(text) * 4 <= limit:
        return len(text)
    return len(text.encode("utf-8"))


def push_prefix(text: str, group: str) -> str:
    """A push frame of ``group`` up to its ``seq``: ``{"event":..,"data":..,"group":"g","seq":``.

    The history (``history.close_frame``) appends the seq it assigns and the closing brace, so a
    broadcast is still encoded once, whatever its position turns out to be.
    """
    return text[:-1] + ',"group":' + _encoder.encode(group) + ',"seq":'


def with_position(text: str, group: str, seq: int) -> str:
    """A push frame with its ``group`` and ``seq`` (docs/protocol.md, "Pushes")."""
    return f"{push_prefix(text, group)}{seq}}}"
