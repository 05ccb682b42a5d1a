"""Scale (docs/performance.md, "Scale"): one server process holding many idle HyperConsumer
sockets (10,000 by default), per server: memory per socket, a broadcast to all of them, and a
reconnect storm after the server closes them all.

Each server runs with the ``pubsub`` layer (``--scale-layer core``: the core layer) on a private
``redis-server`` (history in Redis, so the resumes replay from it) and the listen backlog
docs/deploy.md advises (``BACKLOG``); the sockets are held by ``clients`` processes of
``bench.scale_load``, and one more process sends (``bench.scale_load send``). The file-descriptor
limit is raised, never past the hard limit, in this process (so the server and the clients,
its children, inherit it); everything is on 127.0.0.1.
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

from .recovery import _env as bench_env
from .recovery import _finish, _line, _private_redis, _spawn
from .scale_load import raise_fd_limit
from .servers import BenchServer


def _say(processes: list[Any], line: str) -> None:
    for process in processes:
        process.stdin.write(line + "\n")
        process.stdin.flush()


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else 0.0


def _added(counts: list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for count in counts:
        for key, value in count.items():
            total[key] = total.get(key, 0) + value
    return total


BACKLOG = 4096
"""Each server's listen backlog here, as docs/deploy.md ("Many sockets per process") advises:
daphne's own (50) drops most of 10,000 simultaneous connects, which come back only after the
kernel's SYN retries (1, 3, 7, 15, 31 s)."""

FLOORS = {"raw": "/ws/raw/", "channels": "/ws/bare/"}
"""Memory floors on the same server: a bare ASGI app (``raw_floor``) and a plain Channels
consumer in one group (``BareBench``), each in a server process of its own, always on the
pubsub layer: on the core layer a plain Channels consumer's ``group_add`` per socket runs out
of redis-py's connection pool (100) when 100 open at once, and the server answers 500."""


