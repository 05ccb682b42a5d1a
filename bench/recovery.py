"""Recovery's costs (docs/recovery.md): Redis round trips per broadcast at the sender, and the
time and Redis CPU for a whole site's sockets to resume after their workers restart.

Both run on a private ``redis-server`` of their own, so Redis's ``INFO`` counters hold only
what the scenario did.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.redis_server import PrivateRedis
from tests.servers import DaphneProcess

ROOT = Path(__file__).resolve().parent.parent
APP = "bench.project.asgi:application"
SETTINGS = "bench.project.settings"


def _env(layer: str, redis_url: str, history: int = 100) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "BENCH_LAYER": layer,
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "BENCH_PREFIX": f"bench-{uuid.uuid4().hex[:8]}",
        "BENCH_HISTORY_SIZE": str(history),
    }


def _spawn(module: str, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _line(process: subprocess.Popen[str]) -> dict[str, Any]:
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        raise RuntimeError(f"{process.args!r} exited early with {process.wait()}")
    result: dict[str, Any] = json.loads(line)
    return result


def _go(process: subprocess.Popen[str]) -> None:
    assert process.stdin is not None
    process.stdin.write("go\n")
    process.stdin.flush()


def _finish(process: subprocess.Popen[str]) -> None:
    """Close its stdin (its cue to stop), wait for it, and close its stdout."""
    assert process.stdin is not None and process.stdout is not None
    process.stdin.close()
    process.wait(60)
    process.stdout.close()


@contextmanager
def _private_redis() -> Iterator[Any]:
    import redis

    with PrivateRedis() as server:
        client = redis.Redis.from_url(server.url)
        try:
            yield client
        finally:
            client.close()


def _commands(client: Any) -> dict[str, int]:
    """Calls per command so far (``INFO commandstats``)."""
    return {
        name.removeprefix("cmdstat_"): int(stats["calls"])
        for name, stats in client.info("commandstats").items()
    }


def _cpu(client: Any) -> float:
    """Redis's CPU seconds so far, user and system (``INFO cpu``)."""
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def _send(env: dict[str, str], kind: str, messages: int, client: Any) -> dict[str, Any]:
    """One sender process: its own round trips per broadcast, and what Redis counted meanwhile
    (the workers' receives included)."""
    sender = _spawn("bench.load", env, "send", json.dumps({"kind": kind, "messages": messages}))
    _line(sender)
    before = _commands(client)
    _go(sender)
    result = _line(sender)
    time.sleep(0.3)  # the workers' reads of the last ones
    after = _commands(client)
    _finish(sender)
    delta = {
        name: calls - before.get(name, 0) for name, calls in after.items() if calls > before.get(name, 0)
    }
    delta.pop("info", None)
    return {
        "round_trips_per_broadcast": result["round_trips"] / messages,
        "redis_calls_per_broadcast": {
            name: round(calls / messages, 3) for name, calls in sorted(delta.items())
        },
    }


def bench_recovery_cost(layers: list[str], messages: int, sockets: int) -> dict[str, Any]:
    """Per layer: recovery on, recovery off and a bare ``group_send``, each sending ``messages``
    broadcasts to a group of ``sockets`` idle sockets over two workers."""
    results: dict[str, Any] = {}
    for layer in layers:
        with _private_redis() as client:
            url = f"redis://127.0.0.1:{client.connection_pool.connection_kwargs['port']}/0"
            row: dict[str, Any] = {}
            for label, history, kind in (("on", 100, "hyper"), ("off", 0, "hyper"), ("bare", 100, "bare")):
                env = _env(layer, url, history)
                with DaphneProcess(APP, SETTINGS, env=env) as a, DaphneProcess(APP, SETTINGS, env=env) as b:
                    path = "bare" if kind == "bare" else "hyper"
                    holders = [
                        _spawn(
                            "bench.load",
                            env,
                            "idle",
                            json.dumps({"port": w.port, "kind": path, "conns": sockets}),
                        )
                        for w in (a, b)
                    ]
                    for holder in holders:
                        _line(holder)
                    row[label] = _send(env, kind, messages, client)
                    for holder in holders:
                        _finish(holder)
            row["extra_round_trips"] = (
                row["on"]["round_trips_per_broadcast"] - row["bare"]["round_trips_per_broadcast"]
            )
            results[layer] = row
            trips = {label: row[label]["round_trips_per_broadcast"] for label in ("on", "off", "bare")}
            print(
                f"  recovery cost {layer:<6} sender round trips per broadcast: on {trips['on']:.2f}, "
                f"off {trips['off']:.2f}, bare {trips['bare']:.2f}; Redis calls per broadcast on "
                f"{row['on']['redis_calls_per_broadcast']} / bare {row['bare']['redis_calls_per_broadcast']}",
                flush=True,
            )
    return results


def resume_once(layer: str, sockets: int, behind: int, parallel: int, resume: bool) -> dict[str, Any]:
    """``sockets`` over two workers; both killed (``SIGKILL``), ``behind`` broadcasts, both
    started again on their ports; time until every socket reconnected (and resumed)."""
    with _private_redis() as client:
        url = f"redis://127.0.0.1:{client.connection_pool.connection_kwargs['port']}/0"
        env = _env(layer, url)
        workers = [DaphneProcess(APP, SETTINGS, env=env).start() for _ in range(2)]
        try:
            args = {
                "ports": [w.port for w in workers],
                "sockets": sockets,
                "parallel": parallel,
                "resume": resume,
            }
            loader = _spawn("bench.resume_load", env, json.dumps(args))
            _line(loader)
            for worker in workers:
                assert worker.process is not None
                worker.process.kill()
                worker.process.wait(30)
                worker.process = None
            sender = _spawn("bench.load", env, "send", json.dumps({"kind": "hyper", "messages": behind}))
            _line(sender)
            _go(sender)
            _line(sender)
            _finish(sender)
            for worker in workers:
                worker.start()
            cpu = _cpu(client)
            went = time.time()
            _go(loader)
            result = _line(loader)
            result["redis_cpu_seconds"] = _cpu(client) - cpu
            result["seconds"] = result["finished"] - went
            _finish(loader)
        finally:
            for worker in workers:
                worker.stop()
    return result


def bench_resume(layers: list[str], sockets: int, behind: int, parallel: int = 100) -> dict[str, Any]:
    """Per layer: reconnect only, then reconnect and resume, after a restart of both workers."""
    results: dict[str, Any] = {}
    for layer in layers:
        row: dict[str, Any] = {"sockets": sockets, "behind": behind, "parallel": parallel}
        for label, resume in (("reconnect", False), ("resume", True)):
            run = resume_once(layer, sockets, behind, parallel, resume)
            row[label] = {
                key: run[key]
                for key in (
                    "seconds",
                    "redis_cpu_seconds",
                    "behind_min",
                    "behind_max",
                    "replayed",
                    "complete",
                    "resynced",
                    "errors",
                    "unplaced",
                    "unplaced_at_first_open",
                )
            }
        results[layer] = row
        r, c = row["resume"], row["reconnect"]
        print(
            f"  resume {layer:<6} {sockets} sockets {behind} behind: all resumed in {r['seconds']:.2f}s "
            f"(Redis CPU {r['redis_cpu_seconds']:.2f}s; {r['complete']} complete replays, {r['resynced']} "
            f"resynced, {r['errors']} errors, {r['unplaced'] + c['unplaced']} sockets opened without their "
            f"position), reconnect alone {c['seconds']:.2f}s (Redis CPU {c['redis_cpu_seconds']:.2f}s)",
            flush=True,
        )
    return results
