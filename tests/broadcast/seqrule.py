"""The page's rule for a group's pushes (docs/client.md, "Recovery"), in Python, for raw sockets
of the tests: apply each seq once and in order; drop what was applied; hold what skips ahead until
the gap fills, and after ``gap_timeout`` ask the server to ``resume`` the group from the last
applied position; a ``positions`` reply is the new baseline."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from websockets.asyncio.client import ClientConnection

Frame = dict[str, Any]


class GroupReader:
    """One socket's view of one group, fed every frame the socket receives."""

    def __init__(
        self, ws: ClientConnection, group: str, seq: int, epoch: str, gap_timeout: float = 1.0
    ) -> None:
        self.ws, self.group, self.seq, self.epoch = ws, group, seq, epoch
        self.gap_timeout = gap_timeout
        self.held: dict[int, Frame | None] = {}  # None: a no-op frame (the socket was excluded)
        self.applied: list[Frame] = []
        self.received = 0
        self.dropped = 0  # duplicates: a seq already applied or already held
        self.resumes: list[str] = []  # ids of the resumes the gap timer sent
        self.ends: list[Frame] = []  # their ends' data
        self.resyncs: list[Frame] = []  # anything of a resync: items, positions replies, resync
        self.gap_since: float | None = None

    def feed(self, frame: Frame) -> None:
        if "id" in frame:
            self._reply(frame)
        elif frame.get("event") == "positions":
            position = frame["data"].get(self.group)
            if position is not None:
                assert position["epoch"] == self.epoch, f"a new epoch mid-test: {frame}"
                self._place(position["seq"], None)
        elif frame.get("group") == self.group:
            self.received += 1
            assert isinstance(frame["seq"], int), frame
            self._place(frame["seq"], frame)
        else:
            raise AssertionError(f"a frame outside the rule: {frame}")

    def _reply(self, frame: Frame) -> None:
        assert frame["id"] in self.resumes, frame
        if frame["event"] == "end":
            self.ends.append(frame["data"])
            return
        self.resyncs.append(frame)
        if frame["event"] == "positions":  # a resync's baseline
            position = frame["data"][self.group]
            self.seq, self.epoch = max(self.seq, position["seq"]), position["epoch"]
            self.held = {n: f for n, f in self.held.items() if n > self.seq}
            self._drain()

    def _place(self, n: int, frame: Frame | None) -> None:
        if n <= self.seq or n in self.held:
            self.dropped += 1
            return
        self.held[n] = frame
        self._drain()

    def _drain(self) -> None:
        while self.seq + 1 in self.held:
            self.seq += 1
            frame = self.held.pop(self.seq)
            if frame is not None:
                self.applied.append(frame)
        if not self.held:
            self.gap_since = None
        elif self.gap_since is None:
            self.gap_since = time.monotonic()

    async def check_gap(self) -> None:
        """The gap timer: a gap still open after ``gap_timeout`` resumes the group."""
        if self.gap_since is None or time.monotonic() - self.gap_since < self.gap_timeout:
            return
        self.gap_since = time.monotonic()
        invocation = f"resume-{len(self.resumes) + 1}"
        self.resumes.append(invocation)
        positions = {self.group: {"seq": self.seq, "epoch": self.epoch}}
        await self.ws.send(json.dumps({"type": "resume", "id": invocation, "positions": positions}))

    async def read_until(self, last: int, timeout: float) -> None:
        """Read and apply until ``last`` was applied (``TimeoutError`` after ``timeout``)."""
        async with asyncio.timeout(timeout):
            while self.seq < last:
                try:
                    text = await asyncio.wait_for(self.ws.recv(), self.gap_timeout / 4)
                except TimeoutError:
                    pass
                else:
                    self.feed(json.loads(text))
                await self.check_gap()
