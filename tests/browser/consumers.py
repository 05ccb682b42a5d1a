"""The consumer the browser tests drive: every item type, errors, pushes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from hyperchannels import (
    HTML,
    Delete,
    Event,
    History,
    LoadJS,
    Redirect,
    Signal,
    Signals,
    Toast,
    abroadcast,
    action,
)
from hyperchannels.consumers import HyperConsumer

GROUP = "browser-page"


class PageConsumer(HyperConsumer):
    template_name = "browser/page.html"

    def get_groups(self) -> list[str]:
        return [GROUP]

    @action
    async def patch(
        self,
        request: HttpRequest,
        swap: str,
        target: str = "#list",
        content: str = "<li class='new'>new</li>",
    ) -> HTML:
        return HTML(content, target=target, swap=swap)

    @action
    async def transition(self, request: HttpRequest) -> HTML:
        return HTML("<li>viewed</li>", target="#list", swap="inner", transition=True)

    @action
    async def strict(self, request: HttpRequest) -> HTML:
        return HTML("<p>x</p>", target="#missing", strict_targets=True)

    @action
    async def delete(self, request: HttpRequest) -> Delete:
        return Delete("#gone")

    @action
    async def events(self, request: HttpRequest) -> list[Any]:
        return [
            Event("saved", {"id": 7}, target="#list"),
            Toast({"message": "Saved"}),
            History(push_url="/pushed/"),
            LoadJS("/assets/loaded.js"),
        ]

    @action
    async def signals(self, request: HttpRequest) -> list[Any]:
        return [Signal("count", 5), Signals({"$user": "ann"})]

    @action
    async def go(self, request: HttpRequest, replace: bool = False) -> Redirect:
        return Redirect("/landed/", replace=replace)

    @action
    async def forbidden(self, request: HttpRequest) -> None:
        raise PermissionDenied("Not your board")

    @action
    async def boom(self, request: HttpRequest) -> None:
        raise RuntimeError("secret")

    @action
    async def progress(self, request: HttpRequest) -> AsyncIterator[Any]:
        for percent in (25, 50, 75, 100):
            await asyncio.sleep(0.05)
            yield HTML(f'<progress id="bar" value="{percent}" max="100"></progress>', target="#bar")

    @action
    async def announce(self, request: HttpRequest, text: str) -> Toast:
        await abroadcast(GROUP, Toast(text), exclude=self.channel_name)
        return Toast("sent")

    @action
    async def field(self, request: HttpRequest, title: str = "") -> HTML:
        return HTML(f'<form id="edit"><input id="title" name="title" value="{title}"></form>', target="#edit")

    @action
    async def card(self, request: HttpRequest, title: str = "") -> dict[str, Any]:
        return {"title": title}
