"""Raw WebSocket clients (the ``websockets`` library) that speak the protocol's opening.

Every accepted socket first receives a ``positions`` push (docs/broadcast.md, "Recovery"):
``{"event": "positions", "data": {"<group>": {"seq": n, "epoch": "..."}}}``. ``connect`` and
``connect_sync`` open a socket and check that frame before handing the socket over, so the next
frame a test reads is one it caused. Pushes from a group carry ``group`` and ``seq``; an
``exclude``d socket gets a ``positions`` push in place of the frame it was spared.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import weakref
from collections.abc import Collection, Generator, Iterator
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as _connect
from websockets.sync.client import ClientConnection as SyncConnection
from websockets.sync.client import connect as _connect_sync

from hyperchannels.testing import ITEM_EVENTS

Frame = dict[str, Any]
Positions = dict[str, dict[str, Any]]

_OPENINGS: weakref.WeakKeyDictionary[ClientConnection, Positions] = weakref.WeakKeyDictionary()


def opening(ws: ClientConnection) -> Positions:
    """What the opening ``positions`` push of a socket from ``connect`` said."""
    return _OPENINGS[ws]


def is_protocol_push(frame: Frame) -> bool:
    """A push of the protocol's own (``positions``, presence, ``revoked``), not an action item."""
    return "id" not in frame and frame["event"] not in ITEM_EVENTS


def is_positions(frame: Frame) -> bool:
    """A ``positions`` push (no id): the socket's opening frame, or a spared broadcast frame."""
    return "id" not in frame and frame.get("event") == "positions"


def item(frame: Frame) -> Frame:
    """What a push frame says, without the group and seq that place it."""
    return {"event": frame["event"], "data": frame["data"]}


def check_positions(frame: Frame, groups: Collection[str] | None = None) -> Positions:
    """Assert ``frame`` is a well-formed ``positions`` push (for exactly ``groups`` when given);
    returns its data."""
    assert is_positions(frame), f"expected a positions push, got {frame}"
    assert set(frame) == {"event", "data"}, frame
    positions: Positions = frame["data"]
    assert isinstance(positions, dict), frame
    for group, position in positions.items():
        assert isinstance(position, dict) and set(position) == {"seq", "epoch"}, (group, position)
        assert isinstance(position["seq"], int) and position["seq"] >= 0, (group, position)
        assert isinstance(position["epoch"], str) and position["epoch"], (group, position)
    if groups is not None:
        assert set(positions) == set(groups), (sorted(positions), sorted(groups))
    return positions


async def receive(ws: ClientConnection, timeout: float = 5) -> Frame:
    """The next frame, parsed."""
    frame: Frame = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    return frame


async def receive_item(ws: ClientConnection, timeout: float = 5) -> Frame:
    """The next frame that is not a protocol push (an action's reply or an item push)."""
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if not is_protocol_push(frame):
                return frame  # type: ignore[no-any-return]


async def item_within(ws: ClientConnection, seconds: float) -> Frame | None:
    """The first frame within ``seconds`` that is not a protocol push, or None."""
    try:
        return await receive_item(ws, seconds)
    except TimeoutError:
        return None


async def expect_positions(
    ws: ClientConnection, groups: Collection[str] | None = None, timeout: float = 5
) -> Positions:
    """Read the next frame and check it is a ``positions`` push; returns its data."""
    return check_positions(await receive(ws, timeout), groups)


class connect:  # noqa: N801 - used like ``websockets.asyncio.client.connect``
    """``websockets``' ``connect`` that also reads and checks the opening ``positions`` push.

    ``await connect(url)`` or ``async with connect(url) as ws``; ``groups`` (when given) are the
    groups the socket must be in. ``positions`` holds what the opening push said.
    """

    def __init__(
        self, uri: str, *, groups: Collection[str] | None = None, timeout: float = 5, **kwargs: Any
    ) -> None:
        self._connect = _connect(uri, **kwargs)
        self.groups = groups
        self.timeout = timeout
        self.positions: Positions = {}
        self._ws: ClientConnection | None = None

    async def _open(self) -> ClientConnection:
        ws = await self._connect
        try:
            self.positions = _OPENINGS[ws] = await expect_positions(ws, self.groups, self.timeout)
        except BaseException:
            await ws.close()
            raise
        self._ws = ws
        return ws

    def __await__(self) -> Generator[Any, None, ClientConnection]:
        return self._open().__await__()

    async def __aenter__(self) -> ClientConnection:
        return await self._open()

    async def __aexit__(self, *exc: object) -> None:
        if self._ws is not None:
            await self._ws.close()


@contextlib.contextmanager
def connect_sync(
    uri: str, *, groups: Collection[str] | None = None, timeout: float = 5, **kwargs: Any
) -> Iterator[SyncConnection]:
    """``with websockets.sync.client.connect(...)`` that first reads and checks the opening
    ``positions`` push."""
    with _connect_sync(uri, **kwargs) as ws:
        check_positions(json.loads(ws.recv(timeout=timeout)), groups)
        yield ws
