"""Closing sockets and revoking groups, from anywhere, in every process (docs/security.md).

Each function sends one message to a group through the channel layer; every consumer in the
group (in any process) acts on it itself: ``hyper.close`` closes the socket with its code,
``hyper.revoke`` takes it out of the group and pushes ``revoked``. Like a broadcast, a call made
inside ``transaction.atomic()`` is sent after the outermost commit, never after a rollback.

With ``CLOSE_ON_LOGOUT`` (default) Django's ``user_logged_out`` closes every socket of the user
that signed out with 4401, so an open tab stops acting as that user at once.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Final

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth.signals import user_logged_out
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS

from .broadcasting import after_commit
from .conf import get_setting
from .exceptions import BroadcastError
from .groups import check_group, layer_group, user_group
from .protocol import CloseCode

logger = logging.getLogger("hyperchannels")

CLOSE_MESSAGE_TYPE: Final = "hyper.close"
"""``{"type", "code"}``: every consumer that gets it closes its socket with ``code``."""
REVOKE_MESSAGE_TYPE: Final = "hyper.revoke"
"""``{"type", "group", "user"}``: the sockets of ``user`` (a primary key as ``str``; ``None``:
all) leave ``group`` and get a ``revoked`` push."""


def _check_code(code: int) -> int:
    if isinstance(code, bool) or not isinstance(code, int) or not (code == 1000 or 3000 <= code <= 4999):
        raise ValueError(f"a close code is 1000 or 3000-4999, not {code!r}")
    return code


def _user_key(user: Any) -> str:
    pk = getattr(user, "pk", user)
    if pk is None:
        raise ValueError("revoke(user=...) needs a saved user or a primary key")
    return str(pk)


async def _send_now(group: str, message: dict[str, Any], alias: str) -> None:
    layer = get_channel_layer(alias)
    if layer is None:
        raise ImproperlyConfigured("hyperchannels closing and revoking need CHANNEL_LAYERS to be configured")
    timeout = float(get_setting("BROADCAST_TIMEOUT"))
    try:
        async with asyncio.timeout(timeout):
            await layer.group_send(layer_group(group), message)
    except TimeoutError:
        raise BroadcastError(f"{message['type']} to {group!r} timed out after {timeout:g} s") from None
    except Exception as exc:
        if isinstance(exc, (OSError, ConnectionError)) or type(exc).__module__.startswith("redis"):
            raise BroadcastError(f"{message['type']} to {group!r} failed: {exc}") from exc
        raise


async def _asend(group: str, message: dict[str, Any], alias: str, on_commit: bool | None, using: str) -> None:
    if not after_commit(lambda: _send_now(group, message, alias), _what(group, message), on_commit, using):
        await _send_now(group, message, alias)


def _send(group: str, message: dict[str, Any], alias: str, on_commit: bool | None, using: str) -> None:
    if not after_commit(lambda: _send_now(group, message, alias), _what(group, message), on_commit, using):
        async_to_sync(_send_now)(group, message, alias)


def _close_message(group: str, code: int) -> dict[str, Any]:
    """The layer message that closes ``group``'s sockets; ``ValueError`` for a bad group or code."""
    check_group(group)
    return {"type": CLOSE_MESSAGE_TYPE, "code": int(_check_code(code))}


def _what(group: str, message: dict[str, Any]) -> str:
    return f"{'Closing' if message['type'] == CLOSE_MESSAGE_TYPE else 'Revoking'} group {group!r}"


async def aclose_group(
    group: str,
    code: int = CloseCode.GROUP_CLOSED,
    *,
    alias: str = "default",
    on_commit: bool | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> None:
    """Close every socket in ``group``, in every process, with close code ``code``.

    A code in 4400-4499 stops the browser client for good (``hyper:closed``); others make it
    reconnect. Raises ``ValueError`` for a bad group or code, ``BroadcastError`` when the
    layer fails or does not answer within ``BROADCAST_TIMEOUT``.
    """
    await _asend(group, _close_message(group, code), alias, on_commit, using)


def close_group(
    group: str,
    code: int = CloseCode.GROUP_CLOSED,
    *,
    alias: str = "default",
    on_commit: bool | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> None:
    """``aclose_group`` for sync code (views, signal handlers, commands)."""
    _send(group, _close_message(group, code), alias, on_commit, using)


async def aclose_user_sockets(
    user: Any,
    code: int = CloseCode.SIGNED_OUT,
    *,
    alias: str = "default",
    on_commit: bool | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> None:
    """Close every socket (every tab, every process) of ``user`` (a user or a primary key).

    Sockets find their user through ``user_group(user)``, which they join with ``USER_GROUPS``
    (default on).
    """
    await aclose_group(user_group(user), code, alias=alias, on_commit=on_commit, using=using)


def close_user_sockets(
    user: Any,
    code: int = CloseCode.SIGNED_OUT,
    *,
    alias: str = "default",
    on_commit: bool | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> None:
    """``aclose_user_sockets`` for sync code."""
    close_group(user_group(user), code, alias=alias, on_commit=on_commit, using=using)


def _revoke_message(group: str, user: Any) -> dict[str, Any]:
    check_group(group)
    return {"type": REVOKE_MESSAGE_TYPE, "group": group, "user": None if user is None else _user_key(user)}


async def arevoke(
    group: str,
    user: Any = None,
    *,
    alias: str = "default",
    on_commit: bool | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> None:
    """Take the sockets of ``user`` (all of them when ``None``) out of ``group`` at once.

    Each gets a ``revoked`` push naming the group; the browser client forgets its stream token
    for it and does not subscribe again. A token the page still holds is still valid: sign
    tokens for one user (``sign_stream(group, user=...)``) or check in ``get_groups``.
    """
    await _asend(group, _revoke_message(group, user), alias, on_commit, using)


def revoke(
    group: str,
    user: Any = None,
    *,
    alias: str = "default",
    on_commit: bool | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> None:
    """``arevoke`` for sync code."""
    _send(group, _revoke_message(group, user), alias, on_commit, using)


def close_on_logout(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    """``user_logged_out`` receiver: with ``CLOSE_ON_LOGOUT``, close the user's sockets (4401).

    Signing out never fails for it: a layer that can't be reached is logged.
    """
    if user is None or not get_setting("CLOSE_ON_LOGOUT") or getattr(user, "pk", None) is None:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    try:
        if loop is None:
            close_user_sockets(user)
        else:  # sync logout() called on an event loop: no async_to_sync here
            task = loop.create_task(aclose_user_sockets(user))
            _pending.add(task)
            task.add_done_callback(_logout_done)
    except Exception:
        logger.exception("Could not close the sockets of a user who signed out")


_pending: set[asyncio.Task[None]] = set()


def _logout_done(task: asyncio.Task[None]) -> None:
    _pending.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.error("Could not close the sockets of a user who signed out", exc_info=task.exception())


user_logged_out.connect(close_on_logout, dispatch_uid="hyperchannels.close_on_logout")
