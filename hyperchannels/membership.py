"""Which groups one socket is in, and how it got there (docs/broadcast.md, "Groups").

A socket joins groups only by server decision (the consumer's ``groups`` attribute, its
``get_groups()`` and, for a signed-in user, ``user_group(user)``) or with a signed stream token
(``subscribe``). Membership goes through the process's group relays (``relays``): the process
joins each layer group once and hands its messages to its member sockets.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from .bridge import run_sync
from .conf import get_setting
from .groups import check_group, user_group
from .relays import Member, relays_for
from .types import ChannelLayer

logger = logging.getLogger("hyperchannels")


async def server_groups(consumer: Any, default_get_groups: Any) -> list[str]:
    """The groups the server chose for ``consumer``: ``groups``, ``get_groups()``, the user's.

    ``get_groups`` runs in a worker thread only when the consumer overrides it with a plain
    ``def``: the handshake needs no thread otherwise.
    """
    names: list[str] = []
    declared = getattr(consumer, "groups", None) or []
    if isinstance(declared, str):
        raise ImproperlyConfigured(f"{type(consumer).__qualname__}.groups must be a list of names, not a str")
    names.extend(declared)
    get_groups = consumer.get_groups
    if getattr(get_groups, "__func__", None) is not default_get_groups:
        if inspect.iscoroutinefunction(get_groups):
            chosen = await get_groups()
        else:
            chosen = await run_sync(get_groups)
        if isinstance(chosen, str):
            raise ImproperlyConfigured(
                f"{type(consumer).__qualname__}.get_groups() must return a list of names, not a str"
            )
        names.extend(chosen or [])
    user = consumer.scope.get("user")
    if get_setting("USER_GROUPS") and user is not None and user.is_authenticated:
        names.append(user_group(user))
    for name in names:
        check_group(name)
    return list(dict.fromkeys(names))


class Membership:
    """The groups of one socket: joined by server decision or by a signed stream token."""

    def __init__(self, member: Member, layer: ChannelLayer | None) -> None:
        self.member = member
        self.layer = layer
        self.server: set[str] = set()
        """Groups joined by server decision; left only when the socket closes."""
        self.streams: set[str] = set()
        """Groups joined with a stream token; ``unsubscribe`` leaves them."""

    @property
    def groups(self) -> set[str]:
        """Every group this socket is in."""
        return self.server | self.streams

    def _layer(self) -> ChannelLayer:
        if self.layer is None:
            raise ImproperlyConfigured("hyperchannels groups need CHANNEL_LAYERS to be configured")
        return self.layer

    async def _join(self, group: str) -> None:
        if group not in self.groups:
            await relays_for(self._layer()).join(group, self.member)

    async def _leave(self, group: str) -> None:
        await relays_for(self._layer()).leave(group, self.member)

    async def join(self, groups: Iterable[str]) -> None:
        """Join groups the server chose; raises if the layer can't be reached."""
        for group in groups:
            await self._join(group)
            self.server.add(group)

    async def subscribe(self, group: str) -> None:
        """Join a group named by a verified stream token."""
        await self._join(group)
        self.streams.add(group)

    async def unsubscribe(self, group: str) -> None:
        """Leave a group joined with a stream token (a server-chosen one stays joined)."""
        if group not in self.streams:
            return
        self.streams.discard(group)
        if group not in self.server:
            await self._leave(group)

    async def revoke(self, group: str) -> None:
        """Leave ``group`` however it was joined (``revoke``): it stays left until the socket
        joins it again (a new ``subscribe``, or a reconnect whose server groups include it)."""
        if group not in self.groups:
            return
        self.server.discard(group)
        self.streams.discard(group)
        await self._leave(group)

    async def leave_all(self) -> None:
        """Leave every group; never raises (the socket is closing)."""
        if self.layer is None:
            return
        groups, self.server, self.streams = self.groups, set(), set()
        for group in groups:
            try:
                await self._leave(group)
            except Exception:
                logger.warning("Could not leave group %r", group, exc_info=True)
