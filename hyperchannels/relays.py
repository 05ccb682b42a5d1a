"""Process-local fan-out: a process joins each group once, whatever its number of sockets.

With Channels' usual design every socket is a member of its groups in the layer, so a
broadcast to N local sockets is N layer deliveries (N Redis list entries to unpack on the
core layer, N queues on the pubsub layer), each woken and dispatched on its own. Here the
process joins a group with one channel of its own (a relay), receives each group message
once, and hands it to its local member sockets directly. Messages of any type are relayed,
so custom handlers (``async def chat_message``) keep working for groups joined this way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from typing import Any, Protocol

from .layerlink import LayerLink

logger = logging.getLogger("hyperchannels")


class Member(Protocol):
    channel_name: str

    def relay_deliver(self, message: dict[str, Any]) -> None:
        """Take one group message; must never wait (a slow member delays no other)."""


class GroupRelay:
    """One group's membership for this process: one layer channel, one receive loop."""

    def __init__(self, layer: Any, group: str) -> None:
        self.layer = layer
        self.group = group
        self.members: set[Member] = set()
        self.channel_name = ""
        self._loop: asyncio.Task[None] | None = None
        self.started: asyncio.Task[None] = asyncio.ensure_future(self._start())

    async def _start(self) -> None:
        self.channel_name = await self.layer.new_channel()
        await self.layer.group_add(self.group, self.channel_name)
        self._loop = asyncio.create_task(self._receive_loop())

    async def _receive_loop(self) -> None:
        link = LayerLink(self.layer, self.channel_name, lambda: [self.group])
        while True:
            message = await link.receive()
            for member in list(self.members):
                try:
                    member.relay_deliver(message)
                except Exception:
                    logger.exception("Could not deliver a message of group %r", self.group)

    async def stop(self) -> None:
        try:
            await self.started
        except Exception:
            return  # it never joined
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
        try:
            await self.layer.group_discard(self.group, self.channel_name)
        except Exception:
            logger.warning("Could not leave group %r", self.group, exc_info=True)


class Relays:
    """The group relays of one channel layer on one event loop."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.relays: dict[str, GroupRelay] = {}

    async def join(self, group: str, member: Member) -> None:
        """Make ``member`` receive the messages of ``group``; returns once the layer knows."""
        relay = self.relays.get(group)
        if relay is None:
            relay = self.relays[group] = GroupRelay(self.layer, group)
        relay.members.add(member)
        try:
            await asyncio.shield(relay.started)
        except Exception:
            relay.members.discard(member)
            if self.relays.get(group) is relay:
                del self.relays[group]
            raise

    async def leave(self, group: str, member: Member) -> None:
        relay = self.relays.get(group)
        if relay is None or member not in relay.members:
            return
        relay.members.discard(member)
        if not relay.members:
            del self.relays[group]
            await relay.stop()


_relays: weakref.WeakKeyDictionary[Any, dict[asyncio.AbstractEventLoop, Relays]] = weakref.WeakKeyDictionary()


def relays_for(layer: Any) -> Relays:
    """The relays of ``layer`` on the running event loop (tests run one loop per test)."""
    loop = asyncio.get_running_loop()
    per_loop = _relays.setdefault(layer, {})
    relays = per_loop.get(loop)
    if relays is None:
        for stale in [other for other in per_loop if other.is_closed()]:
            del per_loop[stale]
        relays = per_loop[loop] = Relays(layer)
    return relays