def _open(
    env: dict[str, str], port: int, sockets: int, clients: int, parallel: int, timeout: float, path: str
) -> tuple[list[Any], list[dict[str, Any]]]:
    """Start the client processes holding ``sockets`` sockets on ``path``; wait until all are open."""
    shares = [sockets // clients + (i < sockets % clients) for i in range(clients)]
    loaders = [
        _spawn(
            "bench.scale_load",
            env,
            json.dumps({"port": port, "sockets": n, "parallel": parallel, "timeout": timeout, "path": path}),
        )
        for n in shares
        if n
    ]
    try:
        return loaders, [_line(loader) for loader in loaders]
    except BaseException:
        for loader in loaders:
            _finish(loader)
        raise


def floor_kib_per_socket(
    server: str, path: str, env: dict[str, str], sockets: int, clients: int, parallel: int, timeout: float
) -> float:
    """KiB per idle socket on ``path`` of a fresh ``server`` process: measured as for hyper."""
    with BenchServer(server, env=env, backlog=BACKLOG) as process:
        opener, _ = _open(env, process.port, 1, 1, 1, timeout, path)
        for loader in opener:
            _finish(loader)
        time.sleep(0.5)
        before = process.rss_kib()
        loaders, readies = _open(env, process.port, sockets, clients, parallel, timeout, path)
        try:
            opened = sum(ready["ready"] for ready in readies)
            time.sleep(1.0)
            return (process.rss_kib() - before) / opened
        finally:
            for loader in loaders:
                _finish(loader)


def scale_once(
    server: str,
    sockets: int,
    clients: int,
    parallel: int,
    timeout: float,
    run_load: Any,
    layer: str = "pubsub",
) -> dict[str, Any]:
    """One server: open ``sockets`` (split over ``clients`` processes), measure, broadcast, storm.

    Returns KiB per socket, the broadcast's p50/p99/max per-socket latency (ms, from the
    sender's send time to the socket's receipt) and the storm's seconds from the close to the
    last ``resume`` answered, with counts of what the clients saw.
    """
    limit = raise_fd_limit(sockets + 1024)
    if limit < sockets + 256:
        raise RuntimeError(f"RLIMIT_NOFILE is {limit}: too low for {sockets} sockets in one server")
    with _private_redis() as redis:
        url = f"redis://127.0.0.1:{redis.connection_pool.connection_kwargs['port']}/0"
        env = bench_env(layer, url)
        with BenchServer(server, env=env, backlog=BACKLOG) as process:
            # one socket opened and closed first: the imports and first-use caches off the books
            run_load("roundtrip", port=process.port, kind="hyper", conns=1, seconds=0.2, warmup=0.1)
            time.sleep(0.5)
            before = process.rss_kib()
            started = time.time()
            loaders, readies = _open(env, process.port, sockets, clients, parallel, timeout, "/ws/hyper/")
            try:
                opened = sum(ready["ready"] for ready in readies)
                connect_seconds = time.time() - started
                time.sleep(1.0)
                after = process.rss_kib()
                sender = _spawn("bench.scale_load", env, "send")
                try:
                    _line(sender)
                    _say([sender], "stamp")
                    _line(sender)
                    _say(loaders, "broadcast")
                    heard = [_line(loader) for loader in loaders]
                    latencies = [value for h in heard for value in h["latencies"]]
                    _say([sender], "storm")
                    closed = _line(sender)["sent"]
                    _say(loaders, "storm")
                    storms = [_line(loader) for loader in loaders]
                finally:
                    _finish(sender)
            finally:
                for loader in loaders:
                    _finish(loader)
        floor_env = {**env, "BENCH_LAYER": "pubsub"}
        floors = {
            name: floor_kib_per_socket(server, path, floor_env, sockets, clients, parallel, timeout)
            for name, path in FLOORS.items()
        }
    storm: dict[str, Any] = {
        key: sum(s[key] for s in storms)
        for key in ("resumed", "dropped", "failed_connects", "ok", "resynced", "errors", "replayed")
    }
    storm["complete"] = all(s["complete"] for s in storms)
    storm["failure_reasons"] = _added([s["failure_reasons"] for s in storms])
    storm["seconds"] = max(s["finished"] for s in storms) - closed if storm["resumed"] else None
    return {
        "server": server,
        "sockets": opened,
        "clients": len(loaders),
        "connect_seconds": connect_seconds,
        "failed_opens": _added([ready["failed_opens"] for ready in readies]),
        "rss_before_kib": before,
        "rss_after_kib": after,
        "kib_per_socket": (after - before) / opened,
        "floor_kib_per_socket": floors,
        "broadcast": {
            "complete": all(h["complete"] for h in heard),
            "received": len(latencies),
            "p50_ms": _pct(latencies, 0.5) * 1000,
            "p99_ms": _pct(latencies, 0.99) * 1000,
            "all_ms": max(latencies, default=0.0) * 1000,
            "mean_ms": statistics.fmean(latencies) * 1000 if latencies else 0.0,
        },
        "storm": storm,
    }


def bench_scale(
    servers: list[str],
    sockets: int,
    clients: int,
    run_load: Any,
    parallel: int = 100,
    timeout: float = 300,
    layer: str = "pubsub",
) -> dict[str, Any]:
    """``scale_once`` for each server in turn (one at a time: each gets the machine), on the
    ``layer`` channel layer (``pubsub`` or ``core``)."""
    rows = []
    for server in servers:
        row = scale_once(server, sockets, clients, parallel, timeout, run_load, layer)
        rows.append(row)
        b, s = row["broadcast"], row["storm"]
        print(
            f"  scale {server:<16} {row['sockets']} sockets: {row['kib_per_socket']:.1f} KiB/socket "
            f"(raw ASGI {row['floor_kib_per_socket']['raw']:.1f}, Channels "
            f"{row['floor_kib_per_socket']['channels']:.1f}) "
            f"(opened in {row['connect_seconds']:.1f}s); broadcast p50 {b['p50_ms']:.0f}ms p99 "
            f"{b['p99_ms']:.0f}ms all {b['all_ms']:.0f}ms ({b['received']} got it); storm: "
            f"{s['resumed']}/{s['dropped']} back and resumed in "
            f"{s['seconds'] if s['seconds'] is None else round(s['seconds'], 2)}s, "
            f"{s['failed_connects']} failed connects, {s['replayed']} replayed, "
            f"{s['resynced']} resynced, {s['errors']} errors; failed: opens {row['failed_opens']}, "
            f"reconnects {s['failure_reasons']}",
            flush=True,
        )
    return {
        "sockets": sockets,
        "clients": clients,
        "parallel": parallel,
        "layer": layer,
        "backlog": BACKLOG,
        "rows": rows,
    }
