"""The consumer of the calls page: a slow search (lanes), slow actions (loading), HyperDjango toasts."""

from __future__ import annotations

import asyncio
from typing import Any

from django.http import HttpRequest
from django.utils.html import format_html

from hyperchannels import HTML, Event, Toast, action
from hyperchannels.consumers import HyperConsumer


class CallsConsumer(HyperConsumer):
    @action
    async def search(self, request: HttpRequest, q: str = "", delay: float = 0) -> HTML:
        """A search whose reply takes `delay` seconds: an older, slower reply must not win."""
        await asyncio.sleep(delay)
        return HTML(format_html('<ul id="results"><li>{}</li></ul>', q), target="#results")

    @action
    async def slow(self, request: HttpRequest, delay: float = 0.5) -> None:
        await asyncio.sleep(delay)

    @action
    async def saved(self, request: HttpRequest) -> list[Any]:
        """What a HyperDjango page's listeners expect: a dict toast, events with and without payload."""
        return [
            Toast({"type": "success", "title": "Added", "message": "Card added."}),
            Event("card:saved", {"id": 7}, target="#board"),
            Event("card:ping"),
            Event("card:lost", {"id": 8}, target="#nowhere"),
        ]
