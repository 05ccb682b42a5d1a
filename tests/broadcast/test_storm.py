"""A reconnect storm (a deploy, a worker restart: every page of a worker comes back at once):
each socket's opening ``positions`` push still names its group (docs/recovery.md), so its page
resumes rather than resyncs, and the worker's relay of the group keeps working."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.servers import ServerProcess
from tests.wire import connect, item, opening, receive_item

pytestmark = pytest.mark.daphne

APP = "tests.broadcast.asgi:application"
SETTINGS = "tests.broadcast.settings"
STORM = 150  # more at once than redis-py's default connection pool (100) holds


@pytest.mark.parametrize("kind", ["core", "pubsub"])
async def test_sockets_opening_all_at_once_each_get_their_group_position(
    kind: str, redis_url: str, server_name: str
) -> None:
    env = {
        "HYPER_TEST_LAYER": kind,
        "REDIS_URL": redis_url,
        "HYPER_TEST_PREFIX": f"hyperstorm-{uuid.uuid4().hex[:8]}",
    }
    with ServerProcess(APP, SETTINGS, env=env, server=server_name) as server:
        url, origin = f"{server.ws_url}/ws/room/storm/", server.http_url
        opened = await asyncio.gather(
            *(connect(url, origin=origin, timeout=30) for _ in range(STORM)), return_exceptions=True
        )
        sockets = [ws for ws in opened if not isinstance(ws, BaseException)]
        try:
            assert len(sockets) == STORM, [repr(ws) for ws in opened if isinstance(ws, BaseException)][:3]
            unplaced = sum(opening(ws) != opening(sockets[0]) for ws in sockets)
            assert "room-storm" in opening(sockets[0]) and unplaced == 0, (
                f"{unplaced + ('room-storm' not in opening(sockets[0]))} of {STORM} sockets opened without "
                f"their group's position; the worker logged:\n"
                + "\n".join(
                    line for line in server.log().splitlines() if "WARNING" in line or "Error" in line
                )
            )
            async with connect(url, origin=origin) as talker:
                await talker.send('{"type": "action", "id": "1", "name": "shout", "data": {"text": "all"}}')
                for ws in sockets:
                    assert item(await receive_item(ws, 10)) == {"event": "toast", "data": {"value": "all"}}
        finally:
            await asyncio.gather(*(ws.close() for ws in sockets))
