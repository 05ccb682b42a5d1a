"""Presence: who is in a group, per key, across tabs, processes and reconnects (docs/presence.md).

A socket tracks itself in a group it joined (``HyperConsumer.track``); the group's entries live
where the layer lives (``presence_stores``). Each change is pushed to the group once, as a
``presence_diff`` frame encoded by the process that made or detected it, through a layer
message of type ``hyper.presence``: every member socket that tracks the group forwards the
frame as it is, so a join costs the fan-out alone, whatever the number present. Presence pushes
are not part of the group's recovery history.

Per event loop, a ``Tracker`` keeps this process's entries alive (a refresh every third of
``PRESENCE_TTL``), sweeps the entries of processes that stopped refreshing theirs, and claims
the leaves that fall due once ``PRESENCE_GRACE`` has passed.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import weakref
from typing import Any, Final

from channels.layers import get_channel_layer
from django.core.exceptions import ImproperlyConfigured

from . import shutdown
from .conf import get_setting
from .encoding import FrameTooLarge, encode_frame
from .groups import check_group, layer_group
from .presence_batches import Batcher
from .presence_stores import BACK, JOIN, LEAVING, UPDATE, Metas, Store, store_for
from .protocol import EventName
from .signals import presence_joined, presence_left

logger = logging.getLogger("hyperchannels")

PRESENCE_MESSAGE_TYPE: Final = "hyper.presence"
"""A presence change for a group's tracking sockets: ``{"type", "group", "frame", "diff",
"origin"?}`` (``frame``: the ``presence_diff`` push as JSON text; ``diff``: its data; ``origin``:
the socket whose ``track`` made it, which gets the state instead)."""

_META_PREFIX = '{"event":"' + EventName.PRESENCE_DIFF + '","data":'
SWEEP_SLACK_SECONDS = 0.05
STORE_CONCURRENCY = 16


def _ttl() -> float:
    return float(get_setting("PRESENCE_TTL"))


def _grace() -> float:
    return float(get_setting("PRESENCE_GRACE"))


def _keep() -> float:
    """How long Redis keeps a group's entries with no process left to refresh or sweep them."""
    return 2 * _ttl() + _grace()


def refresh_seconds() -> float:
    return max(0.1, _ttl() / 3)


def meta_text(meta: Any) -> str:
    """``meta`` (a dict, or ``None`` for ``{}``) as strict JSON text; raises ``TypeError`` or
    ``ValueError`` as a broadcast does for what a browser's ``JSON.parse`` could not take."""
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise TypeError(f"a presence meta is a dict (a JSON object), not {type(meta).__name__}")
    text = encode_frame(EventName.PRESENCE_DIFF, meta)
    return text[len(_META_PREFIX) : -1]


def _parse(metas: Metas) -> list[Any]:
    return [json.loads(m) for m in metas]


async def _fire(signal: Any, group: str, key: str, metas: list[Any]) -> None:
    if hasattr(signal, "asend_robust"):
        responses = await signal.asend_robust(sender=group, key=key, metas=metas)
    else:  # Django 4.2 has no async signals: call each receiver here, awaiting async ones
        responses = []
        for receiver in signal._live_receivers(group):
            try:
                result = receiver(signal=signal, sender=group, key=key, metas=metas)
                responses.append((receiver, await result if inspect.isawaitable(result) else result))
            except Exception as error:
                responses.append((receiver, error))
    for receiver, result in responses:
        if isinstance(result, Exception):
            logger.error("A presence signal receiver (%r) failed", receiver, exc_info=result)


