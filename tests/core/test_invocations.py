"""Streaming, ordering, concurrency, cancellation and limits of invocations (docs/actions.md)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from django.test import override_settings

from hyperchannels.testing import ActionCommunicator
from tests.app import consumers
from tests.app.asgi import websocket_app


@pytest.fixture
async def comm() -> AsyncIterator[ActionCommunicator]:
    communicator = ActionCommunicator(websocket_app, "/ws/core/")
    connected, _ = await communicator.connect()
    assert connected
    yield communicator
    await communicator.disconnect()


def gate() -> str:
    name = uuid.uuid4().hex
    consumers.GATES[name] = threading.Event()
    return name


async def eventually(predicate: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("action", ["gated_stream", "gated_sync_stream"])
async def test_a_stream_sends_each_item_when_it_is_yielded(comm: ActionCommunicator, action: str) -> None:
    name = gate()
    invocation = await comm.send_action(action, {"gate": name})
    # The first item arrives while the generator is still blocked before its second.
    assert await comm.receive_reply(invocation) == ("toast", {"value": "first"})
    assert await comm.receive_nothing(timeout=0.1)
    consumers.GATES[name].set()
    assert await comm.receive_reply(invocation) == ("toast", {"value": "second"})
    assert await comm.receive_reply(invocation) == ("end", {})


@pytest.mark.parametrize("action", ["redirect_stream", "async_redirect_stream"])
async def test_redirect_is_terminal_and_closes_the_generator(comm: ActionCommunicator, action: str) -> None:
    token = uuid.uuid4().hex
    events = await comm.call(action, {"token": token})
    assert [e for e, _ in events] == ["toast", "redirect"]
    await eventually(lambda: consumers.CLOSED.get(token) == "closed")
    assert await comm.receive_nothing(timeout=0.1)


async def test_sync_generator_runs_every_step_and_its_close_on_one_thread(comm: ActionCommunicator) -> None:
    name = gate()
    invocation = await comm.send_action("gated_sync_stream", {"gate": name})
    await comm.receive_reply(invocation)
    consumers.GATES[name].set()
    await comm.receive_until_terminal(invocation)
    await eventually(lambda: name in consumers.CLOSED)
    assert consumers.CLOSED[name].startswith("hyper-gen")


async def test_invocations_of_one_socket_run_concurrently_and_keep_their_own_order(
    comm: ActionCommunicator,
) -> None:
    slow = await comm.send_action("slow_async", {"seconds": 0.3, "label": "slow"})
    fast = await comm.send_action("slow_async", {"seconds": 0.0, "label": "fast"})
    stream = await comm.send_action("async_stream", {"n": 5})
    first = json.loads(await comm.receive_from())
    assert first["id"] in (fast, stream)
    comm._replies[first["id"]].append((first["event"], first["data"]))
    assert await comm.receive_until_terminal(stream) == [
        *[("patch_signals", {"i": i}) for i in range(5)],
        ("end", {}),
    ]
    assert await comm.receive_until_terminal(fast) == [("toast", {"value": "fast"}), ("end", {})]
    assert await comm.receive_until_terminal(slow) == [("toast", {"value": "slow"}), ("end", {})]


async def test_duplicate_running_id_is_409_and_the_running_one_goes_on(comm: ActionCommunicator) -> None:
    name = gate()
    await comm.send_action("wait_gate", {"gate": name}, id="same")
    await comm.send_action("toast", id="same")
    assert await comm.receive_reply(None) == (
        "error",
        {"status": 409, "message": "Duplicate invocation id"},
    )
    consumers.GATES[name].set()
    assert await comm.receive_until_terminal("same") == [("toast", {"value": "opened"}), ("end", {})]
    # Once it has ended, the id may be used again.
    await comm.send_action("toast", id="same")
    assert await comm.receive_until_terminal("same") == [("toast", {"value": "hi"}), ("end", {})]


@override_settings(HYPERCHANNELS={"MAX_CONCURRENT_ACTIONS": 2})
async def test_too_many_running_actions_is_429(comm: ActionCommunicator) -> None:
    names = [gate(), gate()]
    for i, name in enumerate(names):
        await comm.send_action("wait_gate", {"gate": name}, id=f"g{i}")
    await comm.send_action("toast", id="third")
    assert await comm.receive_reply("third") == (
        "error",
        {"status": 429, "message": "Too many concurrent actions"},
    )
    for name in names:
        consumers.GATES[name].set()
    for i in range(2):
        assert (await comm.receive_until_terminal(f"g{i}"))[-1] == ("end", {})
    assert await comm.call("toast") == [("toast", {"value": "hi"}), ("end", {})]


async def test_cancel_ends_with_499_and_closes_the_generator(comm: ActionCommunicator) -> None:
    name = gate()
    invocation = await comm.send_action("gated_stream", {"gate": name})
    assert await comm.receive_reply(invocation) == ("toast", {"value": "first"})
    await comm.cancel(invocation)
    assert await comm.receive_reply(invocation) == ("error", {"status": 499, "message": "Cancelled"})
    await eventually(lambda: consumers.CLOSED.get(name) == "closed")
    assert await comm.call("toast") == [("toast", {"value": "hi"}), ("end", {})]


async def test_closing_the_socket_cancels_running_invocations_and_closes_generators() -> None:
    comm = ActionCommunicator(websocket_app, "/ws/core/")
    await comm.connect()
    async_gate, sync_gate = gate(), gate()
    a = await comm.send_action("gated_stream", {"gate": async_gate})
    s = await comm.send_action("gated_sync_stream", {"gate": sync_gate})
    await comm.receive_reply(a)
    await comm.receive_reply(s)
    await comm.disconnect()
    await eventually(lambda: consumers.CLOSED.get(async_gate) == "closed")
    consumers.GATES[sync_gate].set()  # the sync step in its thread can't be interrupted
    await eventually(lambda: sync_gate in consumers.CLOSED)


@override_settings(HYPERCHANNELS={"MAX_FRAME_BYTES": 100})
async def test_frame_larger_than_max_is_413(comm: ActionCommunicator) -> None:
    await comm.send_action("toast", {"message": "é" * 60})
    assert await comm.receive_reply(None) == ("error", {"status": 413, "message": "Frame too large"})
    assert await comm.call("toast") == [("toast", {"value": "hi"}), ("end", {})]


async def test_binary_frames_are_400(comm: ActionCommunicator) -> None:
    await comm.send_to(bytes_data=b'{"type":"action"}')
    assert await comm.receive_reply(None) == (
        "error",
        {"status": 400, "message": "Binary frames are not supported"},
    )
    assert await comm.call("toast") == [("toast", {"value": "hi"}), ("end", {})]


async def test_sync_actions_of_different_sockets_run_side_by_side() -> None:
    comms = [ActionCommunicator(websocket_app, "/ws/core/") for _ in range(10)]
    for c in comms:
        await c.connect()
    started = time.monotonic()
    results = await asyncio.gather(*(c.call("slow_sync", {"seconds": 0.5}) for c in comms))
    elapsed = time.monotonic() - started
    for c in comms:
        await c.disconnect()
    threads = {events[0][1]["value"] for events in results}
    assert len(threads) == 10, threads
    # Serialised on one thread this would take 5 s.
    assert elapsed < 2.5, elapsed


async def test_an_unencodable_event_is_500_and_logged(
    comm: ActionCommunicator, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("ERROR", logger="hyperchannels"):
        assert await comm.call("not_encodable") == [
            ("error", {"status": 500, "message": "Internal server error"})
        ]
    assert any("not_encodable" in r.getMessage() and r.exc_info for r in caplog.records)


async def test_exceptions_are_logged_with_traceback_action_and_class_but_not_sent(
    comm: ActionCommunicator, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("ERROR", logger="hyperchannels"):
        events = await comm.call("boom")
    assert "hunter2" not in json.dumps(events)
    record = next(r for r in caplog.records if r.name == "hyperchannels")
    assert "boom" in record.getMessage() and "CoreConsumer" in record.getMessage()
    assert record.exc_info is not None and "hunter2" in str(record.exc_info[1])


async def test_unsupported_return_logs_the_type(
    comm: ActionCommunicator, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("ERROR", logger="hyperchannels"):
        assert (await comm.call("unsupported"))[-1][1]["status"] == 500
        assert (await comm.call("yields_unsupported"))[-1][1]["status"] == 500
    messages = [r.getMessage() for r in caplog.records]
    assert any("builtins.int" in m for m in messages), messages
    assert any("builtins.object" in m for m in messages), messages


async def test_a_cancel_queued_right_behind_its_action_gets_exactly_one_terminal_frame(
    comm: ActionCommunicator,
) -> None:
    # Both frames are queued before the consumer runs. An async action starts as its frame is
    # read; one that never waits has ended before the cancel is read, which then stops nothing.
    invocation = await comm.send_action("whoami")
    await comm.cancel(invocation)
    events = await comm.receive_until_terminal(invocation)
    assert [event for event, _ in events] == ["patch_signals", "end"]
    assert await comm.call("toast") == [("toast", {"value": "hi"}), ("end", {})]
    assert await comm.receive_nothing()


@pytest.mark.parametrize("action", ["toast", "wait_gate"])
async def test_a_cancel_queued_right_behind_a_waiting_action_ends_it_with_499(
    comm: ActionCommunicator, action: str
) -> None:
    # A sync action waits for its thread, wait_gate for its gate: the cancel reaches both.
    invocation = await comm.send_action(action, {"gate": gate()} if action == "wait_gate" else {})
    await comm.cancel(invocation)
    assert await comm.receive_reply(invocation) == ("error", {"status": 499, "message": "Cancelled"})
    assert await comm.call("toast") == [("toast", {"value": "hi"}), ("end", {})]
    assert await comm.receive_nothing()


class _Recording(consumers.CoreConsumer):
    """Overrides Channels' send() and dispatch(): the runtime must go through both."""

    sent: list[str] = []
    dispatched: list[str] = []

    async def send(
        self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False
    ) -> None:
        if text_data is not None:
            self.sent.append(text_data)
        await super().send(text_data=text_data, bytes_data=bytes_data, close=close)

    async def dispatch(self, message: dict[str, object]) -> None:
        self.dispatched.append(str(message["type"]))
        await super().dispatch(message)


async def test_overridden_send_and_dispatch_see_every_frame_and_message() -> None:
    _Recording.sent, _Recording.dispatched = [], []
    comm = ActionCommunicator(_Recording.as_asgi(), "/ws/core/")
    await comm.connect()
    assert await comm.call("toast") == [("toast", {"value": "hi"}), ("end", {})]
    await comm.disconnect()
    assert [json.loads(text)["event"] for text in _Recording.sent] == ["positions", "toast", "end"]
    assert _Recording.dispatched == ["websocket.connect", "websocket.receive", "websocket.disconnect"]
