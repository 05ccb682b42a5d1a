"""Process-local fan-out: a process joins each group once, whatever its number of sockets.

With Channels' usual design every socket is a member of its groups in the layer, so a
broadcast to N local sockets is N layer deliveries (N Redis list entries to unpack on the
core layer, N queues on the pubsub layer), each woken and dispatched on its own. Here the
process joins a group with one channel of its own (a relay), receives each group message
once, and hands it to its local member sockets directly. Messages of any type are relayed,
so custom handlers (``async def chat_message``) keep working for groups joined this way.

A relay never waits on a member (``relay_deliver`` only queues), so its channel is drained
as fast as the layer fills it and never expires out of its group for being slow. Layers
still drop members (``group_expiry``, a message left unread past ``expiry``, a Redis restarted
without persistence), so each relay joins its group again every ``refresh_seconds``.

Relays live on one event loop: every task they start is named, ends when cancelled, and is
awaited; the relays of a loop go when their last member leaves, and relays of a closed loop
are forgotten, so a test's loop (one per test) neither hangs at teardown nor leaks into the next.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any, Protocol

from .groups import POSITION_MESSAGE_TYPE, layer_group
from .history import InProcessHistory, history_for, recovery_on
from .layerlink import (
    LayerLink,
    cancel_and_wait,
    in_background,
    open_channel,
    raise_if_cancelled,
    recancel_seconds,
    report_failure,
    report_recovery,
)

logger = logging.getLogger("hyperchannels")

COMPONENT = "group relays"
WATCH_SECONDS = 2.0
"""How often a process asks the history store whether it lost everything (one round trip)."""
LEAVE_TIMEOUT_SECONDS = 5.0
REFRESH_MAX_SECONDS = 60.0


class Member(Protocol):
    channel_name: str

    def relay_deliver(self, message: dict[str, Any]) -> None:
        """Take one group message; must never wait (a slow member delays no other)."""


def refresh_seconds(layer: Any) -> float:
    """How often a relay joins its group again: well within the layer's ``group_expiry``."""
    expiry = float(getattr(layer, "group_expiry", REFRESH_MAX_SECONDS * 2) or REFRESH_MAX_SECONDS * 2)
    return max(0.5, min(expiry / 2, REFRESH_MAX_SECONDS))


async def _cancel(task: asyncio.Task[Any] | None, layer: Any) -> None:
    """Cancel ``task`` (which uses ``layer``) and wait until it ended, bounded
    (``layerlink.cancel_and_wait``): a relay's receive left reading would take this process's
    layer messages into a buffer no socket reads, and hang an event loop's shutdown; a task
    that never ends must not hold a socket's close for ever either."""
    await cancel_and_wait([task], recancel=recancel_seconds(layer))


class GroupRelay:
    """One group's membership for this process: one layer channel, one receive loop.

    ``group`` is the group's name; the layer knows it as ``layer_group(group)``.
    """

    def __init__(self, layer: Any, group: str) -> None:
        self.layer = layer
        self.group = group
        self.layer_name = layer_group(group)
        self.members: set[Member] = set()
        self.channel_name = ""
        self._receiving: asyncio.Task[None] | None = None
        self._checking: asyncio.Task[None] | None = None
        self.started: asyncio.Task[None] = asyncio.get_running_loop().create_task(
            self._start(), name=f"hyperchannels relay join {group}"
        )

    async def _start(self) -> None:
        self.channel_name = await open_channel(self.layer)
        await self.layer.group_add(self.layer_name, self.channel_name)
        self._receiving = asyncio.get_running_loop().create_task(
            self._receive_loop(), name=f"hyperchannels relay {self.group}"
        )

    async def _receive_loop(self) -> None:
        link = LayerLink(
            self.layer, self.channel_name, lambda: [self.layer_name], COMPONENT, self._recovered
        )
        while True:
            self.deliver(await link.receive())

    def deliver(self, message: dict[str, Any]) -> None:
        """Hand ``message`` to every member; never waits."""
        for member in list(self.members):
            try:
                member.relay_deliver(message)
            except Exception:
                logger.exception("Could not deliver a message of group %r", self.group)

    def _recovered(self) -> None:
        """The layer is back: its history may be new (Redis restarted empty), so look."""
        if recovery_on() and (self._checking is None or self._checking.done()):
            self._checking = asyncio.get_running_loop().create_task(
                self.check_position(), name=f"hyperchannels relay position {self.group}"
            )

    async def check_position(self) -> None:
        """Tell the members the group's position; a socket whose epoch is older tells its page.

        A history lost while sockets stay connected (Redis restarted empty) shows as a new
        epoch here within a retry of the layer coming back, even when nothing is broadcast.
        """
        try:
            position = (await history_for(self.layer).positions([self.group]))[self.group]
            raise_if_cancelled()
        except Exception as exc:
            raise_if_cancelled()
            report_failure(self.layer, COMPONENT, exc)
            return
        self.deliver(
            {"type": POSITION_MESSAGE_TYPE, "group": self.group, "seq": position.seq, "epoch": position.epoch}
        )

    async def refresh(self) -> None:
        """Join the group again (a no-op for a layer that kept us; a rejoin for one that dropped us)."""
        if self.started.done() and not self.started.cancelled() and self.started.exception() is None:
            await self.layer.group_add(self.layer_name, self.channel_name)

    async def stop(self) -> None:
        await _cancel(self.started, self.layer)
        await _cancel(self._receiving, self.layer)
        await _cancel(self._checking, self.layer)
        if not self.started.done() or self.started.cancelled() or self.started.exception() is not None:
            return  # it never joined
        try:
            await asyncio.wait_for(
                self.layer.group_discard(self.layer_name, self.channel_name), LEAVE_TIMEOUT_SECONDS
            )
        except Exception as exc:
            raise_if_cancelled()
            report_failure(self.layer, COMPONENT, exc)  # the layer's group_expiry drops it later


