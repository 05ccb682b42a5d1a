"""A test's event loop ends promptly with sockets still open, and leaves nothing to the next test.

The report (issue 11, fault 10): on the core Redis layer, a test that opened and closed a socket
on a path, then a test that ended (or failed) with a socket open on the same path, and that
second test's loop teardown never returned. Each scenario runs in a pytest subprocess with a
timeout, so a hang fails here instead of hanging the suite.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from channels.layers import get_channel_layer

from hyperchannels import Toast, abroadcast
from hyperchannels.relays import _relays, close_relays, relays_for
from hyperchannels.testing import ActionCommunicator
from tests.broadcast.asgi import websocket_app
from tests.servers import ROOT

INNER_TESTS = """
import asyncio

import pytest
from channels.layers import get_channel_layer

from hyperchannels import Toast, abroadcast
from hyperchannels.relays import _relays
from hyperchannels.testing import ActionCommunicator
from tests.broadcast.asgi import websocket_app


async def open_socket():
    comm = ActionCommunicator(websocket_app, "/ws/room/same/")
    assert (await comm.connect(timeout=5))[0]
    return comm


async def test_1_opens_and_closes():
    comm = await open_socket()
    await abroadcast("room-same", Toast("one"))
    assert await comm.receive_push() == ("toast", {"value": "one"})
    await comm.disconnect()


async def test_2_ends_with_the_socket_open():
    comm = await open_socket()
    await abroadcast("room-same", Toast("two"))
    assert await comm.receive_push() == ("toast", {"value": "two"})


async def test_3_fails_with_sockets_open():  # fails on purpose, with sockets open
    first, second = await open_socket(), await open_socket()
    await second.send_action("ping")
    assert first is second


async def test_4_a_later_loop_receives_and_keeps_nothing_of_closed_loops():
    comm = await open_socket()
    await abroadcast("room-same", Toast("four"))
    assert await comm.receive_push() == ("toast", {"value": "four"})
    loops = _relays.get(get_channel_layer(), {})
    assert [loop for loop in loops if loop.is_closed()] == []
    await comm.disconnect()
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("hyperchannels")]
"""


@pytest.mark.parametrize("kind", ["core", "pubsub", "memory"])
def test_loops_of_tests_that_end_with_sockets_open_shut_down(
    kind: str, redis_url: str, tmp_path: Path
) -> None:
    (tmp_path / "test_inner.py").write_text(INNER_TESTS)
    env = {
        **os.environ,
        "HYPER_TEST_LAYER": kind,
        "REDIS_URL": redis_url,
        "HYPER_TEST_PREFIX": f"teardown-{tmp_path.name[-12:]}",
        "PYTHONPATH": str(ROOT),
    }
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-c",
        str(ROOT / "pyproject.toml"),
        "--rootdir",
        str(ROOT),
        "--ds",
        "tests.broadcast.settings",
        str(tmp_path / "test_inner.py"),
    ]
    try:
        result = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired as exc:
        output = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout
        pytest.fail(f"the inner tests hung (an event loop never finished shutting down):\n{output}")
    assert "1 failed, 3 passed" in result.stdout, result.stdout + result.stderr
    assert "::test_3_fails_with_sockets_open - " in result.stdout, result.stdout
    assert result.returncode == 1


@pytest.mark.parametrize("layer", ["core", "pubsub", "memory"], indirect=True)
async def test_every_task_of_the_relays_ends_promptly_when_cancelled(layer: str) -> None:
    comms = [ActionCommunicator(websocket_app, f"/ws/room/t{i % 2}/") for i in range(4)]
    for comm in comms:
        assert (await comm.connect(timeout=5))[0]
    await abroadcast("room-t0", Toast("x"))
    assert await comms[0].receive_push() == ("toast", {"value": "x"})
    ours = [t for t in asyncio.all_tasks() if t.get_name().startswith("hyperchannels")]
    # Two relays (their receive loops), the refresher and, on Redis, the history watch,
    # named so a hang can be traced.
    assert sorted(t.get_name() for t in ours) == [
        *(["hyperchannels history watch"] if layer != "memory" else []),
        "hyperchannels relay refresh",
        "hyperchannels relay room-t0",
        "hyperchannels relay room-t1",
    ]
    for task in ours:
        task.cancel()
    done, pending = await asyncio.wait(ours, timeout=2)
    assert pending == set()
    for comm in comms:
        await comm.disconnect()


@pytest.mark.parametrize("layer", ["core", "memory"], indirect=True)
async def test_relays_end_with_their_last_member_and_close_relays_stops_the_rest(layer: str) -> None:
    channel_layer = get_channel_layer()
    first = ActionCommunicator(websocket_app, "/ws/room/end/")
    assert (await first.connect(timeout=5))[0]
    await first.disconnect()
    assert relays_for(channel_layer).relays == {}
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("hyperchannels relay")]
    left_open = ActionCommunicator(websocket_app, "/ws/room/end/")
    assert (await left_open.connect(timeout=5))[0]
    await close_relays(channel_layer)
    assert asyncio.get_running_loop() not in _relays[channel_layer]
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("hyperchannels relay")]
    await left_open.disconnect()
