"""Consumers for the broadcast tests: a room per URL, and actions that broadcast."""

from __future__ import annotations

import asyncio
from typing import Any

from django.http import HttpRequest

from hyperchannels import HTML, Signal, Toast, abroadcast, action, broadcast
from hyperchannels.consumers import HyperConsumer
from hyperchannels.encoding import encode_frame


class RoomConsumer(HyperConsumer):
    def room(self) -> str:
        return f"room-{self.scope['url_route']['kwargs']['room']}"

    async def get_groups(self) -> list[str]:
        return [self.room()]

    @action
    async def shout(self, request: HttpRequest, text: str, everyone: bool = False) -> Toast:
        """Everyone in the room but me (or everyone)."""
        exclude = None if everyone else self.channel_name
        await abroadcast(self.room(), Toast(text), Signal("last", text), exclude=exclude)
        return Toast("sent")

    @action
    def shout_sync(self, request: HttpRequest, text: str) -> Toast:
        """The sync API from a sync action (a worker thread of the running loop)."""
        broadcast(
            self.room(), HTML(f"<li>{text}</li>", target="#log", swap="append"), exclude=self.channel_name
        )
        return Toast("sent")

    async def chat_message(self, event: dict[str, Any]) -> None:
        """A custom layer handler, as Channels users write them."""
        await self.send(text_data=encode_frame("toast", {"value": event["text"]}))

    async def resync(self, request: HttpRequest, group: str) -> list[Any]:
        """What a page that can't be replayed gets instead: the room as it is now."""
        return [HTML(f"<ul id='log'>now: {group}</ul>", target="#log"), Toast(f"resynced {group}")]

    @action
    def ping(self, request: HttpRequest) -> Toast:
        return Toast("pong")

    @action
    async def whoami(self, request: HttpRequest) -> Any:
        return Signal("channel", self.channel_name)


class SlowChatConsumer(RoomConsumer):
    """A custom group handler that awaits (a database call, an API): it delays only its own socket."""

    handler_seconds = 0.2

    async def chat_message(self, event: dict[str, Any]) -> None:
        await asyncio.sleep(self.handler_seconds)
        await self.send(text_data=encode_frame("toast", {"value": event["text"]}))

    @action
    async def flood(self, request: HttpRequest, count: int, size: int) -> Toast:
        """``count`` pushes of ``size`` characters each to the whole room, as fast as the layer takes them."""
        for n in range(count):
            await abroadcast(self.room(), Signal("n", n), Toast("x" * size))
        return Toast("flooded")
