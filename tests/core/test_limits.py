"""Frame size limits under a real server: the limit a user sets is the one that applies (docs/limits.md).

daphne caps WebSocket messages at 1 MiB each way by default (``--websocket-max-message-size``):
it drops the connection on a larger client frame and raises on a larger send. uvicorn caps client
messages at 16 MiB (``--ws-max-size``; it closes with 1009 above it) and nothing it sends.
hyperchannels refuses server frames over ``MAX_SERVER_FRAME_BYTES`` itself, naming the limit, and
answers a client frame over ``MAX_FRAME_BYTES`` with 413 when the server lets it through.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from tests.servers import DaphneProcess, ServerProcess
from tests.wire import connect, receive

pytestmark = pytest.mark.daphne

APP = "tests.core.limits_app:application"
SETTINGS = "tests.core.limits_settings"
FOUR_MIB = str(4 * 1024 * 1024)
RAISED_CAPS = ["--websocket-max-message-size", FOUR_MIB, "--websocket-max-frame-size", FOUR_MIB]


@pytest.fixture(scope="module")
def stock(server_name: str) -> Iterator[ServerProcess]:
    """The server as installed (daphne, then uvicorn), hyperchannels' defaults."""
    with ServerProcess(APP, SETTINGS, server=server_name) as process:
        yield process


@pytest.fixture(scope="module")
def raised() -> Iterator[DaphneProcess]:
    """daphne's caps raised to 4 MiB, with MAX_SERVER_FRAME_BYTES to match; MAX_FRAME_BYTES stays 1 MiB."""
    env = {"TEST_MAX_SERVER_FRAME_BYTES": FOUR_MIB}
    with DaphneProcess(APP, SETTINGS, env=env, args=RAISED_CAPS) as process:
        yield process


def socket_to(server: ServerProcess) -> connect:
    """A socket in the ``limits`` group, its opening ``positions`` push read and checked."""
    return connect(server.ws_url + "/ws/limits/", groups=["limits"], origin=server.http_url, max_size=None)


async def call(
    ws: ClientConnection, invocation_id: str, name: str, data: dict[str, Any]
) -> list[dict[str, Any]]:
    await ws.send(json.dumps({"type": "action", "id": invocation_id, "name": name, "data": data}))
    frames = []
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if frame.get("id") == invocation_id:
            frames.append(frame)
            if frame["event"] in ("end", "error"):
                return frames


def eventually_logged(server: ServerProcess, text: str, timeout: float = 5.0) -> str:
    deadline = time.monotonic() + timeout
    while text not in server.log():
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} not in the {server.server} log:\n{server.log()[-3000:]}")
        time.sleep(0.05)
    return server.log()


SERVER_ERROR = {"status": 500, "message": "Internal server error"}


async def test_an_html_reply_over_the_limit_is_a_500_whose_log_names_the_limit(stock: ServerProcess) -> None:
    async with socket_to(stock) as ws:
        frames = await call(ws, "big", "html", {"size": 1_100_000})
        assert frames == [{"id": "big", "event": "error", "data": SERVER_ERROR}]
        eventually_logged(stock, "over MAX_SERVER_FRAME_BYTES (1048576 bytes)")
        fits = await call(ws, "fits", "html", {"size": 1_000_000})  # the socket goes on
        assert [f["event"] for f in fits] == ["patch_html", "end"]
        assert len(fits[0]["data"]["content"]) == 1_000_000


async def test_a_nan_signal_is_a_500_not_a_frame_the_browser_cannot_parse(stock: ServerProcess) -> None:
    async with socket_to(stock) as ws:
        assert await call(ws, "n", "nan", {}) == [{"id": "n", "event": "error", "data": SERVER_ERROR}]
        eventually_logged(stock, "Out of range float values are not JSON compliant")


async def test_an_oversized_broadcast_raises_at_the_sender_and_reaches_no_one(stock: ServerProcess) -> None:
    async with socket_to(stock) as sender, socket_to(stock) as receiver:
        await asyncio.sleep(0.2)  # both have joined the group
        assert await call(sender, "b1", "shout", {"size": 1_500_000}) == [
            {"id": "b1", "event": "error", "data": SERVER_ERROR}
        ]
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(receiver.recv(), 0.5)
        frames = await call(sender, "b2", "shout", {"size": 1000})
        assert frames[0] == {"id": "b2", "event": "toast", "data": {"value": 1}}
        push = await receive(receiver)
        assert push["event"] == "patch_html" and push["data"]["content"] == "y" * 1000
        assert (push["group"], type(push["seq"])) == ("limits", int), {**push, "data": "..."}


async def test_a_client_frame_over_1_mib_with_each_servers_defaults(stock: ServerProcess) -> None:
    """daphne's 1 MiB cap drops the TCP connection (no close frame) before hyperchannels sees the
    frame; uvicorn's 16 MiB cap lets it through, and MAX_FRAME_BYTES answers it with 413."""
    async with socket_to(stock) as ws:
        await ws.send(
            json.dumps({"type": "action", "id": "x", "name": "received", "data": {"text": "a" * 1_100_000}})
        )
        if stock.server == "daphne":
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)
            assert closed.value.rcvd is None
            return
        reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert reply == {"id": None, "event": "error", "data": {"status": 413, "message": "Frame too large"}}
        assert (await call(ws, "ok", "received", {"text": "a" * 1000}))[-1]["event"] == "end"


