"""A room whose sockets track themselves: key and name from the query string."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any
from urllib.parse import parse_qs

from django.dispatch import receiver
from django.http import HttpRequest

from hyperchannels import Signal, Toast, action, apresence
from hyperchannels.consumers import HyperConsumer
from hyperchannels.signals import presence_joined, presence_left


class PresenceRoom(HyperConsumer):
    """``/ws/presence/<room>/?key=ann&name=Ann`` tracks itself in ``room-<room>`` on connect
    (no ``key``: the default key; ``track=0``: not at all; ``delay=0.5``: that many seconds
    after the accept, as a slow ``connect()`` would)."""

    def room(self) -> str:
        return f"room-{self.scope['url_route']['kwargs']['room']}"

    def get_groups(self) -> list[str]:
        return [self.room()]

    def query(self, name: str) -> str | None:
        values = parse_qs(self.scope.get("query_string", b"").decode()).get(name)
        return str(values[0]) if values else None

    async def connect(self) -> None:
        await super().connect()
        if delay := self.query("delay"):
            await asyncio.sleep(float(delay))
        if self.query("track") != "0":
            await self.track(self.room(), {"name": self.query("name") or "someone"}, self.query("key"))

    @action
    async def typing(self, request: HttpRequest, typing: bool) -> Toast:
        await self.update_presence(self.room(), {"name": self.query("name") or "someone", "typing": typing})
        return Toast("updated")

    @action
    async def start(self, request: HttpRequest) -> Toast:
        await self.track(self.room(), {"name": self.query("name") or "someone"}, self.query("key"))
        return Toast("tracked")

    @action
    async def stop(self, request: HttpRequest) -> Toast:
        await self.untrack(self.room())
        return Toast("untracked")

    @action
    async def bad_meta(self, request: HttpRequest) -> Toast:
        """A meta JSON can't carry raises at ``update_presence``; the socket stays tracked."""
        try:
            await self.update_presence(self.room(), {"n": float("nan")})
        except ValueError as exc:
            return Toast(f"refused: {type(exc).__name__}")
        return Toast("accepted")

    @action
    async def who(self, request: HttpRequest) -> Signal:
        return Signal("who", await apresence(self.room()))


def _record(kind: str, sender: str, key: str, metas: list[Any]) -> None:
    """Signals go to a Redis list the test reads (``HYPER_TEST_SIGNALS``), with this process's pid."""
    name = os.environ.get("HYPER_TEST_SIGNALS")
    url = os.environ.get("REDIS_URL")
    if not name or not url:
        return
    import redis

    entry = {"signal": kind, "group": sender, "key": key, "metas": metas, "pid": os.getpid()}
    redis.Redis.from_url(url).rpush(name, json.dumps(entry))


@receiver(presence_joined)
def _joined(sender: str, key: str, metas: list[Any], **kwargs: Any) -> None:
    _record("joined", sender, key, metas)


@receiver(presence_left)
def _left(sender: str, key: str, metas: list[Any], **kwargs: Any) -> None:
    _record("left", sender, key, metas)
