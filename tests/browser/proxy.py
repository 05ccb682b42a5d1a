"""A loopback TCP proxy that can cut its connections the way a network does.

``drop()`` resets every connection through it (no WebSocket close frame reaches either side) and
refuses new ones until ``restore()``: a page behind it sees its socket die and its reconnects
fail, while daphne sees a peer vanish, as with a laptop that sleeps or a network that changes.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading

_LINGER_RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST, not FIN


def _reset(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
        sock.shutdown(socket.SHUT_RD)  # wakes the pump blocked reading it
    sock.close()


class DroppingProxy:
    """Forwards ``127.0.0.1:<port>`` to ``127.0.0.1:<target_port>``; use as a context manager."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port: int = self.listener.getsockname()[1]
        self.up = threading.Event()
        self.up.set()
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        self.open: set[socket.socket] = set()
        self.thread = threading.Thread(target=self._accept, name="dropping-proxy", daemon=True)

    def __enter__(self) -> DroppingProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join(5)
        self.listener.close()
        self.drop()

    def drop(self) -> None:
        """Reset every open connection; refuse (reset) new ones until ``restore``."""
        self.up.clear()
        with self.lock:
            connections, self.open = self.open, set()
        for sock in connections:
            _reset(sock)

    def restore(self) -> None:
        self.up.set()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if not self.up.is_set():
                _reset(client)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                _reset(client)
                continue
            upstream.settimeout(None)
            client.settimeout(None)
            with self.lock:
                self.open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            return
        # An orderly end on one side (not a drop): pass it on.
        with self.lock:
            still_open = source in self.open
        if still_open:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)
