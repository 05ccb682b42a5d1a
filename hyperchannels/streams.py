"""Signed stream tokens: the only way a client asks to join a group."""

from __future__ import annotations

from django.core import signing

from .conf import get_setting
from .groups import check_group

SALT = "hyperchannels.stream"


def sign_stream(group: str) -> str:
    """A token naming ``group``, for a page to hand to its socket's ``subscribe``.

    Raises ``ValueError`` for an empty or over-long group name (``TypeError`` for a non-str).
    """
    return signing.dumps(check_group(group), salt=SALT)


def unsign_stream(token: str) -> str:
    """The group a token names; raises ``django.core.signing.BadSignature`` if forged."""
    group = signing.loads(token, salt=SALT, max_age=get_setting("STREAM_MAX_AGE"))
    try:
        return check_group(group)
    except (TypeError, ValueError):
        raise signing.BadSignature("stream token does not name a group") from None
