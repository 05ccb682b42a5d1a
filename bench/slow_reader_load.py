"""The processes of the slow-reader bench (``bench/slow_reader.py``), each run on its own:
``python -m bench.slow_reader_load MODE '{json args}'``; each prints JSON lines on stdout.

- ``read``: opens sockets to the bench group and times every push they get. A lean WebSocket
  client of its own (an asyncio protocol parsing frames by hand, no per-frame JSON decoding)
  so that the readers, several processes on a machine shared with the server, are not what
  the bench measures.
- ``send``: broadcasts the pushes, paced, each carrying the wall time it was sent at.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import socket
import struct
import sys
import time
from typing import Any

BUCKET_MS = 0.1
"""Latencies are counted in buckets of this width (a histogram, not 2 million floats)."""
WINDOWS = 20
"""The latencies are also counted per twentieth of the pushes (by ``n``): when the slow
socket costs the others anything, it is while its frames pile up, before its close."""
STAMP = b'"t":'
GROUP = "bench"


def handshake(host: str, port: int, path: str) -> bytes:
    """The HTTP upgrade request of a WebSocket client (Origin as a page of the site sends it)."""
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: http://{host}:{port}\r\n\r\n"
    ).encode()


def masked(opcode: int, payload: bytes) -> bytes:
    """One client frame (clients must mask), for pongs and the close reply."""
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + body


def split_frames(buffer: bytearray) -> list[tuple[int, bytes]]:
    """Take the whole server frames (unmasked) off the front of ``buffer``: (opcode, payload)."""
    frames = []
    start = 0
    while len(buffer) - start >= 2:
        opcode, length, head = buffer[start] & 0x0F, buffer[start + 1] & 0x7F, 2
        if length >= 126:
            head = 4 if length == 126 else 10
            if len(buffer) - start < head:
                break
            length = int.from_bytes(buffer[start + 2 : start + head], "big")
        if len(buffer) - start < head + length:
            break
        frames.append((opcode, bytes(buffer[start + head : start + head + length])))
        start += head + length
    del buffer[:start]
    return frames


class Reader(asyncio.Protocol):
    """One socket: counts the pushes (by their ``n``) and their latencies (now minus ``t``)."""

    def __init__(
        self, pushes: int, histogram: dict[int, int], windows: dict[int, dict[int, int]], done: asyncio.Event
    ) -> None:
        self.pushes = pushes
        self.histogram = histogram
        self.windows = windows
        self.done = done
        self.seen = bytearray(pushes)
        self.received = 0
        self.buffer = bytearray()
        self.upgraded = False
        self.opened = asyncio.get_running_loop().create_future()
        self.close_code: int | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        now = time.time()
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.buffer.startswith(b"HTTP/1.1 101"):
                self.opened.set_exception(RuntimeError(bytes(self.buffer[:200]).decode()))
                return
            del self.buffer[: end + 4]
            self.upgraded = True
        self._frames(now)

    def _frames(self, now: float) -> None:
        for opcode, payload in split_frames(self.buffer):
            self._frame(opcode, payload, now)

    def _frame(self, opcode: int, payload: bytes, now: float) -> None:
        assert self.transport is not None
        if opcode == 0x1:
            if not self.opened.done():
                self.opened.set_result(None)  # the opening positions push
            at = payload.find(STAMP)
            if at < 0:
                return
            stamp = json.loads(payload)["data"]  # one decode per timed push: n and t
            n = stamp["n"]
            if not self.seen[n]:
                self.seen[n] = 1
                self.received += 1
            bucket = int((now - stamp["t"]) * 1000 / BUCKET_MS)
            self.histogram[bucket] = self.histogram.get(bucket, 0) + 1
            window = self.windows.setdefault(n * WINDOWS // self.pushes, {})
            window[bucket] = window.get(bucket, 0) + 1
            if self.received == self.pushes:
                self.done.set()
        elif opcode == 0x9:
            self.transport.write(masked(0xA, payload))
        elif opcode == 0x8:
            self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
            self.transport.write(masked(0x8, payload[:2]))
            self.done.set()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError("closed before opening"))
        self.done.set()


async def read(port: int, path: str, sockets: int, pushes: int, timeout: float) -> dict[str, Any]:
    """Open ``sockets``, say ``{"ready": n}``, read until each has every push (or ``timeout``
    seconds after the go line on stdin); return the latency histogram and the counts."""
    loop = asyncio.get_running_loop()
    histogram: dict[int, int] = {}
    windows: dict[int, dict[int, int]] = {}
    readers: list[Reader] = []
    events: list[asyncio.Event] = []
    for _ in range(sockets):
        event = asyncio.Event()
        transport, reader = await loop.create_connection(
            lambda ev=event: Reader(pushes, histogram, windows, ev),
            "127.0.0.1",
            port,  # type: ignore[misc]
        )
        transport.write(handshake("127.0.0.1", port, path))
        await asyncio.wait_for(reader.opened, 30)
        readers.append(reader)
        events.append(event)
    print(json.dumps({"ready": len(readers)}), flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*(event.wait() for event in events)), timeout)
    for reader in readers:
        if reader.transport is not None:
            reader.transport.close()
    return {
        "counts": [reader.received for reader in readers],
        "close_codes": [reader.close_code for reader in readers if reader.close_code is not None],
        "histogram": histogram,
        "windows": windows,
    }


def stalled(port: int, path: str) -> socket.socket:
    """A socket that reads nothing after its handshake: a tiny receive buffer, so the kernel's
    buffers fill at once and the rest stays with the server."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(handshake("127.0.0.1", port, path))
    head = b""
    while b"\r\n\r\n" not in head:  # byte by byte: nothing past the handshake is taken
        head += sock.recv(1)
    if not head.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(head.decode())
    return sock


