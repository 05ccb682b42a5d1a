"""Push action items to groups of sockets, from anywhere, through the channel layer."""

from __future__ import annotations

from typing import Any

PUSH_MESSAGE_TYPE = "hyper.push"


def user_group(user: Any) -> str:
    """The group every socket of one user joins; takes a user or a primary key."""
    pk = getattr(user, "pk", user)
    return f"hyper.user.{pk}"
