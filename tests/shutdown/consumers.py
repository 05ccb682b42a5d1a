"""A consumer whose sockets leave traces of how they ended (for the shutdown tests).

Each trace is one line appended to the file named by ``HYPER_TEST_MARKS``:
``<what> <socket key>``. A test reads them after the server process has exited.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from urllib.parse import parse_qs

from django.http import HttpRequest
from django.urls import path

from hyperchannels import Toast, action
from hyperchannels.consumers import HyperConsumer

GROUP = "shutdown-room"


def mark(what: str, key: str) -> None:
    with open(os.environ["HYPER_TEST_MARKS"], "a") as marks:
        marks.write(f"{what} {key}\n")


class Marked(HyperConsumer):
    """``/ws/shutdown/?key=k`` tracks itself in ``shutdown-room`` under key ``k``."""

    def get_groups(self) -> list[str]:
        return [GROUP]

    @property
    def key(self) -> str:
        return parse_qs(self.scope["query_string"].decode())["key"][0]

    async def connect(self) -> None:
        await super().connect()
        await self.track(GROUP, {"pid": os.getpid()}, self.key)

    async def disconnect(self, code: int) -> None:
        mark(f"disconnect-{code}", self.key)

    @action
    async def wait(self, request: HttpRequest) -> Toast:
        """An async action that never ends by itself."""
        mark("wait-started", self.key)
        try:
            await asyncio.sleep(3600)
        finally:
            mark("wait-finally", self.key)
        return Toast("never")

    @action
    async def ticks(self, request: HttpRequest) -> AsyncIterator[Toast]:
        """An async generator that yields once, then waits for ever."""
        try:
            yield Toast("tick")
            await asyncio.sleep(3600)
        finally:
            mark("ticks-finally", self.key)

    @action
    def block(self, request: HttpRequest, seconds: float = 30.0) -> Toast:
        """A sync action blocked in its thread (the process must not wait for it to exit)."""
        mark("block-started", self.key)
        try:
            time.sleep(seconds)
        finally:
            mark("block-finally", self.key)
        return Toast("late")

    @action
    async def ping_toast(self, request: HttpRequest) -> Toast:
        return Toast("pong")


websocket_urlpatterns = [path("ws/shutdown/", Marked.as_asgi())]
