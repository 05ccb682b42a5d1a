"""``ActionCommunicator``: drive a ``HyperConsumer`` in tests, one invocation at a time or many."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import defaultdict, deque
from typing import Any

from channels.testing import WebsocketCommunicator

from .protocol import TERMINAL_EVENTS, EventName, FrameType

Received = tuple[str, dict[str, Any]]
"""An event name and its data, as a test receives them (``types.EventPair`` decoded)."""

ITEM_EVENTS = frozenset(
    {
        EventName.PATCH_HTML,
        EventName.DISPATCH_EVENT,
        EventName.TOAST,
        EventName.REDIRECT,
        EventName.HISTORY,
        EventName.LOAD_JS,
        EventName.PATCH_SIGNALS,
    }
)
"""Events of action items; every other push (``positions``, presence, ``revoked``) is the
protocol's own and waits for ``receive_protocol_push``."""


class ActionCommunicator(WebsocketCommunicator):  # type: ignore[misc]
    """A ``WebsocketCommunicator`` that speaks the hyperchannels protocol.

    Frames that arrive for other invocations, and pushes, are kept until asked for, so
    ``call`` and ``receive_push`` can be used in any order.
    """

    def __init__(
        self, application: Any, path: str, headers: list[tuple[bytes, bytes]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(application, path, headers=headers, **kwargs)
        self._ids = itertools.count(1)
        self._replies: dict[str | None, deque[Received]] = defaultdict(deque)
        self._pushes: deque[Received] = deque()
        self._protocol_pushes: deque[Received] = deque()
        self.push_frames: list[dict[str, Any]] = []
        """Every push frame received so far, whole (with ``group`` and ``seq``), in order."""

    async def connect(self, timeout: float = 1) -> tuple[bool, int | str | None]:
        """Open the socket; once accepted, its first frame (the ``positions`` push) is kept
        for ``receive_positions``, so the next frame a test reads is what it caused."""
        connected, detail = await super().connect(timeout)
        if connected:
            await self._receive_one(timeout)
        return connected, detail

    async def send_frame(self, frame: dict[str, Any]) -> None:
        """Send one client frame as JSON text."""
        await self.send_to(text_data=json.dumps(frame))

    async def send_action(
        self,
        name: str,
        data: dict[str, Any] | None = None,
        *,
        id: str | None = None,
        target: str | None = None,
        block: str | None = None,
    ) -> str:
        """Start an invocation without waiting for it; returns its id (see ``receive_reply``)."""
        invocation_id = id if id is not None else f"t{next(self._ids)}"
        frame: dict[str, Any] = {"type": "action", "id": invocation_id, "name": name}
        if data is not None:
            frame["data"] = data
        if target is not None:
            frame["target"] = target
        if block is not None:
            frame["block"] = block
        await self.send_frame(frame)
        return invocation_id

    async def call(
        self,
        name: str,
        data: dict[str, Any] | None = None,
        *,
        target: str | None = None,
        block: str | None = None,
        timeout: float = 5,
    ) -> list[Received]:
        """Invoke an action and return its events up to and including the terminal one."""
        invocation_id = await self.send_action(name, data, target=target, block=block)
        return await self.receive_until_terminal(invocation_id, timeout=timeout)

    async def cancel(self, invocation_id: str) -> None:
        await self.send_frame({"type": "cancel", "id": invocation_id})

    async def subscribe(self, token: str, timeout: float = 5) -> list[Received]:
        """Subscribe to a signed stream; returns the reply (``end`` or ``error``)."""
        return await self._stream("subscribe", token, timeout)

    async def unsubscribe(self, token: str, timeout: float = 5) -> list[Received]:
        return await self._stream("unsubscribe", token, timeout)

    async def _stream(self, kind: str, token: str, timeout: float) -> list[Received]:
        invocation_id = f"t{next(self._ids)}"
        await self.send_frame({"type": kind, "id": invocation_id, "stream": token})
        return await self.receive_until_terminal(invocation_id, timeout=timeout)

    async def receive_reply(self, invocation_id: str | None, timeout: float = 5) -> Received:
        """The next event of one invocation (``None``: an error that carried no id)."""
        async with asyncio.timeout(timeout):
            while not self._replies[invocation_id]:
                await self._receive_one(timeout)
        return self._replies[invocation_id].popleft()

    async def receive_until_terminal(self, invocation_id: str, timeout: float = 5) -> list[Received]:
        events: list[Received] = []
        async with asyncio.timeout(timeout):
            while not events or events[-1][0] not in TERMINAL_EVENTS:
                events.append(await self.receive_reply(invocation_id, timeout))
        return events

    async def receive_push(self, timeout: float = 5) -> Received:
        """The next pushed event of an action item (a frame without ``id``)."""
        async with asyncio.timeout(timeout):
            while not self._pushes:
                await self._receive_one(timeout)
        return self._pushes.popleft()

    async def receive_protocol_push(self, timeout: float = 5) -> Received:
        """The next push of the protocol's own: ``positions``, ``presence_state``,
        ``presence_diff``, ``revoked``."""
        async with asyncio.timeout(timeout):
            while not self._protocol_pushes:
                await self._receive_one(timeout)
        return self._protocol_pushes.popleft()

    async def receive_positions(self, timeout: float = 5) -> dict[str, Any]:
        """The data of the next ``positions`` push (other protocol pushes before it are dropped)."""
        while True:
            event, data = await self.receive_protocol_push(timeout)
            if event == EventName.POSITIONS:
                return data

    async def resume(self, positions: dict[str, dict[str, Any]], timeout: float = 5) -> list[Received]:
        """Send a ``resume`` frame; returns its reply events up to its terminal one (replayed
        pushes arrive as pushes: ``receive_push``)."""
        invocation_id = f"t{next(self._ids)}"
        await self.send_frame({"type": FrameType.RESUME, "id": invocation_id, "positions": positions})
        return await self.receive_until_terminal(invocation_id, timeout=timeout)

    async def ping(self, timeout: float = 5) -> list[Received]:
        invocation_id = f"t{next(self._ids)}"
        await self.send_frame({"type": FrameType.PING, "id": invocation_id})
        return await self.receive_until_terminal(invocation_id, timeout=timeout)

    async def _receive_one(self, timeout: float) -> None:
        frame = json.loads(await self.receive_from(timeout))
        event: Received = (frame["event"], frame["data"])
        if "id" in frame:
            self._replies[frame["id"]].append(event)
            return
        self.push_frames.append(frame)
        if frame["event"] in ITEM_EVENTS:
            self._pushes.append(event)
        else:
            self._protocol_pushes.append(event)
