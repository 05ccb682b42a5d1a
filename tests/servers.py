"""Real ASGI server processes (daphne or uvicorn) on loopback, for tests that need one out of process.

``SERVERS`` names every server the suite runs its real-server tests on; ``ServerProcess``
starts one of them. ``HYPER_TEST_SERVERS`` (comma-separated) narrows the list for a local run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A loopback TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 20.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listened on {host}:{port} within {timeout} s")


def listening(port: int) -> bool:
    """Whether a socket listens on loopback ``port``, read from /proc/net/tcp: unlike a probing
    connect, this takes no ephemeral port that a server about to bind could need."""
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if state == "0A" and int(local.split(":")[1], 16) == port:  # 0A: LISTEN
                return True
    return False


def wait_for_listener(port: int, timeout: float = 20.0) -> None:
    """``wait_for_port`` without connecting: for ports next to one another (a demo's
    ``PORT`` and ``PORT + 1``), where a probe's own local port can take the neighbour's."""
    if not os.path.exists("/proc/net/tcp"):
        wait_for_port(port, timeout)
        return
    deadline = time.monotonic() + timeout
    while not listening(port):
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing listened on 127.0.0.1:{port} within {timeout} s")
        time.sleep(0.05)


STOP_SECONDS = 20.0
"""How long a server may take to exit after SIGTERM before ``ServerProcess.stop`` fails: the
shutdown's own bound (docs/deploy.md) plus a socket's wait for a layer call cancelled while
Redis was coming back (``layerlink.CANCEL_WAIT_SECONDS``), with room for a loaded machine."""

ALL_SERVERS = ("daphne", "uvicorn")
"""``daphne``; ``uvicorn`` with its ``websockets`` implementation (``uvicorn[standard]``)."""
SERVERS = tuple(
    name for name in os.environ.get("HYPER_TEST_SERVERS", ",".join(ALL_SERVERS)).split(",") if name
)


UVICORN_WS = {"uvicorn": "websockets", "uvicorn-sansio": "websockets-sansio", "uvicorn-wsproto": "wsproto"}
"""Each uvicorn server name and its ``--ws`` implementation."""


def server_command(
    server: str, application: str, port: int, args: Sequence[str] = (), backlog: int | None = None
) -> list[str]:
    """The command line that serves ``application`` on ``127.0.0.1:port`` with ``server``.

    ``server`` is ``daphne``, ``uvicorn`` (its ``websockets`` implementation),
    ``uvicorn-sansio`` (``websockets-sansio``, what uvicorn's ``--ws auto`` picks) or
    ``uvicorn-wsproto``. ``args`` are that server's own options; ``backlog`` its listen
    backlog (default: the server's own; daphne takes it in a Twisted endpoint, docs/deploy.md).
    """
    if server == "daphne":
        if backlog is None:
            bind = ["-b", "127.0.0.1", "-p", str(port)]
        else:
            bind = ["-e", f"tcp:port={port}:interface=127.0.0.1:backlog={backlog}"]
        return [sys.executable, "-m", "daphne", *bind, *args, application]
    if server in UVICORN_WS:
        ws = UVICORN_WS[server]
        return [
            sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port),
            "--ws", ws, "--lifespan", "off", "--no-access-log",
            *(["--backlog", str(backlog)] if backlog is not None else []), *args, application,
        ]  # fmt: skip
    raise ValueError(f"unknown server {server!r}: expected daphne or one of {sorted(UVICORN_WS)}")


class ServerProcess:
    """One ASGI server process serving ``application`` (``module:attr``) on a loopback port.

    ``server`` is ``daphne`` or a uvicorn name (``UVICORN_WS``); ``settings`` is the
    ``DJANGO_SETTINGS_MODULE`` it runs with; ``env`` adds variables and ``args`` the server's
    own options (e.g. daphne's ``["--websocket-max-message-size", "2097152"]``).
    Use as a context manager, or call ``start``/``stop``; ``restart`` keeps the port.
    """

    def __init__(
        self,
        application: str = "tests.app.asgi:application",
        settings: str = "tests.settings",
        env: Mapping[str, str] | None = None,
        port: int | None = None,
        args: Sequence[str] = (),
        server: str = "daphne",
    ) -> None:
        self.application = application
        self.settings = settings
        self.extra_env = dict(env or {})
        self.args = list(args)
        self.server = server
        server_command(server, application, 0)  # an unknown server fails here, not at start
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = ROOT / ".pytest_cache" / f"{server}-{self.port}.log"
        self.log_path.unlink(missing_ok=True)

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> ServerProcess:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": self.settings, **self.extra_env}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child process
        self.process = subprocess.Popen(
            server_command(self.server, self.application, self.port, self.args),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        try:
            wait_for_port(self.port, timeout)
        except TimeoutError:
            self.stop()
            raise RuntimeError(f"{self.server} did not start; log:\n{self.log()}") from None
        return self

    def stop(self) -> None:
        """SIGTERM, as a deploy does; a server still running 10 s later is killed and that is a
        failure: docs/deploy.md promises a bounded shutdown whatever its sockets did."""
        if self.process is None:
            return
        process, self.process = self.process, None
        process.terminate()
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
            log = self.log()[-3000:]
            raise AssertionError(
                f"{self.server} did not exit within {STOP_SECONDS} s of SIGTERM; killed. Log:\n{log}"
            ) from None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def sockets_accepted(self, path: str) -> int:
        """How many sockets to ``path`` (with its query string, if any) the log says were
        accepted: daphne logs ``WSCONNECT <path>``, uvicorn ``"WebSocket <path>" [accepted]``."""
        if self.server == "daphne":
            return self.log().count(f'"WSCONNECT {path}"')
        return self.log().count(f'"WebSocket {path}" [accepted]')

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class DaphneProcess(ServerProcess):
    """A ``ServerProcess`` that is always daphne: for tests of daphne's own behaviour."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs, server="daphne")
