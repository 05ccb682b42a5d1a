"""Limits on a real server (daphne, then uvicorn) with raw clients (docs/security.md, "Limits"):
a reader too slow for its frames is closed with 4408 and the server's memory stays bounded while
the others keep their pace; a socket that floods action frames gets 429s and slows no other socket.

These print their figures (``-s``); nothing here asserts a time. HYPER_SLOW_READERS,
HYPER_SLOW_PUSHES and HYPER_FLOOD_FRAMES scale them up to the figures in docs/security.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import time
import uuid
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from tests.servers import ROOT, ServerProcess
from tests.wire import connect

pytestmark = pytest.mark.daphne

APP = "tests.access.asgi:application"
SETTINGS = "tests.access.settings"
READERS = int(os.environ.get("HYPER_SLOW_READERS", "20"))
PUSHES = int(os.environ.get("HYPER_SLOW_PUSHES", "2000"))
PUSH_BYTES = 2000
LIMIT = int(os.environ.get("HYPER_SLOW_LIMIT", str(1024 * 1024)))
FLOOD_FRAMES = int(os.environ.get("HYPER_FLOOD_FRAMES", "50000"))


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def sample_rss(pid: int, peaks: list[int]) -> None:
    while True:
        peaks.append(rss_kib(pid))
        await asyncio.sleep(0.05)


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def read_pushes(ws: ClientConnection, count: int, latencies: list[float]) -> None:
    async with asyncio.timeout(300):
        while True:
            frame = json.loads(await ws.recv())
            data = frame.get("data")
            if frame.get("event") == "toast" and isinstance(data, dict) and "t" in data:
                latencies.append(time.time() - data["t"])
                if data["n"] == count - 1:
                    return


async def stalled_socket(url: str) -> ClientConnection:
    """A client that reads nothing: a tiny receive buffer, one frame of library queue.

    Without compression: uvicorn negotiates permessage-deflate (daphne doesn't), and the
    flood's padding deflates about a hundredfold, so a compressing stalled socket would hold a
    few kilobytes on the wire and never reach the bound this test is about."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    host, port = url.split("//")[1].split("/")[0].split(":")
    sock.connect((host, int(port)))
    return await connect(url, sock=sock, max_queue=1, max_size=None, compression=None)


async def run_flood(server: ServerProcess, room: str, with_slow: bool) -> dict[str, Any]:
    url = f"{server.ws_url}/ws/timed/{room}/"
    groups = [f"room-{room}"]
    slow = await stalled_socket(url) if with_slow else None
    readers = [await connect(url, groups=groups, max_size=None) for _ in range(READERS - 1)]
    talker = await connect(url, groups=groups, max_size=None)
    assert server.process is not None
    peaks: list[int] = [rss_kib(server.process.pid)]
    sampler = asyncio.create_task(sample_rss(server.process.pid, peaks))
    latencies: list[float] = []
    started = time.monotonic()
    await talker.send(
        json.dumps(
            {"type": "action", "id": "f", "name": "flood", "data": {"count": PUSHES, "size": PUSH_BYTES}}
        )
    )
    await asyncio.gather(*(read_pushes(ws, PUSHES, latencies) for ws in [*readers, talker]))
    elapsed = time.monotonic() - started
    sampler.cancel()
    slow_code = None
    slow_received = 0
    if slow is not None:
        try:
            async with asyncio.timeout(30):
                while True:
                    await slow.recv()
                    slow_received += 1
        except ConnectionClosed as closed:
            slow_code = closed.rcvd.code if closed.rcvd is not None else None
    for ws in [*readers, talker]:
        await ws.close()
    return {
        "elapsed_s": round(elapsed, 2),
        "p50_ms": round(p(latencies, 0.5) * 1000, 1),
        "p99_ms": round(p(latencies, 0.99) * 1000, 1),
        "rss_start_mib": round(peaks[0] / 1024, 1),
        "rss_peak_mib": round(max(peaks) / 1024, 1),
        "received": len(latencies),
        "slow_close_code": slow_code,
        "slow_received": slow_received,
    }


async def test_a_reader_that_never_reads_is_closed_with_4408_and_slows_no_other(
    redis_url: str, server_name: str
) -> None:
    env = {
        "HYPER_TEST_LAYER": "memory",
        "REDIS_URL": redis_url,
        "HYPER_TEST_MAX_BUFFERED_BYTES": str(LIMIT),
    }
    with ServerProcess(APP, SETTINGS, env=env, server=server_name) as server:
        baseline = await run_flood(server, f"base-{uuid.uuid4().hex[:6]}", with_slow=False)
        slowed = await run_flood(server, f"slow-{uuid.uuid4().hex[:6]}", with_slow=True)
        assert "Exception inside application" not in server.log(), server.log()
    assert baseline["received"] == slowed["received"] == READERS * PUSHES
    assert slowed["slow_close_code"] == 4408
    # Its frames past the bound were dropped, not held: it got its opening push and part of
    # the flood (the kernel's buffers and MAX_BUFFERED_BYTES' worth), then the close.
    assert 0 < slowed["slow_received"] < PUSHES
    print(f"\n{READERS} sockets, {PUSHES} pushes of {PUSH_BYTES} B, MAX_BUFFERED_BYTES={LIMIT}")
    print(f"without a slow reader: {baseline}")
    print(f"with one that never reads: {slowed}")


async def test_a_flood_of_action_frames_gets_429s_and_slows_no_other_socket(
    redis_url: str, server_name: str
) -> None:
    env = {"HYPER_TEST_LAYER": "memory", "REDIS_URL": redis_url}
    with ServerProcess(APP, SETTINGS, env=env, server=server_name) as server:
        url = f"{server.ws_url}/ws/timed/flood-{uuid.uuid4().hex[:6]}/"
        async with connect(url) as other:

            async def round_trips(seconds: float) -> list[float]:
                """An action every 25 ms (within the rate limit): each one's time to its end."""
                times: list[float] = []
                deadline = time.monotonic() + seconds
                n = 0
                while time.monotonic() < deadline:
                    n += 1
                    sent = time.monotonic()
                    await other.send(json.dumps({"type": "action", "id": f"e{n}", "name": "echo"}))
                    while True:
                        frame = json.loads(await asyncio.wait_for(other.recv(), 10))
                        if frame.get("id") == f"e{n}" and frame["event"] in ("end", "error"):
                            assert frame["event"] == "end", frame
                            break
                    times.append(time.monotonic() - sent)
                    await asyncio.sleep(0.025)
                return times

            quiet = await round_trips(1.0)
            flooder = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.access.flooder",
                url,
                server.http_url,
                str(FLOOD_FRAMES),
                stdout=asyncio.subprocess.PIPE,
                cwd=ROOT,
            )
            await asyncio.sleep(0.3)  # the flooder connects
            loud = await round_trips(3.0)
            out, _ = await asyncio.wait_for(flooder.communicate(), 300)
            result = json.loads(out)
            statuses = {int(k): v for k, v in result["statuses"].items()}
            flood_seconds = result["seconds"]
        assert "Exception inside application" not in server.log(), server.log()
    # The burst and the sustained rate pass (RATE_LIMIT (50, 100)); every other frame got 429.
    assert statuses.get(429, 0) >= FLOOD_FRAMES - 100 - 50 * (flood_seconds + 1)
    assert set(statuses) <= {200, 429} and sum(statuses.values()) == FLOOD_FRAMES
    refused = statuses.get(429)
    print(f"\n{FLOOD_FRAMES} action frames from one socket in {flood_seconds:.2f} s, {refused} got 429")
    for label, times in (("quiet", quiet), ("during the flood", loud)):
        print(
            f"another socket's round trip, {label}: p50 {p(times, 0.5) * 1000:.2f} ms, "
            f"p99 {p(times, 0.99) * 1000:.2f} ms, max {max(times) * 1000:.2f} ms ({len(times)} trips)"
        )
