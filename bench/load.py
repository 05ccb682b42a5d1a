"""Load generators, each run in its own process: ``python -m bench.load MODE '{json args}'``.

Each prints one JSON line of results on stdout. They talk only to loopback.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import statistics
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from hyperchannels.testing import ITEM_EVENTS

from . import driver

PATHS = {"hyper": "/ws/hyper/", "bare": "/ws/bare/", "raw": "/ws/raw/"}
OPENS_WITH_POSITIONS = {"hyper"}
"""Kinds served by a ``HyperConsumer``: their sockets' first frame is a ``positions`` push."""


async def _open(url: str, kind: str, **kwargs: Any) -> ClientConnection:
    """A socket, past its opening ``positions`` push when its kind sends one."""
    ws = await connect(url, **kwargs)
    if kind in OPENS_WITH_POSITIONS:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if frame.get("event") != "positions" or "id" in frame:
            raise RuntimeError(f"the first frame is not a positions push: {str(frame)[:300]}")
    return ws


def _is_item_push(text: str | bytes) -> bool:
    """An action item pushed to the group (what fan-out counts), not one of the protocol's own
    pushes (``positions`` and the like)."""
    frame = json.loads(text)
    return "id" not in frame and frame["event"] in ITEM_EVENTS


def _summary(latencies: list[float], duration: float) -> dict[str, Any]:
    latencies.sort()
    count = len(latencies)

    def pct(p: float) -> float:
        return latencies[min(count - 1, int(p * count))] * 1000 if count else 0.0

    return {
        "count": count,
        "seconds": duration,
        "throughput": count / duration if duration else 0.0,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "mean_ms": statistics.fmean(latencies) * 1000 if count else 0.0,
    }


def roundtrip(
    port: int,
    kind: str,
    conns: int,
    seconds: float,
    warmup: float = 0.5,
    action: str = "toast",
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``conns`` clients, each invoking sequentially for ``seconds``: throughput and latency.

    Runs on the lean raw-socket driver (``bench.driver``) so the client's own cost stays small
    beside the server's, the same for every contender.
    """
    host = "127.0.0.1"
    clients: list[driver.Conn]
    if kind == "http":
        clients = [driver.HttpConn(host, port, "/action/") for _ in range(conns)]
    elif kind == "http-stock":
        # Django's double-submit CSRF check: the same secret as cookie and header.
        token = secrets.token_hex(16)
        headers = {"Cookie": f"csrftoken={token}", "X-CSRFToken": token}
        clients = [driver.HttpConn(host, port, "/action/protected/", headers) for _ in range(conns)]
    else:
        origin = f"http://{host}:{port}"
        positions = kind in OPENS_WITH_POSITIONS
        clients = [driver.WebSocketConn(host, port, PATHS[kind], origin, positions) for _ in range(conns)]
    args = data or {}
    driver.drive(clients, action, args, warmup)
    latencies, duration = driver.drive(clients, action, args, seconds)
    driver.close(clients)
    return _summary(latencies, duration)


async def idle(port: int, kind: str, conns: int) -> dict[str, Any]:
    """Open ``conns`` sockets, say so, and hold them until stdin closes."""
    origin = f"http://127.0.0.1:{port}"
    path = PATHS[kind]
    sockets = []
    for _ in range(conns):  # each fully open (accepted, in its groups) before it counts
        sockets.append(await _open(f"ws://127.0.0.1:{port}{path}", kind, origin=origin))
    print(json.dumps({"ready": len(sockets)}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return {"closed": len(sockets)}


async def fanout(ports: list[int], kind: str, sockets: int, messages: int) -> dict[str, Any]:
    """Spread ``sockets`` over the workers, say ready, then time until all have every message.

    Prints ``{"ready": n}`` once connected and reads one line (the go) from stdin; the end time
    is wall-clock so the orchestrator can subtract the sender's start time.
    """
    path = PATHS[kind]
    conns: list[ClientConnection] = []
    batch = 100
    for start in range(0, sockets, batch):
        conns += await asyncio.gather(
            *(
                _open(
                    f"ws://127.0.0.1:{ports[i % len(ports)]}{path}",
                    kind,
                    origin=f"http://127.0.0.1:{ports[i % len(ports)]}",
                    max_queue=None,
                )
                for i in range(start, min(start + batch, sockets))
            )
        )
    await asyncio.sleep(0.5)  # let every group_add land
    print(json.dumps({"ready": len(conns)}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)

    async def drain(ws: ClientConnection) -> None:
        received = 0
        while received < messages:
            if _is_item_push(await ws.recv()):
                received += 1

    await asyncio.wait_for(asyncio.gather(*(drain(ws) for ws in conns)), 300)
    finished = time.time()
    await asyncio.gather(*(ws.close() for ws in conns), return_exceptions=True)
    return {"finished": finished, "sockets": len(conns)}


def _count_round_trips() -> list[int]:
    """Count this process's requests to Redis from now on: one per write of a command or of a
    whole pipeline (each waits for its replies once), whichever layer or history sends it."""
    from redis.asyncio.connection import AbstractConnection

    counter = [0]
    original = AbstractConnection.send_packed_command

    async def counted(self: AbstractConnection, *args: Any, **kwargs: Any) -> None:
        counter[0] += 1
        await original(self, *args, **kwargs)

    AbstractConnection.send_packed_command = counted  # type: ignore[method-assign]
    return counter


async def _send(kind: str, messages: int, group: str) -> dict[str, Any]:
    from channels.layers import get_channel_layer

    from hyperchannels import Toast, abroadcast
    from hyperchannels.encoding import encode_frame

    layer = get_channel_layer()
    # Connect to Redis first, in this loop (the layers keep connections per loop), and for hyper
    # take the history's path once, all off the clock, to a group nobody is in.
    await layer.group_send("bench-warmup", {"type": "noop"})
    if kind != "bare":
        await abroadcast("bench-warmup", Toast("warm"))
    round_trips = _count_round_trips()
    print(json.dumps({"ready": True}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    started = time.time()
    if kind == "bare":
        for i in range(messages):
            text = encode_frame("toast", {"value": i})
            await layer.group_send(f"{group}-bare", {"type": "bench.push", "text": text})
    else:
        for i in range(messages):
            await abroadcast(group, Toast(i))
    return {"started": started, "sent_seconds": time.time() - started, "round_trips": round_trips[0]}


def send(kind: str, messages: int, group: str = "bench") -> dict[str, Any]:
    """Set up Django and the layer, say ready, wait for the go line, send ``messages`` pushes
    (``kind`` bare: a bare ``group_send`` of a pre-encoded frame to ``<group>-bare``; else
    ``abroadcast``), report the start time and the Redis round trips the sends made."""
    import django

    django.setup()
    return asyncio.run(_send(kind, messages, group))


MODES: dict[str, Callable[..., Coroutine[Any, Any, dict[str, Any]]]] = {"idle": idle, "fanout": fanout}
SYNC_MODES: dict[str, Callable[..., dict[str, Any]]] = {"send": send, "roundtrip": roundtrip}


def main() -> None:
    mode, raw = sys.argv[1], sys.argv[2]
    if mode in SYNC_MODES:
        result = SYNC_MODES[mode](**json.loads(raw))
    else:
        result = asyncio.run(MODES[mode](**json.loads(raw)))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
