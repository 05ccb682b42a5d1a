"""Group names: which names are valid, how they map onto the channel layer, the user group,
and the layer message a broadcast sends. Senders (``broadcast``) and receivers (the consumer,
``membership``) both read it.

Any non-empty ``str`` of at most 1,000 characters names a group (docs/broadcast.md, "Group
names"). Channels' layers accept only ASCII letters, digits, ``-``, ``_`` and ``.``, fewer than
100 characters; ``layer_group`` maps every valid name onto such a name, one-to-one, so two
different names never meet. A name the layer already accepts maps to itself, so Channels code
that calls ``channel_layer.group_send("chat", ...)`` reaches the sockets of group ``"chat"``.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Final

from .protocol import GROUP_NAME_MAX_LENGTH

PUSH_MESSAGE_TYPE: Final = "hyper.push"
"""The channel-layer message type of a broadcast; the consumer forwards its encoded frames.

``{"type", "group", "frames": [text, ...], "exclude"?, "seq"?, "epoch"?}``: with recovery on,
``seq`` is the position of the last frame and ``epoch`` its history's."""

POSITION_MESSAGE_TYPE: Final = "hyper.position"
"""A process's relay tells its sockets a group's position: ``{"type", "group", "seq", "epoch"}``."""

_LAYER_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,99}")
_MAPPED_PREFIX: Final = "hyper.g."
_UNSAFE = re.compile(r"[^A-Za-z0-9_\-]+")


def check_group(name: object) -> str:
    """``name`` if it is a valid group name; ``TypeError`` or ``ValueError`` saying why not."""
    if not isinstance(name, str):
        raise TypeError(f"a group name is a str, not {type(name).__name__}")
    if not name:
        raise ValueError("a group name can't be empty")
    if len(name) > GROUP_NAME_MAX_LENGTH:
        raise ValueError(f"a group name has at most {GROUP_NAME_MAX_LENGTH} characters, not {len(name)}")
    if not name.isascii():
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("a group name can't hold a lone surrogate: pushes name their group") from None
    return name


def layer_group(name: str) -> str:
    """The channel-layer group name of group ``name`` (checked with ``check_group``).

    Names the layer accepts (and that don't start with ``hyper.g.``) are kept; any other name
    becomes ``hyper.g.<readable part>.<sha256 of the name>``, which no kept name can equal.
    """
    check_group(name)
    if _LAYER_NAME.fullmatch(name) and not name.startswith(_MAPPED_PREFIX):
        return name
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:40]
    readable = _UNSAFE.sub("-", name)[:40]
    return f"{_MAPPED_PREFIX}{readable}.{digest}"


def user_group(user: Any) -> str:
    """The group every socket of one user joins (``USER_GROUPS``); takes a user or a primary key.

    Any primary key works (int, UUID, an e-mail address): the name is mapped onto the layer
    like every group name.
    """
    pk = getattr(user, "pk", user)
    if pk is None:
        raise ValueError("user_group needs a saved user or a primary key")
    return check_group(f"hyper.user.{pk}")
