"""Presence in one process, on every layer, through ActionCommunicator (docs/presence.md)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from django.contrib.auth.models import AnonymousUser
from django.test import override_settings

from hyperchannels import apresence, presence
from hyperchannels.signals import presence_joined, presence_left
from hyperchannels.testing import ActionCommunicator
from hyperchannels.tracking import tracker_for
from tests.presence.routing import websocket_urlpatterns

GRACE = 0.4

app = URLRouter(websocket_urlpatterns)


class User:
    is_authenticated = True

    def __init__(self, pk: int) -> None:
        self.pk = pk


def as_user(user: Any) -> Any:
    async def application(scope: Any, receive: Any, send: Any) -> None:
        await app({**scope, "user": user}, receive, send)

    return application


@pytest.fixture(autouse=True)
def short_grace() -> Any:
    with override_settings(HYPERCHANNELS={"PRESENCE_GRACE": GRACE, "PRESENCE_TTL": 1.5}):
        yield


@pytest.fixture
def room(layer: str) -> str:
    return f"p{id(object())}"


class Sockets:
    def __init__(self) -> None:
        self.opened: list[ActionCommunicator] = []

    async def open(self, room: str, query: str = "", user: Any = None) -> ActionCommunicator:
        application = as_user(user) if user is not None else app
        socket = ActionCommunicator(application, f"/ws/presence/{room}/?{query}")
        connected, _ = await socket.connect()
        assert connected
        await socket.receive_positions()  # the opening push; what follows is presence
        self.opened.append(socket)
        return socket

    async def close(self, socket: ActionCommunicator) -> None:
        self.opened.remove(socket)
        await socket.disconnect()


@pytest.fixture
async def sockets() -> AsyncIterator[Sockets]:
    opened = Sockets()
    yield opened
    for socket in opened.opened:
        await socket.disconnect()


async def state(socket: ActionCommunicator) -> dict[str, Any]:
    event, data = await socket.receive_protocol_push()
    assert event == "presence_state", (event, data)
    return data


async def diff(socket: ActionCommunicator, timeout: float = 5) -> dict[str, Any]:
    event, data = await socket.receive_protocol_push(timeout)
    assert event == "presence_diff", (event, data)
    return data


async def no_push(socket: ActionCommunicator, seconds: float) -> None:
    with pytest.raises(TimeoutError):
        got = await socket.receive_protocol_push(seconds)
        print("unexpected", got)


async def test_tabs_of_one_key_join_once_and_leave_after_the_grace(room: str, sockets: Sockets) -> None:
    group = f"room-{room}"
    bob = await sockets.open(room, "key=bob&name=Bob")
    assert await state(bob) == {"group": group, "state": {"bob": [{"name": "Bob"}]}}
    ann1 = await sockets.open(room, "key=ann&name=Ann")
    assert (await state(ann1))["state"] == {"bob": [{"name": "Bob"}], "ann": [{"name": "Ann"}]}
    joined = {"group": group, "joins": {"ann": [{"name": "Ann"}]}, "leaves": {}, "updates": {}}
    assert await diff(bob) == joined
    ann2 = await sockets.open(room, "key=ann&name=Ann")
    assert (await diff(bob)) == {
        "group": group, "joins": {}, "leaves": {}, "updates": {"ann": [{"name": "Ann"}, {"name": "Ann"}]}
    }
    assert sorted(await apresence(group)) == ["ann", "bob"]
    assert len((await apresence(group))["ann"]) == 2
    # One tab of two closes: ann is still here (an update of her metas, no leave).
    await sockets.close(ann1)
    one_tab = {"group": group, "joins": {}, "leaves": {}, "updates": {"ann": [{"name": "Ann"}]}}
    assert (await diff(bob)) == one_tab
    # Her last tab closes: she leaves once the grace has passed, not before.
    closed = time.monotonic()
    await sockets.close(ann2)  # (the communicator may wait up to 1 s for the app to end)
    left = await diff(bob)
    assert time.monotonic() - closed >= GRACE - 0.05
    assert left == {"group": group, "joins": {}, "leaves": {"ann": [{"name": "Ann"}]}, "updates": {}}
    assert await apresence(group) == {"bob": [{"name": "Bob"}]}
    await no_push(bob, GRACE)


@override_settings(HYPERCHANNELS={"PRESENCE_GRACE": 3, "PRESENCE_TTL": 30})
async def test_a_reload_is_no_leave_and_no_join(room: str, sockets: Sockets) -> None:
    bob = await sockets.open(room, "key=bob&name=Bob")
    await state(bob)
    ann = await sockets.open(room, "key=ann&name=Ann")
    assert "ann" in (await diff(bob))["joins"]
    await sockets.close(ann)
    ann = await sockets.open(room, "key=ann&name=Ann")
    assert (await state(ann))["state"]["ann"] == [{"name": "Ann"}]
    await no_push(bob, 3.2)
    # Back with another meta: an update, still no leave or join.
    await sockets.close(ann)
    ann = await sockets.open(room, "key=ann&name=Annie")
    assert await diff(bob) == {
        "group": f"room-{room}", "joins": {}, "leaves": {}, "updates": {"ann": [{"name": "Annie"}]}
    }
    await no_push(bob, 0.5)


async def test_update_presence_is_an_update(room: str, sockets: Sockets) -> None:
    bob = await sockets.open(room, "key=bob&name=Bob")
    await state(bob)
    ann = await sockets.open(room, "key=ann&name=Ann")
    await state(ann)
    await diff(bob)
    await ann.call("typing", {"typing": True})
    typing = {"ann": [{"name": "Ann", "typing": True}]}
    assert await diff(bob) == {"group": f"room-{room}", "joins": {}, "leaves": {}, "updates": typing}
    assert (await apresence(f"room-{room}"))["ann"] == [{"name": "Ann", "typing": True}]


async def test_keys_default_to_the_user_or_the_socket(room: str, sockets: Sockets) -> None:
    group = f"room-{room}"
    first = await sockets.open(room, "name=x", user=AnonymousUser())
    await sockets.open(room, "name=y")
    signed_in = await sockets.open(room, "name=z", user=User(42))
    await state(first)
    await state(signed_in)  # its track() has stored it (the state is sent last)
    found = await apresence(group)
    assert len(found) == 3 and "42" in found
    assert found["42"] == [{"name": "z"}]
    anonymous = [key for key in found if key != "42"]
    assert len(set(anonymous)) == 2
    assert sorted(meta["name"] for key in anonymous for meta in found[key]) == ["x", "y"]
    assert await sync_to_async(presence)(group) == found
    del signed_in


async def test_metas_are_checked_where_they_are_given(room: str, sockets: Sockets) -> None:
    ann = await sockets.open(room, "key=ann&name=Ann")
    await state(ann)
    events = await ann.call("bad_meta")
    assert ("toast", {"value": "refused: ValueError"}) in events
    assert (await apresence(f"room-{room}"))["ann"] == [{"name": "Ann"}]
    other = await sockets.open(room, "track=0")
    consumer_errors = []
    from hyperchannels.tracking import meta_text

    for bad, error in [({"x": float("inf")}, ValueError), ({"x": object()}, TypeError), ([1], TypeError)]:
        with pytest.raises(error):
            meta_text(bad)
        consumer_errors.append(error)
    assert len(consumer_errors) == 3
    del other


async def test_track_needs_a_joined_group_and_no_second_track(room: str, sockets: Sockets) -> None:
    ann = await sockets.open(room, "key=ann")
    await state(ann)
    events = await ann.call("start")  # already tracking
    assert events[-1][0] == "error" and events[-1][1]["status"] == 500


async def test_untrack_leaves_and_stops_the_pushes(room: str, sockets: Sockets) -> None:
    group = f"room-{room}"
    bob = await sockets.open(room, "key=bob")
    await state(bob)
    ann = await sockets.open(room, "key=ann")
    await state(ann)
    await diff(bob)
    await ann.call("stop")
    assert (await diff(bob))["leaves"] == {"ann": [{"name": "someone"}]}
    await sockets.open(room, "key=carol")
    assert "carol" in (await diff(bob))["joins"]
    await asyncio.sleep(0.3)
    while True:  # no longer tracking: no diff about carol (an earlier one about bob may be late)
        try:
            event, data = await ann.receive_protocol_push(0.01)
        except TimeoutError:
            break
        assert "carol" not in data.get("joins", {}), data
    assert sorted(await apresence(group)) == ["bob", "carol"]


async def test_signals_fire_once_per_key_change(room: str, sockets: Sockets) -> None:
    seen: list[tuple[str, str, str, Any]] = []

    def joined(sender: str, key: str, metas: Any, **kwargs: Any) -> None:
        seen.append(("joined", sender, key, metas))

    async def left(sender: str, key: str, metas: Any, **kwargs: Any) -> None:
        seen.append(("left", sender, key, metas))

    presence_joined.connect(joined)
    presence_left.connect(left)
    try:
        group = f"room-{room}"
        a1 = await sockets.open(room, "key=ann&name=Ann")
        a2 = await sockets.open(room, "key=ann&name=Ann")
        await a2.call("typing", {"typing": True})
        await sockets.close(a1)
        await sockets.close(a2)
        await asyncio.sleep(GRACE + 0.4)
        assert [s[:3] for s in seen] == [("joined", group, "ann"), ("left", group, "ann")]
        assert seen[0][3] == [{"name": "Ann"}]
        assert seen[1][3] == [{"name": "Ann", "typing": True}]
    finally:
        presence_joined.disconnect(joined)
        presence_left.disconnect(left)


async def test_entries_of_a_process_that_stopped_refreshing_expire_into_one_leave(
    room: str, sockets: Sockets, layer: str
) -> None:
    """An entry nobody refreshes (its process died) is swept by a live process: one leave."""
    group = f"room-{room}"
    bob = await sockets.open(room, "key=bob")
    await state(bob)
    tracker = tracker_for(get_channel_layer())
    # The entry of a process that is gone: written to the store, refreshed by nobody.
    await tracker.store.track(group, "dead-process-socket", "ghost", '{"name":"Ghost"}', 0.5, 10)
    assert "ghost" in await apresence(group)
    left = await diff(bob, timeout=4)
    assert left["leaves"] == {"ghost": [{"name": "Ghost"}]}
    await no_push(bob, 1.0)
    assert sorted(await apresence(group)) == ["bob"]


def store_then_hang(monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """Make the presence store's ``track`` write its entry, then wait until cancelled; the
    returned event is set once the entry is stored."""
    tracker = tracker_for(get_channel_layer())
    stored, write = asyncio.Event(), tracker.store.track

    async def write_then_hang(*args: Any) -> Any:
        found = await write(*args)
        stored.set()
        await asyncio.Event().wait()  # cancelled here
        return found

    monkeypatch.setattr(tracker.store, "track", write_then_hang)
    return stored


async def gone(key: str, group: str, because: str) -> None:
    deadline = time.monotonic() + 5
    while key in await apresence(group):
        assert time.monotonic() < deadline, because
        await asyncio.sleep(0.05)


async def test_a_client_that_leaves_while_track_waits_leaves_no_entry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The handshake is cancelled when its client leaves (docs/deploy.md): a ``track()`` whose
    entry is already stored is untracked by the socket's end, not left behind present."""
    room = f"p{id(object())}"  # the settings' in-memory layer: the store is what is cancelled
    group = f"room-{room}"
    stored = store_then_hang(monkeypatch)
    socket = ActionCommunicator(app, f"/ws/presence/{room}/?key=stuck")
    await socket.send_input({"type": "websocket.connect"})
    await asyncio.wait_for(stored.wait(), 5)
    assert "stuck" in await apresence(group)
    await socket.send_input({"type": "websocket.disconnect", "code": 1001})
    await socket.wait(5)
    await gone("stuck", group, "the stored entry stayed present after its socket ended")


async def test_a_track_cancelled_in_an_action_untracks_and_can_be_retried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """docs/presence.md: a ``track`` cancelled part way (here by the action's ``cancel``) leaves
    the socket untracked, its stored entry untracked, and ``track`` may be called again."""
    room = f"p{id(object())}"
    group = f"room-{room}"
    socket = ActionCommunicator(app, f"/ws/presence/{room}/?key=ann&track=0")
    connected, _ = await socket.connect()
    assert connected
    stored = store_then_hang(monkeypatch)
    invocation = await socket.send_action("start", {})
    await asyncio.wait_for(stored.wait(), 5)
    await socket.cancel(invocation)
    assert (await socket.receive_reply(invocation))[0] == "error"
    await gone("ann", group, "the cancelled track's entry stayed")
    monkeypatch.undo()  # the store writes and returns again
    assert await socket.call("start", {}) == [("toast", {"value": "tracked"}), ("end", {})]
    assert "ann" in await apresence(group)
    await socket.disconnect()
