"""SIGTERM to a real server (docs/deploy.md, "Shutdown"), on daphne and on uvicorn.

Every socket gets close code 1012, running invocations are cancelled (an async action's and an
async generator's ``finally`` run), ``disconnect(1012)`` runs, presence is untracked (another
worker's socket sees the leaves long before the 120 s TTL could explain them), and the process
exits without waiting for a sync action blocked for 60 s. The figures are printed (``-s``).
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from tests.servers import ServerProcess
from tests.wire import connect, receive, receive_item

pytestmark = [pytest.mark.daphne, pytest.mark.redis]

APP, SETTINGS = "tests.shutdown.asgi:application", "tests.shutdown.settings"
IDLE = 20
BLOCKED_SECONDS = 60
DAPHNE_STARTUP_SECONDS = 3.0


def marks(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


async def until_marked(path: Path, wanted: set[str], timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while not wanted <= set(marks(path)):
            await asyncio.sleep(0.05)


async def open_socket(server: ServerProcess, key: str) -> ClientConnection:
    return await connect(f"{server.ws_url}/ws/shutdown/?key={key}", origin=server.http_url)


async def close_code(ws: ClientConnection, timeout: float = 10) -> tuple[int | None, float]:
    """The close code this socket received from the server, and when (monotonic)."""
    async with asyncio.timeout(timeout):
        try:
            while True:
                await ws.recv()
        except ConnectionClosed as closed:
            return (closed.rcvd.code if closed.rcvd is not None else None), time.monotonic()


async def presence_keys(
    watcher: ClientConnection, present: set[str], until: set[str], timeout: float
) -> None:
    """Apply the watcher's presence pushes to ``present`` until it equals ``until``."""
    async with asyncio.timeout(timeout):
        while present != until:
            frame = await receive(watcher, timeout)
            if "id" in frame:
                continue
            if frame["event"] == "presence_state":
                present.clear()
                present.update(frame["data"]["state"])
            elif frame["event"] == "presence_diff":
                present.update(frame["data"]["joins"])
                present.difference_update(frame["data"]["leaves"])


async def test_sigterm_closes_every_socket_with_1012_and_exits_without_waiting_for_user_code(
    server_name: str, redis_url: str, tmp_path: Path
) -> None:
    trace = tmp_path / "marks"
    env = {
        "HYPER_TEST_LAYER": "core",
        "REDIS_URL": redis_url,
        "HYPER_TEST_PREFIX": f"shutdown-{uuid.uuid4().hex[:8]}",
        "HYPER_TEST_MARKS": str(trace),
    }
    with ServerProcess(APP, SETTINGS, env=env, server=server_name) as observer:
        stopping = ServerProcess(APP, SETTINGS, env=env, server=server_name).start()
        up = time.monotonic()
        try:
            watcher = await open_socket(observer, "watcher")
            present: set[str] = set()
            keys = [f"s{i}" for i in range(IDLE)]
            sockets = [await open_socket(stopping, key) for key in keys]
            await presence_keys(watcher, present, {"watcher", *keys}, timeout=15)

            busy: dict[str, Any] = {}
            for ws, (name, data) in zip(
                sockets, [("wait", {}), ("ticks", {}), ("block", {"seconds": BLOCKED_SECONDS})], strict=False
            ):
                await ws.send(json.dumps({"type": "action", "id": "1", "name": name, "data": data}))
                busy[name] = ws
            assert (await receive_item(busy["ticks"]))["data"] == {"value": "tick"}
            await until_marked(trace, {"wait-started s0", "block-started s2"})

            assert stopping.process is not None
            # daphne (Twisted) ignores a SIGTERM in its first ~2 s: it exits 0 at once, no
            # shutdown trigger runs, clients see 1006 (docs/deploy.md, "Shutdown").
            await asyncio.sleep(max(0.0, DAPHNE_STARTUP_SECONDS - (time.monotonic() - up)))
            started = time.monotonic()
            stopping.process.send_signal(signal.SIGTERM)
            closes = await asyncio.gather(*(close_code(ws) for ws in sockets))
            exit_code = await asyncio.to_thread(stopping.process.wait, 30)
            exited = time.monotonic() - started
            stopping.process = None
            try:
                await presence_keys(watcher, present, {"watcher"}, timeout=15)
            except TimeoutError:
                log = stopping.log()[-3000:]
                pytest.fail(f"still present: {sorted(present)}; marks {marks(trace)}; log: {log}")
            left = time.monotonic() - started
            await watcher.close()
        finally:
            stopping.stop()

    codes = [code for code, _ in closes]
    latest = max(at for _, at in closes) - started
    print(
        f"{server_name}: {IDLE} sockets closed {sorted(set(codes))} within {latest:.2f} s of SIGTERM; "
        f"exit {exit_code} after {exited:.2f} s; presence leaves seen after {left:.2f} s"
    )
    assert codes == [1012] * IDLE, codes
    seen = set(marks(trace))
    assert {f"disconnect-1012 {key}" for key in keys} <= seen, sorted(seen)
    assert {"wait-finally s0", "ticks-finally s1"} <= seen, sorted(seen)  # cancelled, finally ran
    assert "block-finally s2" not in seen  # the blocked sync action was not waited for
    assert exited < BLOCKED_SECONDS / 2, exited  # the exit did not wait on the blocked action