class Relays:
    """The group relays of one channel layer on one event loop."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.relays: dict[str, GroupRelay] = {}
        self._refreshing: asyncio.Task[None] | None = None
        self._watching: asyncio.Task[None] | None = None

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
        except asyncio.CancelledError:
            # The socket's handshake was given up: not a member; a relay nobody else waits for
            # is stopped (in a task of its own: this one is being cancelled).
            relay.members.discard(member)
            if not relay.members:
                in_background(self._stop_unused(group, relay))
            raise
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.get_running_loop().create_task(
                self._refresh_loop(), name="hyperchannels relay refresh"
            )
        if self._watch_needed() and (self._watching is None or self._watching.done()):
            self._watching = asyncio.get_running_loop().create_task(
                self._watch_loop(), name="hyperchannels history watch"
            )

    async def leave(self, group: str, member: Member) -> None:
        relay = self.relays.get(group)
        if relay is None or member not in relay.members:
            return
        relay.members.discard(member)
        await self._stop_unused(group, relay)

    async def _stop_unused(self, group: str, relay: GroupRelay) -> None:
        """Stop ``relay`` unless it has members again or is no longer ``group``'s relay."""
        if relay.members or self.relays.get(group) is not relay:
            return
        del self.relays[group]
        if not self.relays:
            refreshing, self._refreshing = self._refreshing, None
            watching, self._watching = self._watching, None
            await _cancel(refreshing, self.layer)
            await _cancel(watching, self.layer)
        await relay.stop()

    async def _refresh_loop(self) -> None:
        interval = refresh_seconds(self.layer)
        while self.relays:
            await asyncio.sleep(interval)
            for relay in list(self.relays.values()):
                try:
                    await relay.refresh()
                    if recovery_on():
                        await relay.check_position()
                except Exception as exc:
                    raise_if_cancelled()
                    report_failure(self.layer, COMPONENT, exc)
                    break  # the layer is down: the relays' links rejoin once it answers
                else:
                    report_recovery(self.layer, COMPONENT)

    def _watch_needed(self) -> bool:
        return recovery_on() and not isinstance(history_for(self.layer), InProcessHistory)

    async def _watch_loop(self) -> None:
        """Notice a history store that lost everything (Redis restarted empty, flushed) and
        have every relay tell its sockets the new epochs, even when nothing is broadcast."""
        history = history_for(self.layer)
        seen: str | None = None
        while self.relays:
            try:
                now = await history.instance()
                raise_if_cancelled()  # redis-py may have eaten the cancellation
            except Exception as exc:
                raise_if_cancelled()
                report_failure(self.layer, COMPONENT, exc)
            else:
                if seen is not None and now != seen:
                    for relay in list(self.relays.values()):
                        await relay.check_position()
                seen = now
            await asyncio.sleep(WATCH_SECONDS)

    async def close(self) -> None:
        """Stop every relay of this loop (members are not told: their sockets are closing too)."""
        relays, self.relays = list(self.relays.values()), {}
        refreshing, self._refreshing = self._refreshing, None
        watching, self._watching = self._watching, None
        await _cancel(refreshing, self.layer)
        await _cancel(watching, self.layer)
        for relay in relays:
            await relay.stop()


_relays: weakref.WeakKeyDictionary[Any, dict[asyncio.AbstractEventLoop, Relays]] = weakref.WeakKeyDictionary()


def relays_for(layer: Any) -> Relays:
    """The relays of ``layer`` on the running event loop (tests run one loop per test)."""
    loop = asyncio.get_running_loop()
    per_loop = _relays.setdefault(layer, {})
    for stale in [other for other in per_loop if other.is_closed()]:
        del per_loop[stale]
    relays = per_loop.get(loop)
    if relays is None:
        relays = per_loop[loop] = Relays(layer)
    return relays


async def close_relays(layer: Any) -> None:
    """Stop the relays of ``layer`` on the running loop: for test teardown and shutdown hooks."""
    per_loop = _relays.get(layer)
    relays = per_loop.pop(asyncio.get_running_loop(), None) if per_loop is not None else None
    if relays is not None:
        await relays.close()
