"""Load generators, each run in its own process: ``python -m bench.load MODE '{json args}'``.

Each prints one JSON line of results on stdout. They talk only to loopback.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

PATHS = {"hyper": "/ws/hyper/", "bare": "/ws/bare/", "raw": "/ws/raw/"}


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


async def _ws_worker(
    ws: ClientConnection, name: str, data: dict[str, Any], deadline: float, latencies: list[float]
) -> None:
    n = 0
    while time.perf_counter() < deadline:
        n += 1
        frame = json.dumps({"type": "action", "id": str(n), "name": name, "data": data})
        started = time.perf_counter()
        await ws.send(frame)
        while True:  # read until this invocation's terminal frame
            reply = await ws.recv()
            if '"end"' in reply or '"error"' in reply:
                if '"error"' in reply:
                    raise RuntimeError(f"benchmark action failed: {reply}")
                break
        latencies.append(time.perf_counter() - started)


class _Http:
    """A minimal HTTP/1.1 keep-alive client: one connection, one request at a time."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def post(self, path: str, body: bytes) -> bytes:
        self.writer.write(
            b"POST " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\nConnection: keep-alive\r\n\r\n"
            + body
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = None
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        if length is None:
            raise RuntimeError("the benchmark view must send Content-Length")
        payload = await self.reader.readexactly(length)
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {payload[:200]!r}")
        return payload

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def _http_worker(client: _Http, deadline: float, latencies: list[float]) -> None:
    n = 0
    while time.perf_counter() < deadline:
        n += 1
        body = json.dumps({"type": "action", "id": str(n), "name": "toast", "data": {}}).encode()
        started = time.perf_counter()
        await client.post("/action/", body)
        latencies.append(time.perf_counter() - started)


async def roundtrip(
    port: int,
    kind: str,
    conns: int,
    seconds: float,
    warmup: float = 0.5,
    action: str = "toast",
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``conns`` clients, each invoking sequentially for ``seconds``: throughput and latency."""
    origin = f"http://127.0.0.1:{port}"
    latencies: list[float] = []
    if kind == "http":
        clients = [_Http("127.0.0.1", port) for _ in range(conns)]
        await asyncio.gather(*(c.open() for c in clients))
        warm = time.perf_counter() + warmup
        await asyncio.gather(*(_http_worker(c, warm, []) for c in clients))
        started = time.perf_counter()
        await asyncio.gather(*(_http_worker(c, started + seconds, latencies) for c in clients))
        duration = time.perf_counter() - started
        await asyncio.gather(*(c.close() for c in clients))
        return _summary(latencies, duration)
    path = PATHS[kind]
    sockets = [
        await connect(f"ws://127.0.0.1:{port}{path}", origin=origin, max_queue=None)  # type: ignore[arg-type]
        for _ in range(conns)
    ]
    args = data or {}
    warm = time.perf_counter() + warmup
    await asyncio.gather(*(_ws_worker(ws, action, args, warm, []) for ws in sockets))
    started = time.perf_counter()
    await asyncio.gather(*(_ws_worker(ws, action, args, started + seconds, latencies) for ws in sockets))
    duration = time.perf_counter() - started
    await asyncio.gather(*(ws.close() for ws in sockets))
    return _summary(latencies, duration)


async def idle(port: int, kind: str, conns: int) -> dict[str, Any]:
    """Open ``conns`` sockets, say so, and hold them until stdin closes."""
    origin = f"http://127.0.0.1:{port}"
    path = PATHS[kind]
    sockets = []
    for _ in range(conns):
        sockets.append(await connect(f"ws://127.0.0.1:{port}{path}", origin=origin))  # type: ignore[arg-type]
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
                connect(
                    f"ws://127.0.0.1:{ports[i % len(ports)]}{path}",  # type: ignore[arg-type]
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
        for _ in range(messages):
            await ws.recv()

    await asyncio.wait_for(asyncio.gather(*(drain(ws) for ws in conns)), 300)
    finished = time.time()
    await asyncio.gather(*(ws.close() for ws in conns), return_exceptions=True)
    return {"finished": finished, "sockets": len(conns)}


def _send_bare(group: str, messages: int) -> None:
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from hyperchannels.protocol import encode_frame

    layer = get_channel_layer()

    async def run() -> None:
        for i in range(messages):
            text = encode_frame("toast", {"value": i})
            await layer.group_send(group, {"type": "bench.push", "text": text})

    async_to_sync(run)()


def _send_hyper(group: str, messages: int) -> None:
    from asgiref.sync import async_to_sync

    from hyperchannels import Toast
    from hyperchannels.broadcast import abroadcast

    async def run() -> None:
        for i in range(messages):
            await abroadcast(group, Toast(i))

    async_to_sync(run)()


def send(kind: str, messages: int) -> dict[str, Any]:
    """Set up Django and the layer, say ready, wait for the go line, send, report the start."""
    import django

    django.setup()
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    async_to_sync(layer.group_send)("bench-warmup", {"type": "noop"})  # connect to Redis first
    print(json.dumps({"ready": True}), flush=True)
    sys.stdin.readline()
    started = time.time()
    if kind == "bare":
        _send_bare("bench-bare", messages)
    else:
        _send_hyper("bench", messages)
    return {"started": started, "sent_seconds": time.time() - started}


MODES = {"roundtrip": roundtrip, "idle": idle, "fanout": fanout}
SYNC_MODES = {"send": send}


def main() -> None:
    mode, raw = sys.argv[1], sys.argv[2]
    if mode in SYNC_MODES:
        result = SYNC_MODES[mode](**json.loads(raw))
    else:
        result = asyncio.run(MODES[mode](**json.loads(raw)))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
