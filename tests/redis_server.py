"""A real Redis for the tests: ``REDIS_URL``, else 127.0.0.1:6379, else a private server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time

from tests.servers import free_port, wait_for_port


def redis_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class PrivateRedis:
    """A ``redis-server`` of our own on a free loopback port, which tests may stop and restart."""

    def __init__(self, port: int | None = None) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise FileNotFoundError("redis-server is not installed")
        self.binary = binary
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="hyper-redis-")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, 10)
        deadline = time.monotonic() + 10
        while not redis_answers("127.0.0.1", self.port):
            if time.monotonic() > deadline:
                raise TimeoutError("private redis-server did not answer PING")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def __enter__(self) -> PrivateRedis:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def shared_redis_url() -> tuple[str | None, PrivateRedis | None]:
    """A URL of a running Redis, and the private server started for it (if one was)."""
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"], None
    if redis_answers("127.0.0.1", 6379):
        return "redis://127.0.0.1:6379/0", None
    if shutil.which("redis-server"):
        server = PrivateRedis().start()
        return server.url, server
    return None, None