@pytest.mark.parametrize("implementation", ["uvicorn", "uvicorn-sansio", "uvicorn-wsproto"])
async def test_uvicorn_closes_with_1009_on_a_client_message_over_its_ws_max_size(implementation: str) -> None:
    """uvicorn's own cap, measured with each of its WebSocket implementations: a message one byte
    over ``--ws-max-size`` (its default, 16 MiB) is closed with 1009 before hyperchannels sees
    it; one at the cap is answered 413."""
    with ServerProcess(APP, SETTINGS, server=implementation) as uvicorn:
        for size, expected in ((16 * 1024 * 1024, 413), (16 * 1024 * 1024 + 1, 1009)):
            async with socket_to(uvicorn) as ws:
                await ws.send("a" * size)
                try:
                    reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
                except ConnectionClosed as closed:
                    assert closed.rcvd is not None and closed.rcvd.code == expected == 1009
                else:
                    assert reply["data"]["status"] == expected == 413, reply


async def test_with_daphnes_caps_raised_an_oversized_client_frame_is_answered_413(
    raised: DaphneProcess,
) -> None:
    async with socket_to(raised) as ws:
        await ws.send(
            json.dumps({"type": "action", "id": "x", "name": "received", "data": {"text": "a" * 1_100_000}})
        )
        reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert reply == {"id": None, "event": "error", "data": {"status": 413, "message": "Frame too large"}}
        assert await call(ws, "ok", "received", {"text": "a" * 1000}) == [
            {"id": "ok", "event": "toast", "data": {"value": 1000}},
            {"id": "ok", "event": "end", "data": {}},
        ]


async def test_with_daphnes_caps_raised_large_replies_and_broadcasts_arrive(raised: DaphneProcess) -> None:
    async with socket_to(raised) as sender, socket_to(raised) as receiver:
        await asyncio.sleep(0.2)
        frames = await call(sender, "h", "html", {"size": 1_500_000})
        assert len(frames[0]["data"]["content"]) == 1_500_000
        assert (await call(sender, "b", "shout", {"size": 1_500_000}))[0]["data"] == {"value": 1}
        push = await receive(receiver)
        assert push["event"] == "patch_html" and len(push["data"]["content"]) == 1_500_000
        assert "hyperchannels.W00" not in raised.log()  # the limits agree: nothing to warn about


def test_a_daphne_process_warns_at_startup_when_max_frame_bytes_tops_its_cap() -> None:
    """daphne runs no system checks; hyperchannels logs W003/W004 itself, from daphne's command line."""
    env = {"TEST_MAX_FRAME_BYTES": FOUR_MIB, "TEST_MAX_SERVER_FRAME_BYTES": FOUR_MIB}
    with DaphneProcess(APP, SETTINGS, env=env) as process:
        log = eventually_logged(process, "hyperchannels.W004")
    assert "hyperchannels.W003: MAX_FRAME_BYTES is 4194304 bytes but this daphne process" in log
    assert "at most 1048576 bytes" in log


async def test_uvicorn_needs_no_flags_for_large_replies_and_broadcasts() -> None:
    """uvicorn caps nothing it sends: MAX_SERVER_FRAME_BYTES raised alone is enough."""
    env = {"TEST_MAX_SERVER_FRAME_BYTES": FOUR_MIB}
    with ServerProcess(APP, SETTINGS, env=env, server="uvicorn") as uvicorn:
        async with socket_to(uvicorn) as sender, socket_to(uvicorn) as receiver:
            await asyncio.sleep(0.2)
            frames = await call(sender, "h", "html", {"size": 3_500_000})
            assert len(frames[0]["data"]["content"]) == 3_500_000
            assert (await call(sender, "b", "shout", {"size": 3_500_000}))[0]["data"] == {"value": 1}
            push = await receive(receiver)
            assert push["event"] == "patch_html" and len(push["data"]["content"]) == 3_500_000
        assert "hyperchannels.W00" not in uvicorn.log()


@pytest.mark.parametrize("given", ["flag", "flag=", "env"])
def test_a_uvicorn_process_warns_at_startup_when_max_frame_bytes_tops_its_ws_max_size(given: str) -> None:
    """uvicorn runs no system checks either; hyperchannels reads ``--ws-max-size`` from its command
    line (or ``UVICORN_WS_MAX_SIZE``, which uvicorn reads too) and logs W003 (never W004:
    uvicorn caps nothing it sends)."""
    env = {"TEST_MAX_FRAME_BYTES": FOUR_MIB, "TEST_MAX_SERVER_FRAME_BYTES": FOUR_MIB}
    cap = str(2 * 1024 * 1024)
    args = {"flag": ["--ws-max-size", cap], "flag=": [f"--ws-max-size={cap}"], "env": []}[given]
    if given == "env":
        env["UVICORN_WS_MAX_SIZE"] = cap
    with ServerProcess(APP, SETTINGS, env=env, args=args, server="uvicorn") as process:
        log = eventually_logged(process, "hyperchannels.W003")
    assert "MAX_FRAME_BYTES is 4194304 bytes but this uvicorn process" in log
    assert "at most 2097152 bytes" in log and "--ws-max-size" in log
    assert "hyperchannels.W004" not in log
