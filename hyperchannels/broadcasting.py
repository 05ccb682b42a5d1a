"""Push action items to groups of sockets, from anywhere, through the channel layer.

A broadcast is normalised and JSON-encoded once, here (``invocation.emit``, the loop replies
use too); every receiving consumer forwards the encoded frames as they are, whatever the
number of sockets. docs/broadcast.md is the user's guide.
"""

from __future__ import annotations

import asyncio
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.exceptions import ImproperlyConfigured

from .conf import get_setting
from .exceptions import BroadcastError
from .groups import PUSH_MESSAGE_TYPE, check_group, layer_group, user_group
from .invocation import emit


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


async def abroadcast(group: str, *items: Any, exclude: str | None = None, alias: str = "default") -> int:
    """Send ``items`` to every socket in ``group`` (but ``exclude``, a channel name).

    Returns the number of frames sent. Raises ``ValueError`` for an invalid group name,
    ``BroadcastError`` when the layer fails or does not answer within ``BROADCAST_TIMEOUT``
    seconds.
    """
    check_group(group)
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
        await asyncio.wait_for(layer.group_send(layer_group(group), message), timeout)
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
