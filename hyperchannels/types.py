"""Type aliases shared across the package."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Protocol, TypeAlias

EventData: TypeAlias = dict[str, Any]
"""The ``data`` object of one server frame."""

EventPair: TypeAlias = tuple[str, EventData]
"""An event name and its data, before encoding."""

Frame: TypeAlias = dict[str, Any]
"""A decoded client frame."""

Scope: TypeAlias = MutableMapping[str, Any]
"""An ASGI connection scope."""

RenderBlock: TypeAlias = Callable[[str, dict[str, Any]], Awaitable[str]]
"""Renders one block of the consumer's template with a context, off the event loop."""

Receive: TypeAlias = Callable[[], Awaitable[dict[str, Any]]]
"""The ASGI ``receive`` callable."""

Send: TypeAlias = Callable[[dict[str, Any]], Awaitable[None]]
"""The ASGI ``send`` callable."""


class ChannelLayer(Protocol):
    """What hyperchannels uses of a Channels layer (``channels.layers.BaseChannelLayer``)."""

    async def new_channel(self, prefix: str = ...) -> str: ...

    async def send(self, channel: str, message: dict[str, Any]) -> None: ...

    async def receive(self, channel: str) -> dict[str, Any]: ...

    async def group_add(self, group: str, channel: str) -> None: ...

    async def group_discard(self, group: str, channel: str) -> None: ...

    async def group_send(self, group: str, message: dict[str, Any]) -> None: ...
