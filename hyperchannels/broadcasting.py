"""Push action items to groups of sockets, from anywhere, through the channel layer.

A broadcast is normalised and JSON-encoded once, here; every receiving consumer forwards the
encoded frames as they are (``HyperConsumer.hyper_push``), whatever the number of sockets.
"""

from __future__ import annotations

import asyncio
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.exceptions import ImproperlyConfigured

from .conf import get_setting
from .encoding import encode_frame
from .normalise import normalise
from .protocol import EventName

PUSH_MESSAGE_TYPE = "hyper.push"
"""The channel-layer message type a broadcast sends; ``HyperConsumer.hyper_push`` handles it."""


class BroadcastError(Exception):
    """The channel layer could not take a broadcast (Redis down or too slow)."""


def user_group(user: Any) -> str:
    """The group every socket of one user joins; takes a user or a primary key."""
    pk = getattr(user, "pk", user)
    if pk is None:
        raise ValueError("user_group needs a saved user or a primary key")
    return f"hyper.user.{pk}"


async def encode_push_frames(items: tuple[Any, ...]) -> list[str]:
    """The JSON text of each push frame of ``items``, encoded once for every receiver.

    ``str``, ``dict`` and ``HttpResponse`` raise ``TypeError``: a broadcast has no
    invocation to take a target or a template from.
    """
    frames: list[str] = []
    for value in items:
        async for event, data in normalise(value):
            frames.append(encode_frame(event, data))
            if event == EventName.REDIRECT:
                return frames
    return frames


async def abroadcast(group: str, *items: Any, exclude: str | None = None, alias: str = "default") -> int:
    """Send ``items`` to every socket in ``group`` (but ``exclude``, a channel name).

    Returns the number of frames sent. Raises ``BroadcastError`` when the layer fails or
    does not answer within ``BROADCAST_TIMEOUT`` seconds.
    """
    frames = await encode_push_frames(items)
    if not frames:
        return 0
    layer = get_channel_layer(alias)
    if layer is None:
        raise ImproperlyConfigured("hyperchannels broadcasts need CHANNEL_LAYERS to be configured")
    message: dict[str, Any] = {"type": PUSH_MESSAGE_TYPE, "frames": frames}
    if exclude is not None:
        message["exclude"] = exclude
    timeout = float(get_setting("BROADCAST_TIMEOUT"))
    try:
        await asyncio.wait_for(layer.group_send(group, message), timeout)
    except TimeoutError:
        raise BroadcastError(f"broadcast to {group!r} timed out after {timeout:g} s") from None
    except (OSError, ConnectionError) as exc:
        raise BroadcastError(f"broadcast to {group!r} failed: {exc}") from exc
    except Exception as exc:  # redis-py's own errors don't derive from OSError
        if type(exc).__module__.startswith("redis"):
            raise BroadcastError(f"broadcast to {group!r} failed: {exc}") from exc
        raise
    return len(frames)


def broadcast(group: str, *items: Any, exclude: str | None = None, alias: str = "default") -> int:
    """``abroadcast`` for sync code: views, signal handlers, commands, sync actions."""
    result: int = async_to_sync(abroadcast)(group, *items, exclude=exclude, alias=alias)
    return result


async def asend_to_user(user: Any, *items: Any, exclude: str | None = None, alias: str = "default") -> int:
    """Send ``items`` to every socket (every tab) of one user."""
    return await abroadcast(user_group(user), *items, exclude=exclude, alias=alias)


def send_to_user(user: Any, *items: Any, exclude: str | None = None, alias: str = "default") -> int:
    """``asend_to_user`` for sync code."""
    return broadcast(user_group(user), *items, exclude=exclude, alias=alias)
