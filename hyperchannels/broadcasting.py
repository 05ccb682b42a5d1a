"""Push action items to groups of sockets, from anywhere, through the channel layer.

A broadcast is normalised and JSON-encoded once, here (``invocation.emit``, the loop replies
use too); with recovery on, the group's history gives each frame its ``seq`` and keeps it (one
round trip at the sender); every receiving consumer forwards the frames as they are, whatever
the number of sockets. Inside ``transaction.atomic()`` the sending waits for the commit.
docs/broadcast.md is the user's guide; docs/recovery.md says what positions are.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, transaction

from .conf import get_setting
from .encoding import push_prefix
from .exceptions import BroadcastError
from .groups import PUSH_MESSAGE_TYPE, check_group, layer_group, user_group
from .history import history_for, recovery_on
from .invocation import emit

logger = logging.getLogger("hyperchannels")


async def encode_push_frames(items: tuple[Any, ...]) -> list[str]:
    """The JSON text of each push frame of ``items``, encoded once for every receiver.

    ``str``, ``dict`` and ``HttpResponse`` raise ``TypeError``: a broadcast has no
    invocation to take a target or a template from. A value JSON can't carry raises
    ``ValueError``/``TypeError`` before anything is sent.
    """
    frames: list[str] = []

    async def collect(text: str) -> None:
        frames.append(text)

    for value in items:
        if await emit(value, None, None, collect):
            break  # a redirect: nothing after it is delivered
    return frames


def _waits_for_commit(on_commit: bool | None, using: str) -> bool:
    """Whether a broadcast made here and now must wait for the outermost commit."""
    if on_commit is False or (on_commit is None and not get_setting("BROADCAST_ON_COMMIT")):
        return False
    return bool(transaction.get_connection(using).in_atomic_block)


async def send_frames(
    group: str, frames: list[str], exclude: str | None = None, alias: str = "default"
) -> int:
    """Send encoded push frames to ``group`` now: through its history, then the layer.

    Raises ``BroadcastError`` when the layer (or its Redis) fails or does not answer within
    ``BROADCAST_TIMEOUT`` seconds.
    """
    layer = get_channel_layer(alias)
    if layer is None:
        raise ImproperlyConfigured("hyperchannels broadcasts need CHANNEL_LAYERS to be configured")
    message: dict[str, Any] = {"type": PUSH_MESSAGE_TYPE, "group": group, "frames": frames}
    if exclude is not None:
        message["exclude"] = exclude
    timeout = float(get_setting("BROADCAST_TIMEOUT"))
    try:
        async with asyncio.timeout(timeout):
            if recovery_on():
                prefixes = [push_prefix(text, group) for text in frames]
                position, message["frames"] = await history_for(layer).append(group, prefixes)
                message["seq"], message["epoch"] = position.seq, position.epoch
            await layer.group_send(layer_group(group), message)
    except TimeoutError:
        raise BroadcastError(f"broadcast to {group!r} timed out after {timeout:g} s") from None
    except (OSError, ConnectionError) as exc:
        raise BroadcastError(f"broadcast to {group!r} failed: {exc}") from exc
    except Exception as exc:  # redis-py's own errors don't derive from OSError
        if type(exc).__module__.startswith("redis"):
            raise BroadcastError(f"broadcast to {group!r} failed: {exc}") from exc
        raise
    return len(frames)


def after_commit(
    send: Callable[[], Awaitable[Any]], what: str, on_commit: bool | None, using: str = DEFAULT_DB_ALIAS
) -> bool:
    """Run ``send`` after the outermost commit when a transaction of ``using`` is open in this
    thread (``BROADCAST_ON_COMMIT``; ``on_commit=False``: never); whether it was deferred.

    Dropped on rollback; a failure after the commit is logged (naming ``what``), not raised.
    """
    if not _waits_for_commit(on_commit, using):
        return False

    async def sending() -> None:
        await send()

    def run() -> None:
        try:
            async_to_sync(sending)()
        except Exception:
            logger.exception("%s, made inside a transaction, failed after its commit", what)

    transaction.on_commit(run, using=using)
    return True


async def abroadcast(
    group: str,
    *items: Any,
    exclude: str | None = None,
    alias: str = "default",
    on_commit: bool | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> int:
    """Send ``items`` to every socket in ``group`` (but ``exclude``, a channel name).

    Returns the number of frames. Encodes at once: ``ValueError``/``TypeError`` for what JSON
    can't carry and for an invalid group name, before anything is sent. Raises
    ``BroadcastError`` when the layer fails or does not answer within ``BROADCAST_TIMEOUT``
    seconds. Inside ``transaction.atomic()`` of database ``using`` (``BROADCAST_ON_COMMIT``;
    ``on_commit=False`` sends at once) it is sent after the outermost commit, never after a
    rollback; a failure then is logged.
    """
    check_group(group)
    frames = await encode_push_frames(items)
    if not frames or after_commit(
        _sender(group, frames, exclude, alias), f"A broadcast to {group!r}", on_commit, using
    ):
        return len(frames)
    return await send_frames(group, frames, exclude, alias)


def broadcast(
    group: str,
    *items: Any,
    exclude: str | None = None,
    alias: str = "default",
    on_commit: bool | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> int:
    """``abroadcast`` for sync code: views, signal handlers, commands, sync actions.

    The transaction is the calling thread's: a broadcast inside ``transaction.atomic()`` waits
    for its commit.
    """
    check_group(group)
    frames: list[str] = async_to_sync(encode_push_frames)(items)
    if not frames or after_commit(
        _sender(group, frames, exclude, alias), f"A broadcast to {group!r}", on_commit, using
    ):
        return len(frames)
    sent: int = async_to_sync(send_frames)(group, frames, exclude, alias)
    return sent


def _sender(group: str, frames: list[str], exclude: str | None, alias: str) -> Callable[[], Awaitable[int]]:
    return lambda: send_frames(group, frames, exclude, alias)


async def asend_to_user(
    user: Any, *items: Any, exclude: str | None = None, alias: str = "default", on_commit: bool | None = None
) -> int:
    """Send ``items`` to every socket (every tab) of one user."""
    return await abroadcast(user_group(user), *items, exclude=exclude, alias=alias, on_commit=on_commit)


def send_to_user(
    user: Any, *items: Any, exclude: str | None = None, alias: str = "default", on_commit: bool | None = None
) -> int:
    """``asend_to_user`` for sync code."""
    return broadcast(user_group(user), *items, exclude=exclude, alias=alias, on_commit=on_commit)
