"""A Redis outage is logged once per component and retried with backoff (issue 11, fault 14).

The report: with Redis down 5 s and 100 idle sockets, each socket logged about 11 warnings and
11 "back" lines (2,080 lines), retrying every 0.5 s: a socket's link has no groups to rejoin,
so its "rejoin" succeeded without asking Redis and reset the backoff. docs/broadcast.md
("When Redis goes away") promises one warning and retries at 0.5 s doubling to 5 s.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import defaultdict

import pytest
from django.test import override_settings

from hyperchannels import Toast, abroadcast, layerlink
from hyperchannels.layerlink import RETRY_MAX_SECONDS, RETRY_MIN_SECONDS, Backoff
from hyperchannels.redis_layer import redis_channel_layer
from hyperchannels.testing import ActionCommunicator
from tests.broadcast.asgi import websocket_app
from tests.redis_server import PrivateRedis

SOCKETS = 100
OUTAGE_SECONDS = 5.0


@pytest.mark.redis
async def test_an_outage_logs_once_per_component_and_backs_off(
    private_redis: PrivateRedis, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: dict[int, list[tuple[float, float]]] = defaultdict(list)
    real_wait = Backoff.wait

    async def recorded_wait(self: Backoff) -> None:
        waits[id(self)].append((time.monotonic(), self.delay))
        await real_wait(self)

    monkeypatch.setattr(Backoff, "wait", recorded_wait)
    entry = redis_channel_layer(private_redis.url, layer="core", prefix=f"outage-{uuid.uuid4().hex[:8]}")
    with override_settings(CHANNEL_LAYERS={"default": entry}):
        comms = [ActionCommunicator(websocket_app, f"/ws/room/out{i % 2}/") for i in range(SOCKETS)]
        for comm in comms:
            assert (await comm.connect(timeout=5))[0]
        await abroadcast("room-out0", Toast("before"))
        assert await comms[0].receive_push() == ("toast", {"value": "before"})

        with caplog.at_level(logging.INFO, logger="hyperchannels"):
            await asyncio.to_thread(private_redis.stop)
            await asyncio.sleep(OUTAGE_SECONDS)
            await asyncio.to_thread(private_redis.start)
            deadline = time.monotonic() + 20
            while True:  # the relays join their groups again once Redis answers
                await abroadcast("room-out1", Toast("after"))
                try:
                    assert await comms[1].receive_push(timeout=1) == ("toast", {"value": "after"})
                    break
                except TimeoutError:
                    assert time.monotonic() < deadline, caplog.text
            await asyncio.sleep(RETRY_MAX_SECONDS + 1)  # every link has retried once more since
        records = [r for r in caplog.records if r.name == "hyperchannels"]
        for comm in comms:
            await comm.disconnect(timeout=5)

    lines = [f"{r.levelname} {r.getMessage()}" for r in records]
    warnings = [r for r in records if r.levelno == logging.WARNING]
    back = [r for r in records if "is back" in r.getMessage()]
    print(f"{len(records)} log records, {len(warnings)} warnings, {len(back)} recoveries:", *lines, sep="\n")
    # One warning and one recovery per component, never one per socket.
    assert len(warnings) <= 2, lines
    assert sorted("group relays" in r.getMessage() for r in warnings) == [False, True], lines
    assert len(back) == len(warnings), lines
    assert all(r.levelno <= logging.WARNING for r in records), lines
    # Every link retried at 0.5 s doubling to 5 s: at most 5 waits in a 5 s outage, not 11.
    assert len(waits) >= SOCKETS  # each socket's link, and the relays'
    for series in waits.values():
        delays = [delay for _, delay in series]  # this outage is the only fault of the test
        assert delays == [min(RETRY_MIN_SECONDS * 2**n, RETRY_MAX_SECONDS) for n in range(len(delays))]
        assert len(delays) <= 5, delays
        gaps = [later - earlier for (earlier, _), (later, _) in zip(series, series[1:], strict=False)]
        assert all(gap >= 0.8 * delay for gap, (_, delay) in zip(gaps, series, strict=False)), (gaps, delays)


class _Layer:
    """A stand-in key for the per-layer log state (the layer object is only a weak key there)."""

    def __str__(self) -> str:
        return "the layer"


def test_a_fault_right_after_a_recovery_is_the_same_outage(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seen in CI: after Redis came back one socket said "back", then another socket's
    connection from before the restart failed on its next read, and a second warning was
    logged for one outage. A fault within SETTLE_SECONDS of a recovery is the outage's tail."""
    now = [1000.0]
    monkeypatch.setattr(layerlink, "clock", lambda: now[0])
    layer, error = _Layer(), ConnectionError("Connection closed by server.")

    def logged() -> list[tuple[int, str]]:
        return [(r.levelno, r.getMessage()) for r in caplog.records if r.levelno >= logging.INFO]

    with caplog.at_level(logging.INFO, logger="hyperchannels"):
        layerlink.report_failure(layer, "socket channels", error)
        layerlink.report_failure(layer, "socket channels", error)  # another socket: same outage
        now[0] += 5
        layerlink.report_recovery(layer, "socket channels")
        assert [level for level, _ in logged()] == [logging.WARNING, logging.INFO]

        now[0] += 0.2  # a stale connection fails on its next read, and its retry succeeds
        layerlink.report_failure(layer, "socket channels", error)
        now[0] += 0.5
        layerlink.report_recovery(layer, "socket channels")
        assert len(logged()) == 2, logged()

        now[0] += 0.1  # a real second outage that starts while settling is warned about once it lasts
        layerlink.report_failure(layer, "socket channels", error)
        now[0] += 1.0
        layerlink.report_failure(layer, "socket channels", error)
        assert len(logged()) == 2, logged()
        now[0] += layerlink.SETTLE_SECONDS
        layerlink.report_failure(layer, "socket channels", error)
        layerlink.report_failure(layer, "socket channels", error)
        assert [level for level, _ in logged()] == [logging.WARNING, logging.INFO, logging.WARNING]
        layerlink.report_recovery(layer, "socket channels")
        assert logged()[-1] == (logging.INFO, "Channel layer the layer is back for socket channels")

        now[0] += layerlink.SETTLE_SECONDS  # long after: a new fault is a new warning at once
        layerlink.report_failure(layer, "group relays", error)
        layerlink.report_failure(layer, "socket channels", error)
        assert [level for level, _ in logged()[-2:]] == [logging.WARNING, logging.WARNING]
