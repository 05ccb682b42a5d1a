"""However a socket ends, its presence and groups are let go (docs/presence.md): a client that
leaves while ``connect()`` still runs, on real daphne and uvicorn; an application that fails.

Seen in CI: a client closed its socket while the server's ``connect()`` was tracking it; the
presence state frame then met daphne's closed protocol, the 1011 close after it made autobahn
raise, the application ended before its end ran, and its process kept the entry present (and
refreshed) for ever: no leave, no ``presence_left``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from channels.routing import URLRouter
from django.test import override_settings
from django.urls import path

from hyperchannels import apresence
from hyperchannels.testing import ActionCommunicator
from tests.presence.consumers import PresenceRoom
from tests.presence.test_workers import open_socket, presence_push, presence_within
from tests.servers import ServerProcess

GRACE = 0.5


@pytest.fixture
def server(redis_url: str, server_name: str) -> Iterator[ServerProcess]:
    env = {
        "HYPER_TEST_LAYER": "core",
        "HYPER_TEST_PREFIX": f"endings-{uuid.uuid4().hex[:8]}",
        "REDIS_URL": redis_url,
        "HYPER_TEST_PRESENCE_GRACE": str(GRACE),
    }
    with ServerProcess(
        "tests.presence.asgi:application", "tests.presence.settings", env=env, server=server_name
    ) as process:
        yield process


@pytest.mark.daphne
@pytest.mark.redis
async def test_a_client_that_leaves_while_connect_runs_is_never_present(server: ServerProcess) -> None:
    """docs/presence.md: the client's leaving cancels the rest of ``connect()`` (its ``track``),
    so nobody sees the socket join or leave; nothing fails in the server."""
    room = uuid.uuid4().hex[:8]
    bob = await open_socket(server, room, "key=bob&name=Bob")
    assert list((await presence_push(bob))["data"]["state"]) == ["bob"]
    quick = await open_socket(server, room, "key=quick&name=Q&delay=0.5")  # accepted, not tracked yet
    await quick.close()  # the tab closes while connect() still runs
    assert await presence_within(bob, 0.5 + GRACE + 1.0) == []  # no join, no leave
    carol = await open_socket(server, room, "key=carol&name=Carol")
    assert sorted((await presence_push(carol))["data"]["state"]) == ["bob", "carol"]
    await carol.close()
    await bob.close()
    log = server.log()
    assert "Exception inside application" not in log, log[-3000:]
    assert "could not open a socket" not in log, log[-3000:]


class FailingRoom(PresenceRoom):
    """Tracks itself in ``connect()``, then fails: the exception ends the application."""

    disconnected: list[int] = []

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        await super().websocket_connect(message)
        raise RuntimeError("a bug after the socket opened")

    async def disconnect(self, code: int) -> None:
        FailingRoom.disconnected.append(code)


@override_settings(HYPERCHANNELS={"PRESENCE_GRACE": 0.2})
async def test_an_application_that_fails_still_lets_go_of_its_presence_and_groups() -> None:
    from channels.layers import get_channel_layer

    room = uuid.uuid4().hex[:8]
    app = URLRouter([path("ws/presence/<str:room>/", FailingRoom.as_asgi())])
    socket = ActionCommunicator(app, f"/ws/presence/{room}/?key=ann")
    connected, _ = await socket.connect()
    assert connected
    with pytest.raises(RuntimeError, match="a bug after the socket opened"):
        await socket.wait(5)
    assert FailingRoom.disconnected == [1011]
    layer = get_channel_layer()
    assert not layer.groups.get(f"room-{room}")  # its process's relay left the group
    await asyncio.sleep(0.6)  # the grace
    assert await apresence(f"room-{room}") == {}