class Tracker:
    """This process's presence entries of one layer, on one event loop."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.store: Store = store_for(layer)
        self.local: dict[str, dict[str, tuple[str, str]]] = {}
        """group -> ref -> (key, meta text): what this process refreshes."""
        self._refreshing: asyncio.Task[None] | None = None
        self._timers: dict[str, tuple[float, asyncio.Task[None]]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._batcher = Batcher(self._send)
        self._handed_over: set[str] = set()
        self.gate = asyncio.Semaphore(STORE_CONCURRENCY)
        """Store operations in flight at once: a storm of connects must not exhaust the layer's
        Redis connection pool (which refuses, rather than queues, past its size)."""

    def spawn(self, work: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def track(self, group: str, ref: str, key: str, meta: str, origin: str | None = None) -> None:
        """Store the entry and push what it changed; ``origin``: a socket that gets the whole
        state next, so needs no diff of this change."""
        async with self.gate:
            tracked = await self.store.track(group, ref, key, meta, _ttl(), _keep())
        self.local.setdefault(group, {})[ref] = (key, meta)
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.get_running_loop().create_task(
                self._refresh_loop(), name="hyperchannels presence refresh"
            )
        metas = _parse(tracked.metas)
        if tracked.status == JOIN:
            await self.push(group, joins={key: metas}, origin=origin)
            self.spawn(_fire(presence_joined, group, key, metas), "hyperchannels presence_joined")
        elif tracked.status == UPDATE or (
            tracked.status == BACK and sorted(tracked.before) != sorted(tracked.metas)
        ):
            await self.push(group, updates={key: metas}, origin=origin)

    async def untrack(self, group: str, ref: str) -> None:
        refs = self.local.get(group, {})
        refs.pop(ref, None)
        if not refs:
            self.local.pop(group, None)
        if not self.local and self._refreshing is not None:
            self._refreshing.cancel()  # nothing left to refresh: no task outlives this loop's sockets
            self._refreshing = None
        async with self.gate:
            untracked = await self.store.untrack(group, ref, _grace(), _keep())
        if untracked is None:
            return
        if untracked.status == UPDATE:
            await self.push(group, updates={untracked.key: _parse(untracked.metas)})
        elif untracked.status == LEAVING:
            self.sweep_after(group, _grace())
            if shutdown.stopping():
                await self._hand_over(group, _grace())

    async def _hand_over(self, group: str, delay: float) -> None:
        """This process is going down before the leave falls due: the group's other processes
        (those with tracking sockets in it, the only ones that need the diff) sweep it then."""
        if group in self._handed_over:
            return
        self._handed_over.add(group)
        message = {"type": PRESENCE_MESSAGE_TYPE, "group": group, "sweep_in": delay}
        await self.layer.group_send(layer_group(group), message)

    def sweep_after(self, group: str, delay: float) -> None:
        """Sweep ``group`` once ``delay`` seconds have passed (a leave falls due then)."""
        loop = asyncio.get_running_loop()
        due = loop.time() + delay + SWEEP_SLACK_SECONDS
        current = self._timers.get(group)
        if current is not None and not current[1].done() and current[0] <= due:
            return
        if current is not None:
            current[1].cancel()
        task = loop.create_task(self._sweep_at(group, due), name="hyperchannels presence sweep")
        self._timers[group] = (due, task)

    async def _sweep_at(self, group: str, due: float) -> None:
        await asyncio.sleep(max(0.0, due - asyncio.get_running_loop().time()))
        self._timers.pop(group, None)
        try:
            await self.sweep(group)
        except Exception:
            logger.warning("Could not sweep the presence of group %r", group, exc_info=True)

    async def sweep(self, group: str) -> None:
        """Remove the group's expired entries and claim its leaves that are due, then push them."""
        async with self.gate:
            swept = await self.store.sweep(group)
        leaves = {key: _parse(metas) for key, metas in swept.leaves}
        await self.push(group, leaves=leaves, updates={key: _parse(m) for key, m in swept.updates})
        for key, metas in leaves.items():
            self.spawn(_fire(presence_left, group, key, metas), "hyperchannels presence_left")
        if swept.next_due is not None:
            self.sweep_after(group, swept.next_due)

    async def push(
        self,
        group: str,
        joins: dict[str, list[Any]] | None = None,
        leaves: dict[str, list[Any]] | None = None,
        updates: dict[str, list[Any]] | None = None,
        origin: str | None = None,
    ) -> None:
        """A change for the group's tracking sockets: at once, or coalesced with the changes
        that follow it closely (``presence_batches``)."""
        if not joins and not leaves and not updates:
            return
        await self._batcher.add(group, joins or {}, leaves or {}, updates or {}, origin)

    async def _send(self, group: str, diff: dict[str, Any], origin: str | None) -> None:
        """One ``presence_diff`` to the group's tracking sockets, encoded once, here."""
        frame = encode_frame(EventName.PRESENCE_DIFF, diff)
        message = {"type": PRESENCE_MESSAGE_TYPE, "group": group, "frame": frame, "diff": diff}
        if origin is not None:
            message["origin"] = origin
        await self.layer.group_send(layer_group(group), message)

    async def _refresh_loop(self) -> None:
        while self.local:
            await asyncio.sleep(refresh_seconds())
            for group, refs in list(self.local.items()):
                try:
                    async with self.gate:
                        missing = await self.store.refresh(group, list(refs), _ttl(), _keep())
                    for ref in missing:  # swept while this process was stalled: track again
                        if ref in refs:
                            await self.track(group, ref, *refs[ref])
                    await self.sweep(group)
                except Exception:
                    logger.warning("Could not refresh the presence of group %r", group, exc_info=True)


