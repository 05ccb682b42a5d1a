"""The resume load generator: ``python -m bench.resume_load '{json args}'``.

Opens ``sockets`` HyperConsumer sockets spread over the workers' ports and remembers each one's
position in the bench group, says ``{"ready": n}``, and waits for a line on stdin: meanwhile the
orchestrator kills the workers, broadcasts, and starts them again on the same ports. Then every
socket reconnects (at most ``parallel`` clients connecting or resuming at once, as clients'
backoff spreads a storm) and, with ``resume``, sends one ``resume`` frame with its old position and reads the
replay up to its ``end``; it prints when the last one is done and what they received. A socket
that opens without its group's position (the worker could not read it) is counted, not dropped.
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


async def _open(port: int) -> tuple[ClientConnection, dict[str, Any] | None]:
    """A socket and what its opening ``positions`` push says of the bench group (``None``: it
    opened without one, the worker failed to read it)."""
    ws = await connect(
        f"ws://127.0.0.1:{port}{PATH}", origin=Origin(f"http://127.0.0.1:{port}"), max_queue=None
    )
    frame = json.loads(await asyncio.wait_for(ws.recv(), 60))
    if frame.get("event") != "positions" or "id" in frame:
        raise RuntimeError(f"the first frame is not a positions push: {str(frame)[:300]}")
    position: dict[str, Any] | None = frame["data"].get(GROUP)
    return ws, position


async def _resume(ws: ClientConnection, old: dict[str, Any]) -> tuple[list[int], str]:
    """Send one resume from ``old``: the seqs replayed before its ``end``, and how it ended
    (``recovered``, ``resynced`` or ``error``)."""
    await ws.send(json.dumps({"type": "resume", "id": "r", "positions": {GROUP: old}}))
    seqs: list[int] = []
    while True:
        frame = json.loads(await ws.recv())
        if frame.get("id") == "r":
            if frame["event"] == "end":
                return seqs, "resynced" if GROUP in frame["data"]["resynced"] else "recovered"
            if frame["event"] == "error":
                return seqs, "error"
        elif frame.get("group") == GROUP:
            seqs.append(frame["seq"])


async def run(ports: list[int], sockets: int, parallel: int, resume: bool) -> dict[str, Any]:
    gate = asyncio.Semaphore(parallel)
    unplaced_first = 0

    async def first(i: int) -> tuple[ClientConnection, dict[str, Any]]:
        nonlocal unplaced_first
        async with gate:
            for _ in range(20):
                ws, position = await _open(ports[i % len(ports)])
                if position is not None:
                    return ws, position
                unplaced_first += 1
                await ws.close()
                await asyncio.sleep(0.2)
        raise RuntimeError("a socket opened without its group's position 20 times")

    opened = await asyncio.gather(*(first(i) for i in range(sockets)))
    old = [position for _, position in opened]
    print(json.dumps({"ready": len(opened), "position": old[0]}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    for ws, _ in opened:  # their workers were killed: the connections are dead
        ws.transport.abort()

    async def again(i: int) -> tuple[dict[str, Any] | None, list[int], str]:
        async with gate:  # held through the resume: ``parallel`` clients at work at most
            ws, now = await _open(ports[i % len(ports)])
            try:
                if not resume:
                    return now, [], ""
                seqs, outcome = await _resume(ws, old[i])
                return now, seqs, outcome
            finally:
                await ws.close()

    started = time.time()
    results = await asyncio.wait_for(asyncio.gather(*(again(i) for i in range(sockets))), 600)
    finished = time.time()
    behind = [
        now["seq"] - was["seq"] for (now, _, _), was in zip(results, old, strict=True) if now is not None
    ]
    last = max(now["seq"] for now, _, _ in results if now is not None) if behind else None
    complete = sum(
        last is not None and seqs == list(range(was["seq"] + 1, last + 1))
        for (_, seqs, _), was in zip(results, old, strict=True)
    )
    outcomes = [outcome for _, _, outcome in results]
    return {
        "started": started,
        "finished": finished,
        "sockets": sockets,
        "behind_min": min(behind, default=None),
        "behind_max": max(behind, default=None),
        "unplaced_at_first_open": unplaced_first,
        "unplaced": sum(now is None for now, _, _ in results),
        "replayed": sum(len(seqs) for _, seqs, _ in results),
        "complete": complete if resume else 0,
        "resynced": outcomes.count("resynced"),
        "errors": outcomes.count("error"),
    }


def main() -> None:
    result = asyncio.run(run(**json.loads(sys.argv[1])))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
