"""One client process of the scale scenario: ``python -m bench.scale_load '{json args}'``.

Holds ``sockets`` HyperConsumer sockets to one server on loopback, each a lean asyncio protocol
(raw frames, ``bench.driver``'s framing) that behaves as the browser client does after a drop
(docs/recovery.md; ``static/hyperchannels/timer.js``): it reconnects after 1 s doubling to 30 s,
each delay jittered ±20 %, and on open sends one ``resume`` with the last position it applied.
Like the browser client it has no handshake timeout of its own (only the run's bound): a
handshake is given up only when the server closes or refuses it.

With ``path`` other than ``/ws/hyper/`` (the raw ASGI floor, a plain Channels consumer: memory
floors of the same server) a socket counts as open at its ``101``; such sockets only wait.

Talks with the orchestrator in lines: prints ``{"ready": n}`` once every socket is open, then
answers each stdin line: ``broadcast`` waits until every socket has a ``toast`` push stamped
by the sender and prints when each got it; ``storm`` waits until every socket was dropped,
came back and had its ``resume`` answered with ``end``, and prints when the last one did.
Every wait is bounded by ``timeout`` seconds.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import resource
import sys
import time
from typing import Any

from .driver import _mask, _split_frame

GROUP = "bench"
PATH = "/ws/hyper/"
RECONNECT_MIN, RECONNECT_MAX = 1.0, 30.0  # protocol.json's reconnect_min_ms / reconnect_max_ms
FAILURES: dict[str, int] = {}
"""Failed reconnects of this process's sockets, by reason (exception text, cut short)."""


def raise_fd_limit(wanted: int) -> int:
    """Raise this process's soft RLIMIT_NOFILE toward ``wanted``, never past the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class Client(asyncio.Protocol):
    """One socket's whole life: connects, reads its pushes, reconnects the browser's way."""

    def __init__(self, port: int, patience: float, path: str = PATH) -> None:
        self.port = port
        self.patience = patience
        self.path = path
        self.position: dict[str, Any] | None = None  # the last one applied, as the page keeps it
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.upgraded = False
        self.opened = asyncio.get_running_loop().create_future()
        self.stamp_latency: float | None = None
        self.attempt = 0  # failed connects since the last open (the timer's attempt)
        self.failures = 0  # failed connects in all
        self.drops = 0
        self.resumed_at: float | None = None
        self.resume_outcome = ""
        self.replayed: list[int] = []
        self.awaiting_resume = False
        self.stopped = False
        self.timer: asyncio.TimerHandle | None = None

    # -- connecting ---------------------------------------------------------------------
    async def connect(self) -> None:
        loop = asyncio.get_running_loop()
        self.buffer, self.upgraded = b"", False
        self.opened = loop.create_future()
        try:
            await loop.create_connection(lambda: self, "127.0.0.1", self.port)
            await asyncio.wait_for(self.opened, self.patience)
        except (OSError, TimeoutError) as exc:
            if self.transport is not None:
                self.transport.abort()
            self.attempt += 1
            self.failures += 1
            reason = f"{type(exc).__name__}: {os.strerror(exc.errno)}" if exc.errno else str(exc)[:60]
            reason = reason or type(exc).__name__
            FAILURES[reason] = FAILURES.get(reason, 0) + 1
            self.schedule()

    def schedule(self) -> None:
        """The browser's ReconnectTimer: base = min * 2**attempt capped at max, ±20 % jitter."""
        base = min(RECONNECT_MAX, RECONNECT_MIN * 2**self.attempt)
        delay = min(RECONNECT_MAX, base * (0.8 + random.random() * 0.4))
        if not self.stopped:
            self.timer = asyncio.get_running_loop().call_later(
                delay, lambda: asyncio.ensure_future(self.connect())
            )

    def stop(self) -> None:
        """The run is over: no more reconnects, the socket (if any) hung up."""
        self.stopped = True
        if self.timer is not None:
            self.timer.cancel()
        if self.transport is not None:
            self.transport.abort()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no asyncio.Transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            (
                f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Origin: http://127.0.0.1:{self.port}\r\n\r\n"
            ).encode()
        )

    def connection_lost(self, exc: Exception | None) -> None:
        was_open = self.upgraded
        self.transport, self.upgraded = None, False
        if not self.opened.done():
            stage = "after its 101, before the positions push" if was_open else "before its 101"
            self.opened.set_exception(ConnectionError(f"the server closed the connection {stage}"))
        elif was_open:  # the server dropped an open socket: the browser's onclose
            self.drops += 1
            self.schedule()

    # -- reading ------------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            if not head.startswith(b"HTTP/1.1 101"):
                status = head.split(b"\r\n", 1)[0].decode(errors="replace")
                self.opened.set_exception(ConnectionError(f"the server answered {status}"))
                assert self.transport is not None
                self.transport.abort()
                return
            self.upgraded, self.buffer = True, rest
            if self.path != PATH and not self.opened.done():
                self.opened.set_result(None)  # a floor's socket: no positions push comes
        while (split := _split_frame(self.buffer)) is not None:
            opcode, payload, self.buffer = split
            if opcode == 0x1:
                self.frame(json.loads(payload))
            elif opcode == 0x8 and self.transport is not None:  # answer the close, then hang up
                self.transport.write(_mask(payload[:2], opcode=0x8))
                self.transport.close()
                return
            elif opcode == 0x9 and self.transport is not None:
                self.transport.write(_mask(payload, opcode=0xA))

    def frame(self, frame: dict[str, Any]) -> None:
        if frame.get("event") == "positions" and "id" not in frame:
            if not self.opened.done():
                self.opened_with(frame["data"].get(GROUP))
            return
        if frame.get("group") == GROUP and "seq" in frame:
            if frame.get("event") == "toast" and self.stamp_latency is None:
                self.stamp_latency = time.time() - float(frame["data"]["value"])
            if self.position is not None:
                self.position = {**self.position, "seq": frame["seq"]}
            if self.awaiting_resume:
                self.replayed.append(frame["seq"])
        elif frame.get("id") == "r" and frame.get("event") in ("end", "error"):
            self.awaiting_resume = False
            self.resumed_at = time.time()
            resynced = frame.get("event") == "end" and GROUP in frame["data"].get("resynced", [])
            self.resume_outcome = "error" if frame["event"] == "error" else "resynced" if resynced else "ok"

    def opened_with(self, now: dict[str, Any] | None) -> None:
        """The accept-time ``positions`` push: the first open takes it as its baseline; a
        reopen resumes from the position it had (the browser client's rule)."""
        self.attempt = 0
        self.opened.set_result(None)
        if self.position is None:
            self.position = now
        elif self.transport is not None:
            self.awaiting_resume, self.replayed = True, []
            body = json.dumps({"type": "resume", "id": "r", "positions": {GROUP: self.position}})
            self.transport.write(_mask(body.encode()))


