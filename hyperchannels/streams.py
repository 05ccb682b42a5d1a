"""Signed stream tokens: the only way a client asks to join a group (docs/broadcast.md,
"Signed streams").

A token names its group and carries the group's position when it was signed
(docs/recovery.md), so a page rendered before its socket connected still gets what was
broadcast in between: the ``subscribe`` replays from there.
"""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

from django.core import signing

from .conf import get_setting
from .groups import check_group
from .history import Position

logger = logging.getLogger("hyperchannels")

SALT = "hyperchannels.stream"


class StreamToken(NamedTuple):
    """What a verified token says: its group, the position it was signed at (if any), and the
    user it was signed for (a primary key as ``str``; ``None``: anyone holding it)."""

    group: str
    position: Position | None
    user: str | None = None


def _position_now(group: str, alias: str) -> Position | None:
    from channels.layers import get_channel_layer

    from .history import positions_now, recovery_on

    if not recovery_on():
        return None
    layer = get_channel_layer(alias)
    if layer is None:
        return None
    try:
        return positions_now(layer, [group])[group]
    except Exception:
        logger.warning("Could not read the position of %r; its token carries none", group, exc_info=True)
        return None


def sign_stream(group: str, *, user: Any = None, alias: str = "default") -> str:
    """A token naming ``group``, for a page to hand to its socket's ``subscribe``.

    Without ``user`` it is a bearer token: any socket that holds it may subscribe (until
    ``STREAM_MAX_AGE``). With ``user`` (a user or a primary key) only a socket signed in as that
    user may; any other gets 403. It carries the group's current position (one read of the
    history). Raises ``ValueError`` for an empty or over-long group name (``TypeError`` for a
    non-str) and for an unsaved user.
    """
    payload: dict[str, Any] = {"g": check_group(group)}
    if user is not None:
        pk = getattr(user, "pk", user)
        if pk is None:
            raise ValueError("sign_stream(user=...) needs a saved user or a primary key")
        payload["u"] = str(pk)
    position = _position_now(group, alias)
    if position is not None:
        payload["p"] = [position.seq, position.epoch]
    return signing.dumps(payload, salt=SALT)


def read_stream(token: str) -> StreamToken:
    """The group and position a token names; ``django.core.signing.BadSignature`` if forged,
    expired (``STREAM_MAX_AGE``) or not a stream token."""
    payload = signing.loads(token, salt=SALT, max_age=get_setting("STREAM_MAX_AGE"))
    if not isinstance(payload, dict):
        raise signing.BadSignature("not a stream token")
    try:
        group = check_group(payload.get("g"))
    except (TypeError, ValueError):
        raise signing.BadSignature("stream token does not name a group") from None
    position = None
    signed = payload.get("p")
    if isinstance(signed, list) and len(signed) == 2:
        seq, epoch = signed
        if isinstance(seq, int) and isinstance(epoch, str):
            position = Position(seq, epoch)
    user = payload.get("u")
    return StreamToken(group, position, user if isinstance(user, str) else None)


def unsign_stream(token: str) -> str:
    """The group a token names; raises ``django.core.signing.BadSignature`` if forged."""
    return read_stream(token).group