def drain_close_code(sock: socket.socket, timeout: float) -> dict[str, Any]:
    """Read what a stalled socket was sent, up to the server's close frame: its close code and
    the last push (``n``) that reached it before the close."""
    sock.settimeout(timeout)
    buffer = bytearray()
    last_n: int | None = None
    try:
        while True:
            chunk = sock.recv(1 << 20)
            if not chunk:
                return {"close_code": None, "last_n": last_n, "ended": "eof"}
            buffer += chunk
            for opcode, payload in split_frames(buffer):
                if opcode == 0x8:
                    code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                    return {"close_code": code, "last_n": last_n, "ended": "close frame"}
                if opcode == 0x1 and STAMP in payload:
                    last_n = json.loads(payload)["data"]["n"]
    except (TimeoutError, ConnectionError) as exc:
        return {"close_code": None, "last_n": last_n, "ended": type(exc).__name__}


async def _send(pushes: int, size: int, rate: float) -> dict[str, Any]:
    from hyperchannels import Toast, abroadcast

    await abroadcast("bench-warmup", Toast("warm"))  # Redis connections made off the clock
    print(json.dumps({"ready": True}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    pad = "x" * size
    started = time.time()
    behind = 0.0
    for n in range(pushes):
        due = started + n / rate
        wait = due - time.time()
        if wait > 0:
            await asyncio.sleep(wait)
        else:
            behind = max(behind, -wait)
        await abroadcast(GROUP, Toast({"n": n, "t": time.time(), "pad": pad}))
    return {"started": started, "sent_seconds": time.time() - started, "max_behind_s": behind}


def send(pushes: int, size: int, rate: float) -> dict[str, Any]:
    """Say ready, wait for the go line, broadcast ``pushes`` pushes of ``size`` bytes of padding
    to the bench group, push ``n`` due at ``n / rate`` seconds after the go."""
    import django

    django.setup()
    return asyncio.run(_send(pushes, size, rate))


def main() -> None:
    mode, raw = sys.argv[1], sys.argv[2]
    args = json.loads(raw)
    result = send(**args) if mode == "send" else asyncio.run(read(**args))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
