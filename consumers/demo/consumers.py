"""The example's consumers: a shared counter (the board, notifications and sync come next)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from hyperchannels import HTML, Signal, Toast, action
from hyperchannels.consumers import HyperConsumer

COUNTER_GROUP = "demo-counter"
_count = {"value": 0}


class CounterConsumer(HyperConsumer):
    template_name = "demo/index.html"

    def get_groups(self) -> list[str]:
        return [COUNTER_GROUP]

    @action
    async def increment(self, request: HttpRequest, by: int = 1) -> list[Any]:
        _count["value"] += by
        return [
            HTML(f'<output id="count">{_count["value"]}</output>', target="#count"),
            Signal("count", _count["value"]),
            Toast(f"Counter is now {_count['value']}"),
        ]
