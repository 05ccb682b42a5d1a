"""Presence's costs (docs/presence.md, "Cost"): sockets of one group over two workers on a
private Redis, so its ``INFO`` counters hold only what the scenario did.

- all track: the time for every socket to track itself and get its state, the Redis commands it
  took, and the memory per tracked socket (the workers' RSS and Redis's ``used_memory``);
- one join seen by all, at each size, next to one broadcast seen by all (the fan-out alone):
  the join's cost must not grow with the number present beyond that fan-out.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

from tests.servers import DaphneProcess

from .recovery import SETTINGS, _commands, _env, _line, _private_redis, _spawn

APP = "bench.project.presence_asgi:application"


def _rss_kib(server: DaphneProcess) -> int:
    assert server.process is not None
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def _ask(load: Any, command: str) -> dict[str, Any]:
    load.stdin.write(command + "\n")
    load.stdin.flush()
    return _line(load)


def _delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    delta = {name: n - before.get(name, 0) for name, n in after.items() if n > before.get(name, 0)}
    delta.pop("info", None)
    return delta


def _measure(load: Any, client: Any, command: str, times: int) -> dict[str, Any]:
    """``command`` ``times`` times, apart: the median time and the Redis commands of each."""
    seconds, commands = [], []
    for _ in range(times):
        before = _commands(client)
        seconds.append(_ask(load, command)["seconds"])
        time.sleep(0.2)  # past the diff batching window: each is a change of its own
        commands.append(sum(_delta(before, _commands(client)).values()))
    return {"median_seconds": statistics.median(seconds), "redis_commands": statistics.median(commands)}


def bench_size(layer: str, sockets: int, joins: int) -> dict[str, Any]:
    with _private_redis() as client:
        url = f"redis://127.0.0.1:{client.connection_pool.connection_kwargs['port']}/0"
        env = _env(layer, url)
        with DaphneProcess(APP, SETTINGS, env=env) as a, DaphneProcess(APP, SETTINGS, env=env) as b:
            args = {"ports": [a.port, b.port], "sockets": sockets, "parallel": 200}
            load = _spawn("bench.presence_load", env, json.dumps(args))
            try:
                _line(load)
                time.sleep(1)
                rss_before = _rss_kib(a) + _rss_kib(b)
                redis_before = int(client.info("memory")["used_memory"])
                before = _commands(client)
                tracked = _ask(load, "track")
                print(f"presence {layer} {sockets} sockets tracked in {tracked['seconds']:.2f} s", flush=True)
                time.sleep(5)  # the storm's last diffs and states are out
                commands = _delta(before, _commands(client))
                rss_after = _rss_kib(a) + _rss_kib(b)
                redis_after = int(client.info("memory")["used_memory"])
                join = _measure(load, client, "join", joins)
                shout = _measure(load, client, "shout", joins)
            finally:
                assert load.stdin is not None
                load.stdin.close()
                load.wait(60)
                if load.stdout is not None:
                    load.stdout.close()
    return {
        "sockets": sockets,
        "track_all_seconds": round(tracked["seconds"], 3),
        "track_all_redis_commands": commands,
        "track_redis_commands_per_socket": round(sum(commands.values()) / sockets, 2),
        "worker_rss_bytes_per_tracked_socket": round((rss_after - rss_before) * 1024 / sockets),
        "redis_bytes_per_tracked_socket": round((redis_after - redis_before) / sockets),
        "join_seen_by_all_seconds": round(join["median_seconds"], 4),
        "join_redis_commands": join["redis_commands"],
        "broadcast_seen_by_all_seconds": round(shout["median_seconds"], 4),
        "join_over_broadcast": round(join["median_seconds"] / shout["median_seconds"], 2),
    }


def bench_presence(layer: str, sizes: list[int], joins: int) -> dict[str, Any]:
    rows = [bench_size(layer, size, joins) for size in sizes]
    for row in rows:
        print(f"presence {layer} {row}", flush=True)
    small, large = rows[0], rows[-1]
    per_small = small["join_seen_by_all_seconds"] / small["sockets"]
    per_large = large["join_seen_by_all_seconds"] / large["sockets"]
    return {
        "layer": layer,
        "rows": rows,
        # A join's cost per socket that sees it, at the largest size over the smallest: 1 when a
        # join costs the fan-out alone (the goal: at most 1.2).
        "join_cost_per_receiver_ratio": round(per_large / per_small, 2),
        "join_over_broadcast_ratio": round(large["join_over_broadcast"] / small["join_over_broadcast"], 2),
    }


if __name__ == "__main__":
    import sys

    sizes = [int(n) for n in (sys.argv[1] if len(sys.argv) > 1 else "100,5000").split(",")]
    print(json.dumps(bench_presence("pubsub", sizes, 10), indent=2))
