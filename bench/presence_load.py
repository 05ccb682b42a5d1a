"""The presence load generator: ``python -m bench.presence_load '{json args}'``.

Opens ``sockets`` sockets over the workers' ports (all in one group), says ``{"ready": n}``,
then obeys one command per line on stdin, answering each with one JSON line:

- ``track``: every socket tracks itself (its own key); the time until each has its
  ``presence_state``.
- ``join``: one more socket connects and tracks (a new key); the time until every tracking
  socket has seen that key join.
- ``shout``: one socket broadcasts a toast to the group; the time until every socket has it (the
  fan-out alone, to compare a join with).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

PATH = "/ws/presence/"


class Watcher:
    """Reads one socket's frames; tells when one holds the text being waited for."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.needle: str | None = None
        self.seen: asyncio.Event = asyncio.Event()
        self.task = asyncio.create_task(self.read())

    def expect(self, needle: str) -> None:
        self.needle = needle
        self.seen = asyncio.Event()

    async def read(self) -> None:
        async for text in self.ws:
            if self.needle is not None and self.needle in text:
                self.needle = None
                self.seen.set()


async def _open(port: int, key: str) -> ClientConnection:
    ws = await connect(
        f"ws://127.0.0.1:{port}{PATH}?key={key}",
        origin=Origin(f"http://127.0.0.1:{port}"),
        max_queue=None,
        open_timeout=None,  # a worker still busy with a storm answers late, not never
    )
    await asyncio.wait_for(ws.recv(), 60)  # the opening positions push
    return ws


async def _all_seen(watchers: list[Watcher]) -> None:
    await asyncio.wait_for(asyncio.gather(*(w.seen.wait() for w in watchers)), 900)


async def run(ports: list[int], sockets: int, parallel: int) -> None:
    gate = asyncio.Semaphore(parallel)
    prefix = uuid.uuid4().hex[:6]

    async def opened(i: int) -> ClientConnection:
        async with gate:
            return await _open(ports[i % len(ports)], f"{prefix}-{i}")

    conns = await asyncio.gather(*(opened(i) for i in range(sockets)))
    watchers = [Watcher(ws) for ws in conns]
    print(json.dumps({"ready": len(conns)}), flush=True)
    joined = 0
    loop = asyncio.get_running_loop()
    while command := (await loop.run_in_executor(None, sys.stdin.readline)).strip():
        result: dict[str, Any] = {}
        if command == "track":
            for w in watchers:
                w.expect('"presence_state"')
            started = time.perf_counter()
            for ws in conns:
                await ws.send(json.dumps({"type": "action", "id": "t", "name": "start"}))
            await _all_seen(watchers)
            result["seconds"] = time.perf_counter() - started
        elif command == "join":
            joined += 1
            key = f"{prefix}-joiner-{joined}"
            for w in watchers:
                w.expect(f'"{key}"')
            ws = await _open(ports[0], key)
            started = time.perf_counter()
            await ws.send(json.dumps({"type": "action", "id": "j", "name": "start"}))
            await _all_seen(watchers)
            result["seconds"] = time.perf_counter() - started
            conns.append(ws)  # it stays: the next join sees one more present
        elif command == "shout":
            text = uuid.uuid4().hex
            for w in watchers:
                w.expect(text)
            started = time.perf_counter()
            frame = {"type": "action", "id": "s", "name": "shout", "data": {"text": text}}
            await conns[0].send(json.dumps(frame))
            await _all_seen(watchers)
            result["seconds"] = time.perf_counter() - started
        print(json.dumps(result), flush=True)


def main() -> None:
    asyncio.run(run(**json.loads(sys.argv[1])))


if __name__ == "__main__":
    main()
