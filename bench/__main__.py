"""``python -m bench``: hyperchannels side by side with a bare Channels consumer and HTTP.

Every contender is measured in the same run, against the same kind of daphne process, by a
load generator in its own process; ``instructions`` counts each contender's instructions per
action in process (``bench/instructions.py``, valgrind), ``servers`` runs the round trip on
every installed ASGI server (``bench/servers.py``) and ``scale`` holds 10,000 sockets in one
server process (``bench/scale.py``). Results go to ``bench/results.json`` and the tables in
``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.servers import DaphneProcess

from . import instructions, presence, recovery, report, scale, servers, slow_reader
from .recovery import _env as bench_env
from .recovery import _go as go
from .recovery import _line as read_line
from .recovery import _spawn as spawn

ROOT = Path(__file__).resolve().parent.parent
APP = "bench.project.asgi:application"
SETTINGS = "bench.project.settings"


def run_load(mode: str, **args: Any) -> dict[str, Any]:
    """Run one load generator process to completion and return its JSON result."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.load", mode, json.dumps(args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if out.returncode != 0:
        raise RuntimeError(f"load generator {mode} failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


CONTENDERS = (  # load generator kind, action, label, server
    ("hyper", "toast", "hyper", "main"),
    ("bare", "toast", "bare", "main"),
    ("http", "toast", "http", "main"),
    ("http-stock", "toast", "http-stock", "stock"),
    ("hyper", "sync_toast", "hyper-sync", "main"),
    ("raw", "toast", "raw-asgi", "main"),
)
STOCK_SETTINGS = "bench.project.settings_stock"


def bench_roundtrip(conns_list: list[int], seconds: float, repeats: int) -> list[dict[str, Any]]:
    """Each contender ``repeats`` times, interleaved; the row keeps the median run."""
    rows = []
    with DaphneProcess(APP, SETTINGS) as main, DaphneProcess(APP, STOCK_SETTINGS) as stock:
        ports = {"main": main.port, "stock": stock.port}
        for conns in conns_list:
            runs: dict[str, list[dict[str, Any]]] = {label: [] for _, _, label, _ in CONTENDERS}
            for _ in range(repeats):
                for kind, action, label, server in CONTENDERS:
                    runs[label].append(
                        run_load(
                            "roundtrip",
                            port=ports[server],
                            kind=kind,
                            conns=conns,
                            seconds=seconds,
                            action=action,
                        )
                    )
            for _, _, label, _ in CONTENDERS:
                ordered = sorted(runs[label], key=lambda r: r["throughput"])
                result = ordered[len(ordered) // 2]
                rows.append(
                    {
                        "contender": label,
                        "conns": conns,
                        "repeats": repeats,
                        "all_throughputs": [round(r["throughput"]) for r in runs[label]],
                        **result,
                    }
                )
                print(
                    f"  roundtrip {label:<10} conns={conns:<3} {result['throughput']:9.0f}/s "
                    f"p50={result['p50_ms']:.2f}ms p99={result['p99_ms']:.2f}ms "
                    f"(runs: {rows[-1]['all_throughputs']})",
                    flush=True,
                )
    return rows


def bench_sync_parallel(conns: int, seconds: float) -> dict[str, Any]:
    """A sync action sleeping 50 ms on ``conns`` sockets: parallel if throughput ~ conns/0.05."""
    with DaphneProcess(APP, SETTINGS) as server:
        result = run_load(
            "roundtrip",
            port=server.port,
            kind="hyper",
            conns=conns,
            seconds=seconds,
            action="sleepy",
            data={"seconds": 0.05},
        )
    result["serial_throughput"] = 1 / 0.05
    print(
        f"  sync sleepy 50ms x{conns}: {result['throughput']:.0f}/s "
        f"(one thread would give {result['serial_throughput']:.0f}/s)",
        flush=True,
    )
    return {"conns": conns, **result}


def bench_memory(conns: int) -> dict[str, Any]:
    results: dict[str, Any] = {"conns": conns}
    for kind in ("hyper", "bare"):
        with DaphneProcess(APP, SETTINGS) as server:
            assert server.process is not None
            run_load("roundtrip", port=server.port, kind=kind, conns=1, seconds=0.2, warmup=0.1)
            time.sleep(0.3)
            before = rss_kib(server.process.pid)
            command = [
                sys.executable,
                "-m",
                "bench.load",
                "idle",
                json.dumps({"port": server.port, "kind": kind, "conns": conns}),
            ]
            env = {**os.environ, "PYTHONPATH": str(ROOT)}
            with subprocess.Popen(
                command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
            ) as holder:
                assert holder.stdout is not None and holder.stdin is not None
                ready = json.loads(holder.stdout.readline())
                time.sleep(1.0)
                after = rss_kib(server.process.pid)
                holder.stdin.close()
                holder.wait(60)
        per_socket = (after - before) * 1024 / ready["ready"]
        results[kind] = {"rss_before_kib": before, "rss_after_kib": after, "bytes_per_socket": per_socket}
        print(
            f"  memory {kind:<6} {ready['ready']} idle sockets: {per_socket / 1024:.1f} KiB/socket",
            flush=True,
        )
    return results


def _spawn(mode: str, env: dict[str, str], **args: Any) -> subprocess.Popen[str]:
    return spawn("bench.load", env, mode, json.dumps(args))


def fanout_once(ports: list[int], env: dict[str, str], kind: str, sockets: int, messages: int) -> float:
    """Seconds from the first send until every socket has every message."""
    with (
        _spawn("send", env, kind=kind, messages=messages) as sender,
        _spawn("fanout", env, ports=ports, kind=kind, sockets=sockets, messages=messages) as loader,
    ):
        read_line(sender)
        read_line(loader)
        go(sender)
        started = read_line(sender)["started"]
        go(loader)
        finished = read_line(loader)["finished"]
        for process in (sender, loader):
            assert process.stdin is not None
            process.stdin.close()
            process.wait(60)
    return float(finished - started)


FANOUT_CONTENDERS = (  # label, load generator kind, recovery's HISTORY_SIZE of workers and sender
    ("hyper", "hyper", 100),
    ("hyper_off", "hyper", 0),
    ("bare", "bare", 100),
)


def bench_fanout(layers: list[str], sizes: list[int], messages: int, redis_url: str) -> dict[str, Any]:
    """Fan-out per layer and size: hyperchannels with recovery on (the default) and off, and a
    bare ``group_send``; small sizes repeat (interleaved) and keep the median."""
    results: dict[str, Any] = {}
    for layer in layers:
        envs = {history: bench_env(layer, redis_url, history) for history in (100, 0)}
        rows = []
        with (
            DaphneProcess(APP, SETTINGS, env=envs[100]) as a,
            DaphneProcess(APP, SETTINGS, env=envs[100]) as b,
            DaphneProcess(APP, SETTINGS, env=envs[0]) as c,
            DaphneProcess(APP, SETTINGS, env=envs[0]) as d,
        ):
            ports = {100: [a.port, b.port], 0: [c.port, d.port]}
            for sockets in sizes:
                repeats = 3 if sockets <= 1000 else 1
                count = messages * 3 if sockets <= 1000 else messages
                runs: dict[str, list[float]] = {label: [] for label, _, _ in FANOUT_CONTENDERS}
                for _ in range(repeats):
                    for label, kind, history in FANOUT_CONTENDERS:
                        runs[label].append(fanout_once(ports[history], envs[history], kind, sockets, count))
                row: dict[str, Any] = {"sockets": sockets, "messages": count, "repeats": repeats}
                for label, times in runs.items():
                    row[f"{label}_seconds"] = sorted(times)[len(times) // 2]
                    row[f"{label}_all"] = [round(t, 3) for t in times]
                rows.append(row)
                print(
                    f"  fanout {layer:<6} {sockets:>5} sockets x {count} msgs: "
                    f"hyper {row['hyper_seconds']:.3f}s recovery off {row['hyper_off_seconds']:.3f}s "
                    f"bare {row['bare_seconds']:.3f}s "
                    f"(runs {row['hyper_all']} / {row['hyper_off_all']} / {row['bare_all']})",
                    flush=True,
                )
        results[layer] = rows
        for env in envs.values():
            _forget_keys(redis_url, env["BENCH_PREFIX"])
    return results


def _forget_keys(redis_url: str, prefix: str) -> None:
    """Delete what a run left in Redis (killed workers leave their group memberships)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        for key in client.scan_iter(match=f"{prefix}*", count=1000):
            client.delete(key)
    finally:
        client.close()


SCENARIOS = (
    "roundtrip",
    "instructions",
    "sync",
    "memory",
    "fanout",
    "recovery-cost",
    "resume",
    "presence",
    "servers",
    "scale",
    "slow-reader",
)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny run: checks the bench code works")
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--no-write", action="store_true", help="don't write results.json or docs")
    parser.add_argument(
        "--only",
        default=",".join(SCENARIOS),
        help=f"comma-separated scenarios to run (default all: {','.join(SCENARIOS)}); the others' "
        "figures are kept from bench/results.json",
    )
    parser.add_argument(
        "--servers",
        default=",".join(servers.installed_servers()),
        help="comma-separated ASGI servers for the servers and scale scenarios (default: every one of "
        f"{', '.join(servers.ALL_SERVERS)} that is installed)",
    )
    parser.add_argument("--scale-sockets", type=int, default=None, help="idle sockets (default 10000)")
    parser.add_argument(
        "--scale-clients", type=int, default=None, help="client processes holding them (default 1 per 2,500)"
    )
    parser.add_argument(
        "--scale-layer",
        choices=("pubsub", "core"),
        default="pubsub",
        help="the channel layer of the scale scenario (default pubsub, the one docs/broadcast.md recommends)",
    )
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    if only - set(SCENARIOS):
        parser.error(f"unknown scenarios {sorted(only - set(SCENARIOS))}; choose from {', '.join(SCENARIOS)}")
    seconds = args.seconds or (0.3 if args.quick else 3.0)
    conns_list = [1, 4] if args.quick else [1, 8, 64]
    idle = 20 if args.quick else 1000
    print(f"hyperchannels bench on {os.cpu_count()} cores, Python {platform.python_version()}", flush=True)
    results: dict[str, Any] = {
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "quick": args.quick,
    }
    if "roundtrip" in only:
        results["roundtrip"] = bench_roundtrip(conns_list, seconds, 1 if args.quick else 3)
    if "instructions" in only:
        results["instructions"] = (
            instructions.bench_instructions(50, 150) if args.quick else instructions.bench_instructions()
        )
    if "sync" in only:
        results["sync_parallel"] = bench_sync_parallel(4 if args.quick else 16, seconds)
    if "memory" in only:
        results["memory"] = bench_memory(idle)
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    layers = ["core", "pubsub"]
    if "fanout" in only:
        sizes = [20] if args.quick else [100, 1000, 5000]
        results["fanout"] = bench_fanout(layers, sizes, 3 if args.quick else 10, redis_url)
    if "recovery-cost" in only:
        results["recovery_cost"] = recovery.bench_recovery_cost(
            layers, 20 if args.quick else 500, 5 if args.quick else 50
        )
    if "resume" in only:
        results["resume"] = recovery.bench_resume(layers, 40 if args.quick else 5000, 50)
    if "presence" in only:
        results["presence"] = presence.bench_presence("pubsub", [20, 60] if args.quick else [100, 5000], 10)
    names = [name for name in args.servers.split(",") if name]
    if set(names) - set(servers.ALL_SERVERS):
        parser.error(f"unknown servers {sorted(set(names) - set(servers.ALL_SERVERS))}")
    if "servers" in only:
        results["servers"] = servers.bench_servers(
            names, conns_list, seconds, 1 if args.quick else 3, run_load
        )
    if "scale" in only:
        sockets = args.scale_sockets or (60 if args.quick else 10_000)
        clients = args.scale_clients or max(1, -(-sockets // 2500))
        results["scale"] = scale.bench_scale(names, sockets, clients, run_load, layer=args.scale_layer)
    if "slow-reader" in only:
        results["slow_reader"] = slow_reader.bench_slow_reader(**(slow_reader.QUICK if args.quick else {}))
    results["bundle"] = report.bundle_size()
    if only != set(SCENARIOS):
        results = report.merged(results)
    results["ratios"] = report.ratios(results)
    print(report.table(results), flush=True)
    print(report.sections(results), flush=True)
    if not args.no_write:
        report.write(results)
    return results


if __name__ == "__main__":
    main()
