"""Broadcasts across real server processes (daphne, then uvicorn) sharing Redis, idle sockets,
and Redis outages."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import InvalidStatus

from tests.redis_server import PrivateRedis
from tests.servers import ROOT, ServerProcess
from tests.wire import connect, item, item_within, opening, receive, receive_item

pytestmark = pytest.mark.daphne

APP = "tests.broadcast.asgi:application"
SETTINGS = "tests.broadcast.settings"


def worker(kind: str, redis_url: str | None, prefix: str, server: str) -> ServerProcess:
    env = {"HYPER_TEST_LAYER": kind, "HYPER_TEST_PREFIX": prefix}
    if redis_url:
        env["REDIS_URL"] = redis_url
    return ServerProcess(APP, SETTINGS, env=env, server=server)


async def open_socket(server: ServerProcess, room: str) -> ClientConnection:
    """A socket in ``room-<room>``, its opening ``positions`` push checked (see ``opening``)."""
    return await connect(f"{server.ws_url}/ws/room/{room}/", groups=[f"room-{room}"], origin=server.http_url)


async def next_frame(ws: ClientConnection, timeout: float = 5) -> dict[str, Any]:
    """The next frame whatever it is: a stray protocol push fails the comparison."""
    return await receive(ws, timeout)


async def nothing_within(ws: ClientConnection, seconds: float) -> bool:
    try:
        await asyncio.wait_for(ws.recv(), seconds)
    except TimeoutError:
        return True
    return False


async def call(ws: ClientConnection, name: str, data: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    invocation = uuid.uuid4().hex[:8]
    await ws.send(json.dumps({"type": "action", "id": invocation, "name": name, "data": data or {}}))
    frames = []
    while True:
        frame = await next_frame(ws)
        if "id" not in frame:  # a push: a spared frame's position, or a broadcast still arriving
            continue
        assert frame.get("id") == invocation, frame
        frames.append(frame)
        if frame["event"] in ("end", "error", "redirect"):
            return frames


def broadcast_from_another_process(kind: str, redis_url: str, prefix: str, group: str, text: str) -> str:
    """A plain Python process (no daphne, no loop of ours) calling the sync ``broadcast``."""
    script = (
        "import django; django.setup()\n"
        "from hyperchannels import Toast\n"
        "from hyperchannels import broadcast\n"
        f"print(broadcast({group!r}, Toast({text!r})))\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "HYPER_TEST_LAYER": kind,
        "REDIS_URL": redis_url,
        "HYPER_TEST_PREFIX": prefix,
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    return result.stdout


@pytest.fixture(params=["core", "pubsub"])
def two_workers(
    request: pytest.FixtureRequest, redis_url: str, server_name: str
) -> Iterator[tuple[str, str, ServerProcess, ServerProcess]]:
    kind: str = request.param
    prefix = f"hyperproc-{uuid.uuid4().hex[:8]}"
    a, b = worker(kind, redis_url, prefix, server_name), worker(kind, redis_url, prefix, server_name)
    with a, b:
        yield kind, prefix, a, b


async def test_broadcast_crosses_daphne_processes_and_survives_a_worker_restart(
    two_workers: tuple[str, str, ServerProcess, ServerProcess], redis_url: str
) -> None:
    kind, prefix, a, b = two_workers
    sender, on_a = await open_socket(a, "p"), await open_socket(a, "p")
    on_b = await open_socket(b, "p")
    start = opening(sender)["room-p"]
    assert opening(on_a) == opening(on_b) == {"room-p": start}  # one history for both workers
    # From an action on worker A, everyone but the sender, on both workers.
    assert (await call(sender, "shout", {"text": "hello"}))[0]["data"] == {"value": "sent"}
    hello = start["seq"] + 1
    for ws in (on_a, on_b):
        toast, signal = await next_frame(ws), await next_frame(ws)
        assert item(toast) == {"event": "toast", "data": {"value": "hello"}}
        assert item(signal) == {"event": "patch_signals", "data": {"last": "hello"}}
        assert [(f["group"], f["seq"]) for f in (toast, signal)] == [("room-p", hello), ("room-p", hello + 1)]
    # The sender was spared both frames: it is told each one's position instead, in order.
    for seq in (hello, hello + 1):
        assert await next_frame(sender) == {
            "event": "positions",
            "data": {"room-p": {"seq": seq, "epoch": start["epoch"]}},
        }
    assert await nothing_within(sender, 0.5)
    # From a separate plain Python process: everyone.
    await asyncio.to_thread(broadcast_from_another_process, kind, redis_url, prefix, "room-p", "cron")
    for ws in (sender, on_a, on_b):
        assert await next_frame(ws) == {
            "event": "toast",
            "data": {"value": "cron"},
            "group": "room-p",
            "seq": hello + 2,
        }
    # Worker B restarts: its old socket is gone, a new one receives again.
    await asyncio.to_thread(b.restart)
    fresh = await open_socket(b, "p")
    assert opening(fresh) == {"room-p": {"seq": hello + 2, "epoch": start["epoch"]}}
    await call(sender, "shout", {"text": "again"})
    for ws in (fresh, on_a):
        again = await next_frame(ws)
        assert item(again) == {"event": "toast", "data": {"value": "again"}}
        assert (again["group"], again["seq"]) == ("room-p", hello + 3)
    for ws in (sender, on_a, fresh):
        await ws.close()


async def test_close_codes_sent_from_another_process_arrive_as_sent(redis_url: str, server_name: str) -> None:
    """``close_group`` with each kind of code (normal, the default 4000, the 44xx codes that stop
    the browser client for good, another app code): the server passes each on unchanged."""
    prefix = f"hyperclose-{uuid.uuid4().hex[:8]}"
    codes = [1000, 4000, 4401, 4403, 4408, 3001]
    with worker("pubsub", redis_url, prefix, server_name) as server:
        sockets = [await open_socket(server, f"close-{code}") for code in codes]
        script = "import django; django.setup()\nfrom hyperchannels import close_group\n" + "".join(
            f"close_group('room-close-{code}', {code})\n" for code in codes
        )
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            "HYPER_TEST_LAYER": "pubsub",
            "REDIS_URL": redis_url,
            "HYPER_TEST_PREFIX": prefix,
            "PYTHONPATH": str(ROOT),
        }
        result = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-c", script],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        received = []
        for ws in sockets:
            await asyncio.wait_for(ws.wait_closed(), 10)
            closed = ws.protocol.close_rcvd  # the close frame the server sent (None: no frame)
            received.append(closed.code if closed is not None else None)
        assert received == codes
        assert "Traceback" not in server.log(), server.log()


async def test_idle_sockets_still_receive_after_15_seconds_on_every_layer(
    redis_url: str, server_name: str
) -> None:
    prefix = f"hyperidle-{uuid.uuid4().hex[:8]}"
    servers = [worker(kind, redis_url, prefix, server_name) for kind in ("memory", "core", "pubsub")]
    for server in servers:
        server.start()
    try:
        idle = [await open_socket(s, "idle") for s in servers]
        await asyncio.sleep(15.5)
        for server, ws in zip(servers, idle, strict=True):
            talker = await open_socket(server, "idle")
            await call(talker, "shout", {"text": "wake up"})
            woken = await next_frame(ws)
            assert item(woken) == {"event": "toast", "data": {"value": "wake up"}}, server.extra_env
            assert woken["group"] == "room-idle", woken
            await talker.close()
            await ws.close()
        for server in servers:
            assert "TimeoutError" not in server.log(), server.log()
    finally:
        for server in servers:
            server.stop()


async def test_redis_outage_keeps_sockets_open_and_recovers(
    private_redis: PrivateRedis, server_name: str
) -> None:
    prefix = f"hyperfault-{uuid.uuid4().hex[:8]}"
    with worker("core", private_redis.url, prefix, server_name) as server:
        listener, talker = await open_socket(server, "f"), await open_socket(server, "f")
        await call(talker, "shout", {"text": "before"})
        assert item(await next_frame(listener)) == {"event": "toast", "data": {"value": "before"}}
        assert item(await next_frame(listener)) == {"event": "patch_signals", "data": {"last": "before"}}

        await asyncio.to_thread(private_redis.stop)
        await asyncio.sleep(1.0)
        # Sockets stay open; actions that don't touch the layer keep working.
        assert (await call(listener, "ping"))[0]["data"] == {"value": "pong"}
        # A broadcast fails with a clear, bounded error (no hang, no silent loss).
        started = time.monotonic()
        with pytest.raises(RuntimeError, match="BroadcastError"):
            await asyncio.to_thread(
                broadcast_from_another_process, "core", private_redis.url, prefix, "room-f", "lost"
            )
        assert time.monotonic() - started < 30
        frames = await call(talker, "shout", {"text": "down"})
        assert frames[-1]["event"] == "error" and frames[-1]["data"]["status"] == 500
        # A new socket whose group this process already relays opens without Redis; one that
        # needs a group the layer must be told of is refused, alone.
        # Its opening positions can't be read from the history while Redis is down: it opens
        # with none, and its page learns the group's position with the first push.
        late = await connect(f"{server.ws_url}/ws/room/f/", groups=[], origin=server.http_url)
        with pytest.raises(InvalidStatus):
            await open_socket(server, "new-room")
        assert "Exception inside application" not in server.log()

        await asyncio.to_thread(private_redis.start)
        deadline = time.monotonic() + 20
        while True:  # the sockets rejoin their groups once the layer answers again
            await asyncio.to_thread(
                broadcast_from_another_process, "core", private_redis.url, prefix, "room-f", "after"
            )
            # Protocol pushes may come first (the history Redis held is gone: a new epoch).
            arrived = await item_within(listener, 1.0)
            if arrived is not None:
                break
            assert time.monotonic() < deadline, server.log()
        assert item(arrived) == {"event": "toast", "data": {"value": "after"}}
        assert (await call(listener, "ping"))[0]["data"] == {"value": "pong"}
        assert item(await receive_item(late)) == {"event": "toast", "data": {"value": "after"}}
        await late.close()
        await listener.close()
        await talker.close()
