"""A lean round-trip driver: raw sockets and one ``selectors`` loop.

The round trip at one socket is a few hundred microseconds of server time; a client built on
asyncio and a full WebSocket library adds a large share of its own to every contender and so
squeezes the ratios toward 1. This driver does the minimum per invocation: one ``json.dumps``,
one masked frame or one pre-framed POST, one ``recv`` and a scan for the terminal frame.

A ``HyperConsumer`` socket's first frame is a ``positions`` push (docs/broadcast.md, "Recovery");
``WebSocketConn`` reads it during setup, so no timed invocation ever sees it.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import selectors
import socket
import struct
import time
from typing import Any

TERMINAL = (b'"event":"end"', b'"event": "end"')
FAILED = (b'"event":"error"', b'"event": "error"')


class DriverError(RuntimeError):
    """The server refused, closed, or answered an invocation with an error."""


def _connect(host: str, port: int) -> socket.socket:
    sock = socket.create_connection((host, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise DriverError("connection closed during the handshake")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _split_frame(buffer: bytes) -> tuple[int, bytes, bytes] | None:
    """The first whole server frame in ``buffer``: (opcode, payload, the bytes after it), or None."""
    if len(buffer) < 2:
        return None
    opcode = buffer[0] & 0x0F
    length = buffer[1] & 0x7F
    start = 2
    if length == 126:
        if len(buffer) < 4:
            return None
        (length,) = struct.unpack_from("!H", buffer, 2)
        start = 4
    elif length == 127:
        if len(buffer) < 10:
            return None
        (length,) = struct.unpack_from("!Q", buffer, 2)
        start = 10
    if len(buffer) < start + length:
        return None
    return opcode, buffer[start : start + length], buffer[start + length :]


def _mask(payload: bytes, opcode: int = 0x1) -> bytes:
    """A final client frame (RFC 6455 5.3): a fresh random key, the payload XORed with it."""
    key = os.urandom(4)
    length = len(payload)
    first = 0x80 | opcode
    if length < 126:
        header = struct.pack("!BB", first, 0x80 | length)
    elif length < 65536:
        header = struct.pack("!BBH", first, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", first, 0x80 | 127, length)
    keystream = (key * (length // 4 + 1))[:length]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(keystream, "big")).to_bytes(length, "big")
    return header + key + masked


class Conn:
    """One connection with one invocation in flight; subclasses put the body on their wire."""

    sock: socket.socket

    def __init__(self) -> None:
        self.count = 0
        self.started = 0.0

    def send_next(self, name: str, data: dict[str, Any]) -> None:
        self.count += 1
        body = json.dumps({"type": "action", "id": str(self.count), "name": name, "data": data})
        wire = self.wrap(body.encode())
        self.started = time.perf_counter()
        self.sock.sendall(wire)

    def wrap(self, body: bytes) -> bytes:
        raise NotImplementedError

    def feed(self, chunk: bytes) -> bool:
        """Take received bytes; True once the current invocation's answer is complete."""
        raise NotImplementedError


class WebSocketConn(Conn):
    """One WebSocket: handshake, then one invocation in flight at a time.

    ``positions``: the server opens with a ``positions`` push (a ``HyperConsumer``); it is read
    and checked here, before any timing.
    """

    def __init__(self, host: str, port: int, path: str, origin: str, positions: bool = False) -> None:
        super().__init__()
        self.sock = _connect(host, port)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                f"Sec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n"
            ).encode()
        )
        head, self.buffer = _read_head(self.sock)
        if not head.startswith(b"HTTP/1.1 101"):
            raise DriverError(f"handshake refused: {head[:200]!r}")
        if positions:
            self._read_positions()

    def _read_positions(self) -> None:
        while (split := _split_frame(self.buffer)) is None:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise DriverError("the server closed the socket before its positions push")
            self.buffer += chunk
        opcode, payload, self.buffer = split
        frame = json.loads(payload) if opcode == 0x1 else None
        if not isinstance(frame, dict) or frame.get("event") != "positions" or "id" in frame:
            raise DriverError(f"the first frame is not a positions push: {payload[:300]!r}")

    def wrap(self, body: bytes) -> bytes:
        return _mask(body)

    def feed(self, chunk: bytes) -> bool:
        """Take received bytes; True once the current invocation's terminal frame is in."""
        self.buffer += chunk
        done = False
        while (split := _split_frame(self.buffer)) is not None:
            opcode, payload, self.buffer = split
            if opcode == 0x1:
                if any(marker in payload for marker in FAILED):
                    raise DriverError(f"the action failed: {payload[:300]!r}")
                if any(marker in payload for marker in TERMINAL):
                    done = True
            elif opcode == 0x8:
                raise DriverError(f"the server closed the socket: {payload[:2]!r}")
            elif opcode == 0x9:  # ping: answer with a masked pong carrying the same payload
                self.sock.sendall(_mask(payload, opcode=0xA))
        return done


class HttpConn(Conn):
    """One HTTP/1.1 keep-alive connection: one POST at a time."""

    def __init__(self, host: str, port: int, path: str, headers: dict[str, str] | None = None) -> None:
        super().__init__()
        self.sock = _connect(host, port)
        extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        self.prefix = (
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"{extra}Connection: keep-alive\r\nContent-Length: "
        ).encode()
        self.buffer = b""

    def wrap(self, body: bytes) -> bytes:
        return self.prefix + str(len(body)).encode() + b"\r\n\r\n" + body

    def feed(self, chunk: bytes) -> bool:
        self.buffer += chunk
        head_end = self.buffer.find(b"\r\n\r\n")
        if head_end < 0:
            return False
        head = self.buffer[:head_end]
        length = None
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        if length is None:
            raise DriverError("the benchmark view must send Content-Length")
        end = head_end + 4 + length
        if len(self.buffer) < end:
            return False
        status = int(head.split(b" ", 2)[1])
        if status != 200:
            raise DriverError(f"HTTP {status}: {self.buffer[head_end + 4 : end][:200]!r}")
        self.buffer = self.buffer[end:]
        return True


def drive(
    conns: list[Conn], name: str, data: dict[str, Any], seconds: float
) -> tuple[list[float], float]:
    """Every connection invokes sequentially until ``seconds`` pass; latencies and duration."""
    latencies: list[float] = []
    selector = selectors.DefaultSelector()
    started = time.perf_counter()
    deadline = started + seconds
    for conn in conns:
        selector.register(conn.sock, selectors.EVENT_READ, conn)
        conn.send_next(name, data)
    active = len(conns)
    while active:
        for key, _ in selector.select():
            conn = key.data
            chunk = conn.sock.recv(262144)
            if not chunk:
                raise DriverError("the server closed the connection")
            if conn.feed(chunk):
                now = time.perf_counter()
                latencies.append(now - conn.started)
                if now < deadline:
                    conn.send_next(name, data)
                else:
                    selector.unregister(conn.sock)
                    active -= 1
    duration = time.perf_counter() - started
    selector.close()
    return latencies, duration


def close(conns: list[Conn]) -> None:
    for conn in conns:
        if isinstance(conn, WebSocketConn):
            with contextlib.suppress(OSError):
                conn.sock.sendall(_mask(struct.pack("!H", 1000), opcode=0x8))
        conn.sock.close()
