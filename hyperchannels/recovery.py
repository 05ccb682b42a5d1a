"""One socket's side of recovery: positions told to its page, replay and resync
(docs/recovery.md).

The page remembers, per group, the last position it applied. The socket tells it where each
group stands (``positions`` on accept, and again when a group's epoch changes), replays what
the page missed when it resumes or subscribes (``resume``, a stream token's position), and runs
the consumer's ``resync(request, group)`` hook where the history no longer reaches back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from . import encoding
from .history import History, Position, history_for, recovery_on
from .invocation import ReplyContext, emit
from .layerlink import raise_if_cancelled, report_failure
from .protocol import EventName

COMPONENT = "recovery"
"""How an outage of the history's Redis is reported (once per process)."""

SendText = Callable[[str], Awaitable[None]]
ResyncHook = Callable[[str], Awaitable[Any]]
"""Runs the consumer's ``resync(request, group)`` (in a thread if it is sync); its items."""


def positions_frame(positions: dict[str, Position], id: str | None = None) -> str:
    """A ``positions`` frame: a push (no ``id``), or a reply of a resume or subscribe."""
    data = {group: position.as_json() for group, position in positions.items()}
    return encoding.encode_frame(EventName.POSITIONS, data, id)


class SocketRecovery:
    """What one socket told its page of its groups' positions, and the frames that follow."""

    def __init__(self, layer: Any, send: SendText, resync: ResyncHook, context: ReplyContext) -> None:
        self.layer = layer
        self.send = send
        self.resync = resync
        self.context = context
        """What the resync hook's return value may draw on (its ``dict`` renders a block)."""
        self.told: dict[str, str] = {}
        """Group -> the epoch the page was last told."""

    @property
    def history(self) -> History:
        return history_for(self.layer)

    async def announce(self, groups: Iterable[str]) -> None:
        """The ``positions`` push of an accepted socket, its first frame: every group it is in
        (empty with recovery off or without a layer)."""
        groups = list(groups)
        positions: dict[str, Position] = {}
        if recovery_on() and self.layer is not None and groups:
            try:
                positions = await self.history.positions(groups)
            except Exception as exc:
                # The history's Redis is down: the socket opens all the same, and the page
                # learns each group's position with its first push (a new epoch to it).
                raise_if_cancelled()
                report_failure(self.layer, COMPONENT, exc)
        self.told.update({group: position.epoch for group, position in positions.items()})
        await self.send(positions_frame(positions))

    async def push(self, message: dict[str, Any], excluded: bool) -> None:
        """Forward a broadcast's frames. A new epoch is told first (the page resyncs); an
        excluded socket gets, for each frame, the ``positions`` of that frame instead, so its
        page counts it as applied (the action that excluded it showed the change itself)."""
        group = message.get("group")
        frames: list[str] = message["frames"]
        epoch = message.get("epoch")
        if group is None or epoch is None:  # recovery off, or a message of older code
            if not excluded:
                for text in frames:
                    await self.send(text)
            return
        last: int = message["seq"]
        first = last - len(frames) + 1
        if self.told.get(group) != epoch:
            self.told[group] = epoch
            await self.send(positions_frame({group: Position(first - 1, epoch)}))
        if not excluded:
            for text in frames:
                await self.send(text)
            return
        for seq in range(first, last + 1):
            await self.send(positions_frame({group: Position(seq, epoch)}))

    async def position_message(self, message: dict[str, Any]) -> None:
        """A relay's look at a group's position: a new epoch is told to the page."""
        group, epoch = message["group"], message["epoch"]
        if group in self.told and self.told[group] != epoch:
            self.told[group] = epoch
            await self.send(positions_frame({group: Position(message["seq"], epoch)}))

    async def subscribed(self, id: str, group: str, since: Position | None) -> dict[str, Any]:
        """After a ``subscribe`` joined ``group``: replay from ``since`` (the page's own
        position, or the one signed into the token) and the ``end`` data (the group's position)."""
        if not recovery_on():
            return {"group": group}
        if since is None:
            position = (await self.history.positions([group]))[group]
            self.told[group] = position.epoch
        else:
            position, _ = await self.catch_up(group, since, id)
        return {"group": group, **position.as_json()}

    async def resume(self, id: str, positions: dict[str, Position], joined: set[str]) -> dict[str, Any]:
        """A ``resume`` frame: each named group the socket is in, replayed or resynced, in the
        frame's order; the ``end`` data names which."""
        recovered: list[str] = []
        resynced: list[str] = []
        for group, since in positions.items():
            if group in joined:
                _, did_resync = await self.catch_up(group, since, id)
                (resynced if did_resync else recovered).append(group)
        return {"recovered": recovered, "resynced": resynced}

    async def catch_up(self, group: str, since: Position | None, id: str) -> tuple[Position, bool]:
        """Replay ``group``'s pushes after ``since`` as push frames, or resync it.

        Resync: the hook's items are sent as events of invocation ``id``, then a ``positions``
        reply (the page's new baseline: the position read before the hook ran, so nothing after
        it is missed) and a ``resync`` event. Returns the group's position and whether it
        resynced.
        """
        if recovery_on():
            frames = await self.history.since(group, since) if since is not None else None
            if frames is not None:
                for text in frames:
                    await self.send(text)
                position = (await self.history.positions([group]))[group]
                self.told[group] = position.epoch
                return position, False
            position = (await self.history.positions([group]))[group]
        else:
            position = None
        await emit(await self.resync(group), self.context, id, self.send)
        if position is not None:
            self.told[group] = position.epoch
            await self.send(positions_frame({group: position}, id))
        await self.send(encoding.encode_frame(EventName.RESYNC, {"group": group}, id))
        return position or Position(0, ""), True
