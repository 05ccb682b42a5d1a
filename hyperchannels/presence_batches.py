"""Presence diffs of one group, coalesced while they come fast (docs/presence.md, "Cost").

A change with no other pushed for its group in the last ``WINDOW_SECONDS`` goes out at once;
changes that follow within the window wait for its end and go out as one diff, the last change
of each key winning. A single join is never delayed, and a storm (a whole site reconnecting
after a deploy: N joins) costs about one push per window instead of N pushes of N frames each.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger("hyperchannels")

WINDOW_SECONDS = 0.05

Send = Callable[[str, dict[str, Any], "str | None"], Awaitable[None]]
"""Push one diff's data to a group, with the socket whose track alone made it (or ``None``)."""


@dataclass
class _Pending:
    joins: dict[str, list[Any]] = field(default_factory=dict)
    leaves: dict[str, list[Any]] = field(default_factory=dict)
    updates: dict[str, list[Any]] = field(default_factory=dict)
    origins: set[str | None] = field(default_factory=set)

    def merge(self, joins: dict[str, Any], leaves: dict[str, Any], updates: dict[str, Any]) -> None:
        for key, metas in joins.items():
            came_back = self.leaves.pop(key, None) is not None  # left and joined within the window
            (self.updates if came_back else self.joins)[key] = metas
        for key, metas in updates.items():
            (self.joins if key in self.joins else self.updates)[key] = metas
            self.leaves.pop(key, None)
        for key, metas in leaves.items():
            self.joins.pop(key, None)
            self.updates.pop(key, None)
            self.leaves[key] = metas

    def data(self, group: str) -> dict[str, Any]:
        return {"group": group, "joins": self.joins, "leaves": self.leaves, "updates": self.updates}


class Batcher:
    """The diffs of one process's groups, on one event loop."""

    def __init__(self, send: Send, window: float = WINDOW_SECONDS) -> None:
        self.send = send
        self.window = window
        self._last: dict[str, float] = {}
        self._pending: dict[str, _Pending] = {}
        self._flushing: dict[str, asyncio.Task[None]] = {}

    async def add(
        self,
        group: str,
        joins: dict[str, Any],
        leaves: dict[str, Any],
        updates: dict[str, Any],
        origin: str | None,
    ) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        last = self._last.get(group)
        if group not in self._pending and (last is None or now - last >= self.window):
            self._last[group] = now
            self._forget_old(now)
            diff = {"group": group, "joins": joins, "leaves": leaves, "updates": updates}
            await self.send(group, diff, origin)
            return
        pending = self._pending.setdefault(group, _Pending())
        pending.merge(joins, leaves, updates)
        pending.origins.add(origin)
        if group not in self._flushing:
            at = (last if last is not None else now) + self.window
            task = loop.create_task(self._flush(group, at), name="hyperchannels presence batch")
            self._flushing[group] = task

    async def _flush(self, group: str, at: float) -> None:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(max(0.0, at - loop.time()))
        self._flushing.pop(group, None)
        pending = self._pending.pop(group, None)
        if pending is None:
            return
        self._last[group] = loop.time()
        origin = next(iter(pending.origins)) if len(pending.origins) == 1 else None
        try:
            await self.send(group, pending.data(group), origin)
        except Exception:
            logger.warning("Could not push the presence of group %r", group, exc_info=True)

    def _forget_old(self, now: float) -> None:
        if len(self._last) > 1000:
            for group, when in list(self._last.items()):
                if now - when >= self.window:
                    del self._last[group]
