"""Consumers the core tests drive: one action per return shape and failure mode."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect

from hyperchannels import (
    HTML,
    Actions,
    Delete,
    Event,
    History,
    LoadJS,
    Redirect,
    Signal,
    Signals,
    Toast,
    action,
)
from hyperchannels.consumers import HyperConsumer

# What generators did when closed, for tests to read (keyed by a test-chosen token).
CLOSED: dict[str, str] = {}
GATES: dict[str, threading.Event] = {}


class NotJSON:
    """A value the JSON encoder can't handle."""


class CoreConsumer(HyperConsumer):
    template_name = "app/blocks.html"

    # -- return shapes --
    @action
    def toast(self, request: HttpRequest, message: str = "hi") -> Toast:
        return Toast(message)

    @action
    def toast_dict(self, request: HttpRequest, message: str, type: str = "info") -> Toast:
        return Toast({"message": message, "type": type})

    @action
    async def every_item(self, request: HttpRequest) -> list[Any]:
        return [
            HTML("<p>x</p>", target="#a", swap="inner"),
            Delete("#gone"),
            Event("saved", {"id": 1}, target="#a"),
            Toast({"message": "ok"}),
            History(push_url="/next"),
            LoadJS("/static/x.js"),
            Signal("count", 1),
            Signals({"a": 1, "$b": None}),
        ]

    @action
    def tuple_items(self, request: HttpRequest) -> tuple[Any, ...]:
        return (Toast(1), Toast(2))

    @action
    def actions_items(self, request: HttpRequest) -> Actions:
        return Actions(Toast(1), [Toast(2), Toast(3)])

    @action
    def sync_stream(self, request: HttpRequest, n: int = 3) -> Iterator[Any]:
        for i in range(n):
            yield Toast(i)

    @action
    async def async_stream(self, request: HttpRequest, n: int = 3) -> AsyncIterator[Any]:
        for i in range(n):
            await asyncio.sleep(0)
            yield Signal("i", i)

    @action
    async def gated_stream(self, request: HttpRequest, gate: str) -> AsyncIterator[Any]:
        """Yields one item, then waits until the test opens the gate."""
        try:
            yield Toast("first")
            while not GATES[gate].is_set():
                await asyncio.sleep(0.01)
            yield Toast("second")
        finally:
            CLOSED[gate] = "closed"

    @action
    def gated_sync_stream(self, request: HttpRequest, gate: str) -> Iterator[Any]:
        try:
            yield Toast("first")
            GATES[gate].wait(5)
            yield Toast("second")
        finally:
            CLOSED[gate] = threading.current_thread().name

    @action
    def redirect_stream(self, request: HttpRequest, token: str) -> Iterator[Any]:
        try:
            yield Toast("before")
            yield Redirect("/elsewhere", replace=True)
            yield Toast("after")
        finally:
            CLOSED[token] = "closed"

    @action
    async def async_redirect_stream(self, request: HttpRequest, token: str) -> AsyncIterator[Any]:
        try:
            yield Toast("before")
            yield Redirect("/elsewhere")
            yield Toast("after")
        finally:
            CLOSED[token] = "closed"

    @action
    def list_redirect(self, request: HttpRequest) -> list[Any]:
        return [Redirect("/a"), Toast("never")]

    @action
    def text(self, request: HttpRequest) -> str:
        return "<b>hello</b>"

    @action
    def card(self, request: HttpRequest, title: str = "t") -> dict[str, Any]:
        return {"title": title}

    @action
    def context(self, request: HttpRequest) -> dict[str, Any]:
        return {}

    @action
    def response(self, request: HttpRequest, status: int = 200) -> HttpResponse:
        if status == 302:
            return HttpResponseRedirect("/moved")
        return HttpResponse("<i>body</i>" if status < 300 else "", status=status)

    @action
    def nothing(self, request: HttpRequest) -> None:
        return None

    @action
    def unsupported(self, request: HttpRequest) -> object:
        return 42

    @action
    def yields_unsupported(self, request: HttpRequest) -> Iterator[Any]:
        yield Toast("ok")
        yield object()

    @action
    def not_encodable(self, request: HttpRequest) -> Toast:
        return Toast(NotJSON())

    # -- errors --
    @action
    def forbidden(self, request: HttpRequest, message: str = "") -> None:
        raise PermissionDenied(message)

    @action
    def missing(self, request: HttpRequest, message: str = "") -> None:
        raise Http404(message)

    @action
    def invalid(self, request: HttpRequest, empty: bool = False) -> None:
        if empty:
            raise ValidationError([])
        raise ValidationError(["Title is required.", "Too long."])

    @action
    def boom(self, request: HttpRequest) -> None:
        raise RuntimeError("secret database password is hunter2")

    @action
    def stream_then_boom(self, request: HttpRequest) -> Iterator[Any]:
        yield Toast("one")
        raise RuntimeError("secret in stream")

    # -- binding --
    @action
    def typed(
        self, request: HttpRequest, n: int, x: float, flag: bool, s: str, maybe: int | None = None
    ) -> Signals:
        return Signals({"n": n, "x": x, "flag": flag, "s": s, "maybe": maybe})

    @action
    def anything(self, request: HttpRequest, **data: Any) -> Signals:
        return Signals({"keys": sorted(data)})

    @action("renamed_action")
    def python_name(self, request: HttpRequest) -> Toast:
        return Toast("renamed")

    # -- request --
    @action
    async def whoami(self, request: HttpRequest) -> Signals:
        return Signals(
            {
                "path": request.path,
                "q": request.GET.get("q"),
                "cookie": request.COOKIES.get("flavour"),
                "header": request.headers.get("X-Test"),
                "user": str(request.user),
                "is_secure": request.is_secure(),
                "has_scope": request.scope is self.scope,  # type: ignore[attr-defined]
                "has_consumer": request.consumer is self,  # type: ignore[attr-defined]
                "method": request.method,
            }
        )

    # -- concurrency --
    @action
    def slow_sync(self, request: HttpRequest, seconds: float = 0.5) -> Toast:
        time.sleep(seconds)
        return Toast(threading.current_thread().name)

    @action
    async def slow_async(self, request: HttpRequest, seconds: float = 0.2, label: str = "") -> Toast:
        await asyncio.sleep(seconds)
        return Toast(label)

    @action
    async def wait_gate(self, request: HttpRequest, gate: str) -> Toast:
        try:
            while not GATES[gate].is_set():
                await asyncio.sleep(0.01)
            return Toast("opened")
        finally:
            CLOSED[gate] = "closed"

    def not_an_action(self, request: HttpRequest) -> Toast:
        return Toast("must never be reachable")

    async def _private(self, request: HttpRequest) -> Toast:
        return Toast("must never be reachable")


class GroupsConsumer(HyperConsumer):
    def get_groups(self) -> list[str]:
        return [f"room-{self.scope['url_route']['kwargs']['room']}"]

    @action
    def ping(self, request: HttpRequest) -> Toast:
        return Toast("pong")
