"""The contenders: a HyperConsumer action and a bare Channels consumer giving the same answer."""

from __future__ import annotations

import time
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.http import HttpRequest

from hyperchannels import Toast, action
from hyperchannels.consumers import HyperConsumer

BENCH_GROUP = "bench"


class HyperBench(HyperConsumer):
    def get_groups(self) -> list[str]:
        return [BENCH_GROUP]

    @action
    async def toast(self, request: HttpRequest) -> Toast:
        return Toast("ok")

    @action
    def sync_toast(self, request: HttpRequest) -> Toast:
        return Toast("ok")

    @action
    def sleepy(self, request: HttpRequest, seconds: float = 0.05) -> Toast:
        time.sleep(seconds)
        return Toast("ok")


class BareBench(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """What a hand-written Channels consumer does for the same two frames."""

    groups = [BENCH_GROUP + "-bare"]

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        invocation_id = content["id"]
        await self.send_json({"id": invocation_id, "event": "toast", "data": {"value": "ok"}})
        await self.send_json({"id": invocation_id, "event": "end", "data": {}})

    async def bench_push(self, message: dict[str, Any]) -> None:
        """A bare group_send of a pre-encoded frame: forward it."""
        await self.send(text_data=message["text"])
