"""Servers side by side: the action round trip on every ASGI server, with the raw ASGI floor of
each and a bare ``websockets`` server as the machine's ceiling (docs/performance.md, "Servers").

daphne and uvicorn (with each ``--ws`` implementation) start as the test suite starts them
(``tests.servers``); granian and hypercorn, when installed, with the options below. Every
server serves the same ``bench.project.asgi`` application, one process (one worker) each, on
loopback.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from tests.servers import free_port, server_command, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
APP = "bench.project.asgi:application"
SETTINGS = "bench.project.settings"

ALL_SERVERS = ("daphne", "uvicorn", "uvicorn-sansio", "uvicorn-wsproto", "granian", "hypercorn")
"""Every server the bench knows; ``installed_servers`` keeps those importable here."""
_MODULES = {
    "daphne": "daphne",
    "uvicorn": "uvicorn",
    "uvicorn-sansio": "uvicorn",
    "uvicorn-wsproto": "wsproto",
    "granian": "granian",
    "hypercorn": "hypercorn",
}


def installed_servers() -> list[str]:
    return [name for name in ALL_SERVERS if importlib.util.find_spec(_MODULES[name]) is not None]


def command(server: str, application: str, port: int, backlog: int | None = None) -> list[str]:
    """The command line serving ``application`` on ``127.0.0.1:port``: one process, one worker,
    no access log, each server's own default event loop; its own listen backlog unless
    ``backlog`` is given (the scale scenario gives the one docs/deploy.md advises)."""
    if server == "granian":
        # asginl: the ASGI interface without lifespan (Channels' router has none). Its default
        # backpressure (backlog / workers = 1,024 requests at once, an open socket being one)
        # would hold the scale scenario's sockets back: the highest it takes.
        return [
            sys.executable, "-m", "granian", "--interface", "asginl", "--host", "127.0.0.1",
            "--port", str(port), "--workers", "1", "--backpressure", "65535", "--log-level", "warning",
            *(["--backlog", str(backlog)] if backlog else []), application,
        ]  # fmt: skip
    if server == "hypercorn":
        return [
            sys.executable, "-m", "hypercorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
            "--log-level", "WARNING", *(["--backlog", str(backlog)] if backlog else []), application,
        ]  # fmt: skip
    # daphne -v 0: no access log (it writes one per handshake at its default verbosity), as
    # for the other servers; warnings still reach the log.
    return server_command(server, application, port, ["-v", "0"] if server == "daphne" else [], backlog)


class BenchServer:
    """One server process (and its workers, for servers that fork them) on a loopback port."""

    def __init__(
        self,
        server: str,
        env: Mapping[str, str] | None = None,
        port: int | None = None,
        backlog: int | None = None,
    ) -> None:
        self.server = server
        self.backlog = backlog
        self.port = port or free_port()
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            "PYTHONPATH": str(ROOT),
            **(env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = ROOT / ".pytest_cache" / f"bench-{server}-{self.port}.log"

    def start(self, timeout: float = 30.0) -> BenchServer:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command(self.server, APP, self.port, self.backlog),
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its workers stop with it (the group is signalled)
            )
        try:
            wait_for_port(self.port, timeout)
        except TimeoutError:
            self.stop()
            raise RuntimeError(f"{self.server} did not start: {self.log_path.read_text()[-2000:]}") from None
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, 15)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, 9)
            self.process.wait(10)
        self.process = None

    def rss_kib(self) -> int:
        """Resident memory of the server process and every process under it, KiB."""
        assert self.process is not None
        return sum(_rss_kib(pid) for pid in _tree(self.process.pid))

    def __enter__(self) -> BenchServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo and len(pids) < 64:
        current = todo.pop()
        pids.append(current)
        children = Path(f"/proc/{current}/task/{current}/children")
        with contextlib.suppress(FileNotFoundError):
            todo += [int(child) for child in children.read_text().split()]
    return pids


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


@contextlib.contextmanager
def ceiling_server() -> Iterator[int]:
    """The bare ``websockets`` server (``bench.ceiling``) on a free loopback port."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "bench.ceiling", str(port)], cwd=ROOT)
    try:
        wait_for_port(port)
        yield port
    finally:
        process.terminate()
        process.wait(10)


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return sorted(runs, key=lambda r: r["throughput"])[len(runs) // 2]


def bench_servers(
    servers: list[str], conns_list: list[int], seconds: float, repeats: int, run_load: Any
) -> dict[str, Any]:
    """Per socket count, ``repeats`` rounds; each round runs hyper and the raw ASGI floor on every
    server and the ``websockets`` ceiling once, interleaved; each row keeps the median run.

    ``run_load`` is ``bench.__main__.run_load`` (one load generator process per run).
    Returns ``{"servers": [...], "rows": [{"server", "contender", "conns", "throughput", ...}]}``.
    """
    cases = [(server, kind) for server in servers for kind in ("hyper", "raw")] + [("websockets", "ceiling")]
    rows = []
    with contextlib.ExitStack() as stack:
        ports = {server: stack.enter_context(BenchServer(server)).port for server in servers}
        ports["websockets"] = stack.enter_context(ceiling_server())
        for conns in conns_list:
            runs: dict[tuple[str, str], list[dict[str, Any]]] = {case: [] for case in cases}
            for _ in range(repeats):
                for server, kind in cases:
                    runs[(server, kind)].append(
                        run_load(
                            "roundtrip",
                            port=ports[server],
                            kind="raw" if kind == "ceiling" else kind,
                            conns=conns,
                            seconds=seconds,
                        )
                    )
            for (server, kind), results in runs.items():
                result = _median(results)
                contender = {"hyper": "hyper", "raw": "raw-asgi", "ceiling": "websockets"}[kind]
                rows.append(
                    {
                        "server": server,
                        "contender": contender,
                        "conns": conns,
                        "repeats": repeats,
                        "all_throughputs": [round(r["throughput"]) for r in results],
                        **result,
                    }
                )
                print(
                    f"  servers {server:<16} {contender:<10} conns={conns:<3} {result['throughput']:9.0f}/s "
                    f"p50={result['p50_ms']:.2f}ms p99={result['p99_ms']:.2f}ms "
                    f"(runs: {rows[-1]['all_throughputs']})",
                    flush=True,
                )
    return {"servers": servers, "seconds": seconds, "rows": rows}
