"""Presence across two real daphne workers sharing Redis (docs/presence.md): a worker killed
with SIGKILL, updates and signals across processes, anonymous keys."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from websockets.asyncio.client import ClientConnection

from tests.servers import ServerProcess
from tests.wire import connect, receive

pytestmark = [pytest.mark.daphne, pytest.mark.redis]

TTL = 2.0
GRACE = 0.5
REFRESH = TTL / 3


class Cluster:
    def __init__(self, redis_url: str, kind: str, server: str) -> None:
        self.redis_url = redis_url
        self.signals = f"presence-signals-{uuid.uuid4().hex[:8]}"
        env = {
            "HYPER_TEST_LAYER": kind,
            "HYPER_TEST_PREFIX": f"presence-{uuid.uuid4().hex[:8]}",
            "REDIS_URL": redis_url,
            "HYPER_TEST_PRESENCE_TTL": str(TTL),
            "HYPER_TEST_PRESENCE_GRACE": str(GRACE),
            "HYPER_TEST_SIGNALS": self.signals,
        }
        app, settings = "tests.presence.asgi:application", "tests.presence.settings"
        self.a = ServerProcess(app, settings, env=env, server=server)
        self.b = ServerProcess(app, settings, env=env, server=server)

    def fired(self) -> list[dict[str, Any]]:
        client = redis.Redis.from_url(self.redis_url)
        return [json.loads(entry) for entry in client.lrange(self.signals, 0, -1)]


@pytest.fixture(params=["core", "pubsub"])
def cluster(request: pytest.FixtureRequest, redis_url: str, server_name: str) -> Iterator[Cluster]:
    cluster = Cluster(redis_url, request.param, server_name)
    with cluster.a, cluster.b:
        yield cluster
    redis.Redis.from_url(redis_url).delete(cluster.signals)


async def open_socket(server: ServerProcess, room: str, query: str = "") -> ClientConnection:
    return await connect(f"{server.ws_url}/ws/presence/{room}/?{query}", origin=server.http_url)


async def presence_push(ws: ClientConnection, timeout: float = 5) -> dict[str, Any]:
    """The next presence push (replies and other pushes are skipped)."""
    async with asyncio.timeout(timeout):
        while True:
            frame = await receive(ws, timeout)
            if "id" not in frame and frame["event"] in ("presence_state", "presence_diff"):
                return frame


async def presence_within(ws: ClientConnection, seconds: float) -> list[dict[str, Any]]:
    found = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            found.append(await presence_push(ws, left))
        except TimeoutError:
            break
    return found


async def call(ws: ClientConnection, name: str, data: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    invocation = uuid.uuid4().hex[:8]
    await ws.send(json.dumps({"type": "action", "id": invocation, "name": name, "data": data or {}}))
    frames: list[dict[str, Any]] = []
    while not frames or frames[-1].get("id") != invocation or frames[-1]["event"] not in ("end", "error"):
        frames.append(await receive(ws))
    return [f for f in frames if f.get("id") == invocation]


async def test_a_worker_killed_with_sigkill_loses_its_entries_and_one_leave_is_pushed(
    cluster: Cluster,
) -> None:
    room = uuid.uuid4().hex[:8]
    ann = await open_socket(cluster.a, room, "key=ann&name=Ann")
    assert (await presence_push(ann))["data"]["state"] == {"ann": [{"name": "Ann"}]}
    bob = await open_socket(cluster.b, room, "key=bob&name=Bob")
    assert sorted((await presence_push(bob))["data"]["state"]) == ["ann", "bob"]
    await asyncio.sleep(REFRESH * 1.5)  # both workers have refreshed at least once
    assert cluster.a.process is not None
    cluster.a.process.kill()  # SIGKILL: no close, no untrack
    killed = time.monotonic()
    left = await presence_push(bob, timeout=TTL + REFRESH + GRACE + 5)
    elapsed = time.monotonic() - killed
    assert left["data"] == {
        "group": f"room-{room}",
        "joins": {},
        "leaves": {"ann": [{"name": "Ann"}]},
        "updates": {},
    }
    assert elapsed <= TTL + REFRESH + 1.0, elapsed
    # Exactly once: no second leave from anyone, and one presence_left, fired by worker B.
    assert await presence_within(bob, TTL + REFRESH) == []
    fired = [(f["signal"], f["key"]) for f in cluster.fired()]
    assert fired.count(("left", "ann")) == 1, fired
    assert fired.count(("joined", "ann")) == 1, fired
    await bob.close()
    cluster.a.process.wait(5)
    cluster.a.process = None


async def test_updates_and_signals_across_two_workers(cluster: Cluster) -> None:
    room = uuid.uuid4().hex[:8]
    group = f"room-{room}"
    bob = await open_socket(cluster.b, room, "key=bob&name=Bob")
    await presence_push(bob)
    ann_a = await open_socket(cluster.a, room, "key=ann&name=Ann")
    await presence_push(ann_a)
    assert (await presence_push(bob))["data"]["joins"] == {"ann": [{"name": "Ann"}]}
    ann_b = await open_socket(cluster.b, room, "key=ann&name=Ann")  # her second tab, other worker
    assert (await presence_push(bob))["data"]["updates"] == {"ann": [{"name": "Ann"}, {"name": "Ann"}]}
    # "typing" on worker A reaches bob on worker B as an update of ann's metas.
    await call(ann_a, "typing", {"typing": True})
    update = (await presence_push(bob))["data"]
    assert update["joins"] == {} and update["leaves"] == {}
    assert sorted(update["updates"]["ann"], key=len) == [{"name": "Ann"}, {"name": "Ann", "typing": True}]
    # A meta JSON can't carry is refused where it is given; nothing reaches bob.
    replies = await call(ann_a, "bad_meta")
    assert replies[0]["data"] == {"value": "refused: ValueError"}
    # Anonymous sockets on either worker get a key each.
    anon_a = await open_socket(cluster.a, room, "name=x")
    anon_b = await open_socket(cluster.b, room, "name=y")
    who = await call(bob, "who")
    present = who[0]["data"]["who"]
    assert len(present) == 4 and {"ann", "bob"} <= set(present), present
    for ws in (anon_a, anon_b):
        await ws.close()
    await ann_a.close()
    await ann_b.close()
    await asyncio.sleep(GRACE + 1.5)
    leaves = [push["data"]["leaves"] for push in await presence_within(bob, 0.5)]
    assert ["ann" in each for each in leaves].count(True) == 1, leaves
    deadline = asyncio.get_running_loop().time() + 15  # a loaded machine: the leaves may lag
    while True:
        fired = [(f["signal"], f["group"], f["key"]) for f in cluster.fired()]
        if len([f for f in fired if f[0] == "left"]) >= 3 or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.2)
    assert fired.count(("joined", group, "ann")) == 1, fired
    assert fired.count(("left", group, "ann")) == 1, fired
    assert fired.count(("joined", group, "bob")) == 1, fired
    assert len([f for f in fired if f[0] == "left"]) == 3, fired  # ann and the two anonymous keys
    await bob.close()
