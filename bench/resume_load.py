"""The resume load generator: ``python -m bench.resume_load '{json args}'``.

Opens ``sockets`` HyperConsumer sockets spread over the workers' ports and remembers each one's
position in the bench group, says ``{"ready": n}``, and waits for a line on stdin: meanwhile the
orchestrator kills the workers, broadcasts, and starts them again on the same ports. Then every
socket reconnects (at most ``parallel`` clients connecting or resuming at once, as clients'
backoff spreads a storm) and, with ``resume``, sends one ``resume`` frame with its old position and reads the
replay up to its ``end``; it prints when the last one is done and what they received.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

GROUP = "bench"
PATH = "/ws/hyper/"


async def _open(port: int) -> tuple[ClientConnection, dict[str, Any]]:
    """A socket and what its opening ``positions`` push says of the bench group."""
    ws = await connect(
        f"ws://127.0.0.1:{port}{PATH}", origin=Origin(f"http://127.0.0.1:{port}"), max_queue=None
    )
    frame = json.loads(await asyncio.wait_for(ws.recv(), 60))
    if frame.get("event") != "positions" or "id" in frame or GROUP not in frame["data"]:
        raise RuntimeError(f"the first frame is not a positions push of {GROUP}: {str(frame)[:300]}")
    position: dict[str, Any] = frame["data"][GROUP]
    return ws, position


async def _resume(ws: ClientConnection, old: dict[str, Any]) -> tuple[list[int], bool]:
    """Send one resume from ``old``; the seqs replayed before its ``end``, and whether it resynced."""
    await ws.send(json.dumps({"type": "resume", "id": "r", "positions": {GROUP: old}}))
    seqs: list[int] = []
    while True:
        frame = json.loads(await ws.recv())
        if frame.get("id") == "r":
            if frame["event"] == "end":
                return seqs, GROUP in frame["data"]["resynced"]
        elif frame.get("group") == GROUP:
            seqs.append(frame["seq"])


async def run(ports: list[int], sockets: int, parallel: int, resume: bool) -> dict[str, Any]:
    gate = asyncio.Semaphore(parallel)

    async def first(i: int) -> tuple[ClientConnection, dict[str, Any]]:
        async with gate:
            return await _open(ports[i % len(ports)])

    opened = await asyncio.gather(*(first(i) for i in range(sockets)))
    old = [position for _, position in opened]
    print(json.dumps({"ready": len(opened), "position": old[0]}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    for ws, _ in opened:  # their workers were killed: the connections are dead
        ws.transport.abort()

    async def again(i: int) -> tuple[int, list[int], bool]:
        async with gate:  # held through the resume: ``parallel`` clients at work at most
            ws, now = await _open(ports[i % len(ports)])
            try:
                if not resume:
                    return now["seq"], [], False
                seqs, resynced = await _resume(ws, old[i])
                return now["seq"], seqs, resynced
            finally:
                await ws.close()

    started = time.time()
    results = await asyncio.wait_for(asyncio.gather(*(again(i) for i in range(sockets))), 600)
    finished = time.time()
    behind = [now - was["seq"] for (now, _, _), was in zip(results, old, strict=True)]
    complete = sum(
        seqs == list(range(was["seq"] + 1, was["seq"] + 1 + gap))
        for (_, seqs, _), was, gap in zip(results, old, behind, strict=True)
    )
    return {
        "started": started,
        "finished": finished,
        "sockets": sockets,
        "behind_min": min(behind),
        "behind_max": max(behind),
        "replayed": sum(len(seqs) for _, seqs, _ in results),
        "complete": complete if resume else 0,
        "resynced": sum(resynced for _, _, resynced in results),
    }


def main() -> None:
    result = asyncio.run(run(**json.loads(sys.argv[1])))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