_trackers: weakref.WeakKeyDictionary[Any, dict[asyncio.AbstractEventLoop, Tracker]] = (
    weakref.WeakKeyDictionary()
)


def tracker_for(layer: Any) -> Tracker:
    """The tracker of ``layer`` on the running event loop."""
    loop = asyncio.get_running_loop()
    per_loop = _trackers.setdefault(layer, {})
    for stale in [other for other in per_loop if other.is_closed()]:
        del per_loop[stale]
    tracker = per_loop.get(loop)
    if tracker is None:
        tracker = per_loop[loop] = Tracker(layer)
    return tracker


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def state_frame(group: str, found: dict[str, Metas], pending: list[dict[str, Any]]) -> str:
    """The ``presence_state`` push from the stored metas (already strict JSON text, so joined
    as they are: no parse and encode of every meta for every socket that tracks), with the
    changes pushed while they were being read applied on top."""
    state = dict(found)
    for diff in pending:
        for key, metas in {**diff.get("joins", {}), **diff.get("updates", {})}.items():
            state[key] = [_json(meta) for meta in metas]
        for key in diff.get("leaves", {}):
            state.pop(key, None)
    body = ",".join(f"{_json(key)}:[{','.join(metas)}]" for key, metas in state.items())
    text = f'{{"event":"{EventName.PRESENCE_STATE}","data":{{"group":{_json(group)},"state":{{{body}}}}}}}'
    limit = int(get_setting("MAX_SERVER_FRAME_BYTES"))
    if len(text) > limit // 4 and len(text.encode("utf-8")) > limit:
        raise FrameTooLarge(EventName.PRESENCE_STATE, len(text.encode("utf-8")), limit)
    return text


