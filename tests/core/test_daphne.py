"""The protocol through a real server process (each of ``tests.servers.SERVERS``: daphne, uvicorn)
and real ``websockets`` clients."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import InvalidStatus

from tests.servers import ServerProcess
from tests.wire import connect

pytestmark = pytest.mark.daphne


@pytest.fixture(scope="module")
def server(server_name: str) -> Iterator[ServerProcess]:
    with ServerProcess(server=server_name) as process:
        yield process


def socket_to(server: ServerProcess, path: str = "/ws/core/", origin: str | None = None) -> connect:
    """A socket in no group: its opening ``positions`` push is empty, and checked."""
    return connect(server.ws_url + path, groups=(), origin=origin or server.http_url)


async def call(ws: ClientConnection, frame: dict[str, Any]) -> list[dict[str, Any]]:
    await ws.send(json.dumps(frame))
    frames = []
    while True:
        reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
        frames.append(reply)
        if reply.get("id") == frame.get("id") and reply["event"] in ("end", "redirect", "error"):
            return frames


async def test_action_round_trip_over_a_real_socket(server: ServerProcess) -> None:
    async with socket_to(server) as ws:
        assert await call(
            ws, {"type": "action", "id": "1", "name": "toast", "data": {"message": "real"}}
        ) == [
            {"id": "1", "event": "toast", "data": {"value": "real"}},
            {"id": "1", "event": "end", "data": {}},
        ]
        await ws.send("not json")
        assert json.loads(await ws.recv()) == {
            "id": None,
            "event": "error",
            "data": {"status": 400, "message": "Frame is not valid JSON"},
        }
        await ws.send(b"\x00binary")
        assert json.loads(await ws.recv())["data"]["status"] == 400
        frames = await call(ws, {"type": "action", "id": "2", "name": "sync_stream", "data": {"n": 3}})
        assert [f["data"].get("value") for f in frames] == [0, 1, 2, None]
        assert (await call(ws, {"type": "action", "id": "3", "name": "boom"}))[-1]["data"] == {
            "status": 500,
            "message": "Internal server error",
        }


async def test_foreign_origin_is_refused_at_the_handshake(server: ServerProcess) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with socket_to(server, origin="https://evil.example"):
            pass
    assert refused.value.response.status_code == 403


async def test_sync_actions_on_ten_real_sockets_run_side_by_side(server: ServerProcess) -> None:
    sockets = [await socket_to(server) for _ in range(10)]
    started = time.monotonic()
    results = await asyncio.gather(
        *(
            call(ws, {"type": "action", "id": "s", "name": "slow_sync", "data": {"seconds": 0.5}})
            for ws in sockets
        )
    )
    elapsed = time.monotonic() - started
    for ws in sockets:
        await ws.close()
    assert all(r[-1]["event"] == "end" for r in results)
    assert elapsed < 2.5, elapsed


async def test_closing_mid_stream_leaves_the_server_serving(server: ServerProcess) -> None:
    async with socket_to(server) as ws:
        await ws.send(json.dumps({"type": "action", "id": "g", "name": "slow_async", "data": {"seconds": 2}}))
    async with socket_to(server) as ws:
        assert (await call(ws, {"type": "action", "id": "1", "name": "toast"}))[-1]["event"] == "end"
    assert "Exception inside application" not in server.log()