async def _until(check: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def run(port: int, sockets: int, parallel: int, timeout: float, path: str = PATH) -> None:
    raise_fd_limit(sockets + 256)
    loop = asyncio.get_running_loop()
    clients = [Client(port, timeout, path) for _ in range(sockets)]
    gate = asyncio.Semaphore(parallel)

    refused: dict[str, int] = {}

    async def first(client: Client) -> None:
        """Open a socket to hold; a failed open is counted and tried again, 5 times at most."""
        async with gate:
            for _ in range(5):
                client.opened = loop.create_future()
                client.buffer = b""
                try:
                    await loop.create_connection(lambda: client, "127.0.0.1", port)
                    await asyncio.wait_for(client.opened, timeout)
                    return
                except (OSError, TimeoutError) as exc:
                    refused[str(exc)[:80]] = refused.get(str(exc)[:80], 0) + 1
                    await asyncio.sleep(0.5)
            raise RuntimeError(f"could not open a socket 5 times: {refused}")

    await asyncio.wait_for(asyncio.gather(*(first(c) for c in clients)), timeout)
    print(json.dumps({"ready": len(clients), "failed_opens": refused}), flush=True)
    while line := (await loop.run_in_executor(None, sys.stdin.readline)).strip():
        if line == "broadcast":
            done = await _until(lambda: all(c.stamp_latency is not None for c in clients), timeout)
            latencies = [c.stamp_latency for c in clients if c.stamp_latency is not None]
            print(json.dumps({"complete": done, "latencies": latencies}), flush=True)
        elif line == "storm":
            done = await _until(lambda: all(c.drops and c.resumed_at for c in clients), timeout)
            back = [c.resumed_at for c in clients if c.drops and c.resumed_at]
            outcomes = [c.resume_outcome for c in clients]
            print(
                json.dumps(
                    {
                        "complete": done,
                        "resumed": len(back),
                        "finished": max(back, default=0.0),
                        "dropped": sum(bool(c.drops) for c in clients),
                        "failed_connects": sum(c.failures for c in clients),
                        "failure_reasons": FAILURES,
                        "ok": outcomes.count("ok"),
                        "resynced": outcomes.count("resynced"),
                        "errors": outcomes.count("error"),
                        "replayed": sum(len(c.replayed) for c in clients),
                    }
                ),
                flush=True,
            )
    for client in clients:
        client.stop()
    await asyncio.sleep(0.1)  # let the aborted transports report their loss


async def _send() -> None:
    from channels.layers import get_channel_layer

    from hyperchannels import Toast, abroadcast
    from hyperchannels.closing import aclose_group

    await get_channel_layer().group_send("bench-warmup", {"type": "noop"})  # connect off the clock
    await abroadcast("bench-warmup", Toast("0"))
    print(json.dumps({"ready": True}), flush=True)
    loop = asyncio.get_running_loop()
    while line := (await loop.run_in_executor(None, sys.stdin.readline)).strip():
        sent = time.time()
        if line == "stamp":
            await abroadcast(GROUP, Toast(repr(sent)))
        elif line == "storm":  # close every socket (4000: they reconnect), then one push they miss
            await aclose_group(GROUP)
            await abroadcast(GROUP, Toast(repr(time.time())))
        print(json.dumps({"sent": sent}), flush=True)


def sender() -> None:
    """The sender process: each stdin line ``stamp`` broadcasts one toast carrying its send time;
    ``storm`` closes the group's sockets with ``close_group`` (code 4000) and pushes once more."""
    import django

    django.setup()
    asyncio.run(_send())


def main() -> None:
    if sys.argv[1] == "send":
        sender()
        return
    args = json.loads(sys.argv[1])
    try:
        import uvloop
    except ImportError:
        asyncio.run(run(**args))
    else:
        uvloop.run(run(**args))


if __name__ == "__main__":
    main()