class SocketTracking:
    """The groups one socket tracks itself in, and the presence pushes it forwards."""

    def __init__(self, consumer: Any, send: Any) -> None:
        self.consumer = consumer
        self.send = send
        self.tracked: dict[str, str] = {}
        """group -> key"""
        self._pending: dict[str, list[dict[str, Any]]] = {}

    def _tracker(self) -> Tracker:
        layer = self.consumer.channel_layer
        if layer is None:
            raise ImproperlyConfigured("hyperchannels presence needs CHANNEL_LAYERS to be configured")
        return tracker_for(layer)

    def _key(self, key: Any) -> str:
        if key is None:
            user = self.consumer.scope.get("user")
            if user is not None and getattr(user, "is_authenticated", False):
                return str(user.pk)
            return str(self.consumer.channel_name)
        if isinstance(key, bool) or not isinstance(key, (str, int)):
            raise TypeError(f"a presence key is a str or an int, not {type(key).__name__}")
        if key == "":
            raise ValueError("a presence key can't be empty")
        return str(key)

    async def track(self, group: str, meta: Any = None, key: Any = None) -> None:
        check_group(group)
        if group not in self.consumer.membership.groups:
            raise ValueError(f"this socket can only track itself in a group it joined, not in {group!r}")
        if group in self.tracked:
            raise ValueError(f"this socket already tracks itself in {group!r}: use update_presence()")
        text, key = meta_text(meta), self._key(key)
        tracker = self._tracker()
        self.tracked[group], self._pending[group] = key, []
        try:
            await tracker.track(group, self.consumer.channel_name, key, text, self.consumer.channel_name)
            async with tracker.gate:
                found = await tracker.store.state(group)
        except BaseException:
            # Failed or cancelled (an action's cancel, a client that left during connect()):
            # not tracked, and whatever was stored before goes, in the background (this task
            # may be being cancelled); a retry of track() is welcome.
            self.tracked.pop(group, None)
            tracker.spawn(self._untrack_quietly(tracker, group), "hyperchannels presence untrack")
            raise
        finally:
            pending = self._pending.pop(group, [])
        await self.send(state_frame(group, found, pending))

    async def update(self, group: str, meta: Any) -> None:
        if group not in self.tracked:
            raise ValueError(f"this socket does not track itself in {group!r}: track() it first")
        text = meta_text(meta)
        await self._tracker().track(group, self.consumer.channel_name, self.tracked[group], text)

    async def untrack(self, group: str) -> None:
        if self.tracked.pop(group, None) is not None:
            await self._tracker().untrack(group, self.consumer.channel_name)

    async def deliver(self, message: dict[str, Any]) -> None:
        """A ``hyper.presence`` message of one of the socket's groups."""
        group = message.get("group")
        if "sweep_in" in message:  # another process shuts down: its leaves are due then
            if group in self.tracked:
                self._tracker().sweep_after(str(group), float(message["sweep_in"]))
            return
        if message.get("origin") == self.consumer.channel_name:
            return  # this socket's own track: its presence_state has it
        pending = self._pending.get(group) if isinstance(group, str) else None
        if pending is not None:
            pending.append(message["diff"])
        elif group in self.tracked:
            await self.send(message["frame"])

    def close(self) -> list[asyncio.Task[Any]]:
        """The socket closed: untrack everywhere, in the background; never raises.

        Returns the untracking tasks, for a shutdown that must see them done before the
        process exits (``shutdown``)."""
        groups, self.tracked = list(self.tracked), {}
        if not groups:
            return []
        try:
            tracker = self._tracker()
            return [
                tracker.spawn(self._untrack_quietly(tracker, group), "hyperchannels presence untrack")
                for group in groups
            ]
        except Exception:
            logger.warning("Could not untrack a closed socket", exc_info=True)
            return []

    async def _untrack_quietly(self, tracker: Tracker, group: str) -> None:
        try:
            await tracker.untrack(group, self.consumer.channel_name)
        except Exception:
            logger.warning("Could not untrack a closed socket from %r", group, exc_info=True)


def _layer(alias: str) -> Any:
    layer = get_channel_layer(alias)
    if layer is None:
        raise ImproperlyConfigured("hyperchannels presence needs CHANNEL_LAYERS to be configured")
    return layer


async def apresence(group: str, alias: str = "default") -> dict[str, list[Any]]:
    """Who is in ``group``: ``{key: [meta, ...]}``, from any process (keys within their grace
    are still there)."""
    check_group(group)
    state = await store_for(_layer(alias)).state(group)
    return {key: _parse(metas) for key, metas in state.items()}


def presence(group: str, alias: str = "default") -> dict[str, list[Any]]:
    """``apresence`` for sync code (views, tasks), on any thread."""
    check_group(group)
    state = store_for(_layer(alias)).state_now(group)
    return {key: _parse(metas) for key, metas in state.items()}
