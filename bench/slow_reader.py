"""One socket that never reads, in a group of sockets receiving a stream of pushes
(docs/security.md, "Slow readers"): the server's memory stays bounded, the slow socket is
closed with 4408, and the others' push latency stays what it is without it.

``python -m bench.slow_reader [--sockets 100] [--pushes 20000] [--rate 200] [--repeats 2]``

Each run starts its own daphne (the bench app, default ``MAX_BUFFERED_BYTES``) on the Redis
pub/sub layer of a private ``redis-server``, with the sender in a process of its own as a
site's worker would be. Pub/sub because it is what a site with several processes runs and its
per-channel queue in the server is unbounded: the core layer's ``capacity`` (100 by default)
would drop pushes of a burst this long and the counts would measure that, not the outbox.

The group's readers are spread over ``--readers`` processes so that reading 99 sockets is not
what limits the measure. A run with the slow socket and one without alternate ``--repeats``
times. The sender is paced (``--rate`` pushes a second, the same in every run): pushes sent
faster than the server writes them would queue in it, and the latency would then be the
queue's length, the same with or without a slow socket, rather than what a push costs.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from tests.redis_server import PrivateRedis
from tests.servers import DaphneProcess

from .recovery import _finish as finish
from .recovery import _go as go
from .recovery import _line as read_line
from .recovery import _spawn as spawn
from .slow_reader_load import BUCKET_MS, WINDOWS, drain_close_code, stalled

ROOT = Path(__file__).resolve().parent.parent
APP = "bench.slow_reader_app:application"
SETTINGS = "bench.project.settings"
PATH = "/ws/hyper/"

QUICK = {"sockets": 10, "readers": 2, "pushes": 600, "size": 20_000, "rate": 200, "repeats": 1}
"""``make bench --quick``'s sizes: 12 MB to the slow socket, past the 8 MiB, in 3 s."""


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def percentile(histogram: dict[int, int], q: float) -> float:
    """The ``q`` quantile (0..1) of a histogram of ``BUCKET_MS`` buckets, in ms."""
    total = sum(histogram.values())
    rank = q * total
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= rank:
            return (bucket + 1) * BUCKET_MS
    return 0.0


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far: what the run cost the server,
    whatever else the machine was busy with."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def merge(histograms: list[dict[int, int]]) -> dict[int, int]:
    merged: dict[int, int] = {}
    for histogram in histograms:
        for bucket, count in histogram.items():
            merged[bucket] = merged.get(bucket, 0) + count
    return merged


class RssSampler(threading.Thread):
    """The server's RSS every 50 ms while a run lasts (KiB)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.samples = [rss_kib(pid)]
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.05):
            self.samples.append(rss_kib(self.pid))


def watch_slow(server: DaphneProcess, sock: socket.socket, result: dict[str, Any], seconds: float) -> None:
    """Wait (reading nothing) until the server notes it closed ``sock`` (``bench.slow_reader_app``),
    then read what it was sent: the close frame waits behind it, and the server drops the
    connection ``CLOSE_GRACE_SECONDS`` (10 s) after closing it."""
    port = sock.getsockname()[1]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for line in server.log().splitlines():
            if line.startswith("{") and f'"closed_port": {port},' in line:
                note = json.loads(line)
                result.update(server_code=note["code"], closed_at=note["at"])
                result.update(drain_close_code(sock, 30))
                return
        time.sleep(0.05)
    result["server_code"] = None


def one_run(
    redis_url: str, sockets: int, readers: int, pushes: int, size: int, rate: float, slow: bool
) -> dict[str, Any]:
    """A daphne, ``sockets - 1`` reading sockets and (``slow``) one that never reads."""
    env = {
        "PYTHONPATH": str(ROOT),
        "BENCH_LAYER": "pubsub",
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "BENCH_PREFIX": f"bench-{uuid.uuid4().hex[:8]}",
    }
    full_env = {**os.environ, **env}
    reading = sockets - 1
    with DaphneProcess(APP, SETTINGS, env=env) as server:
        assert server.process is not None
        share = [reading // readers + (1 if i < reading % readers else 0) for i in range(readers)]
        args = {"port": server.port, "path": PATH, "pushes": pushes, "timeout": pushes / rate + 120}
        loaders = [
            spawn("bench.slow_reader_load", full_env, "read", json.dumps({**args, "sockets": n}))
            for n in share
            if n
        ]
        pacing = json.dumps({"pushes": pushes, "size": size, "rate": rate})
        sender = spawn("bench.slow_reader_load", full_env, "send", pacing)
        stalled_socket = stalled(server.port, PATH) if slow else None
        for process in [*loaders, sender]:
            read_line(process)
        time.sleep(0.5)  # every socket's group_add lands
        sampler = RssSampler(server.process.pid)
        sampler.start()
        slow_result: dict[str, Any] = {}
        drainer = None
        if stalled_socket is not None:
            drainer = threading.Thread(
                target=watch_slow, args=(server, stalled_socket, slow_result, pushes / rate + 60), daemon=True
            )
        for process in loaders:
            go(process)
        cpu_start = cpu_seconds(server.process.pid)
        go(sender)
        slow_result["go"] = time.time()
        if drainer is not None:
            drainer.start()
        sent = read_line(sender)
        results = [read_line(process) for process in loaders]
        if drainer is not None:
            drainer.join()
        cpu = cpu_seconds(server.process.pid) - cpu_start
        sampler.stopping.set()
        sampler.join()
        time.sleep(1.0)
        end_kib = rss_kib(server.process.pid)
        for process in [*loaders, sender]:
            finish(process)
        if stalled_socket is not None:
            stalled_socket.close()
        errors = "Exception inside application" in server.log()
    histogram: dict[int, int] = {}
    for result in results:
        for bucket, count in result["histogram"].items():
            histogram[int(bucket)] = histogram.get(int(bucket), 0) + count
    counts = [count for result in results for count in result["counts"]]
    windows: dict[int, dict[int, int]] = {}
    for result in results:
        for window, buckets in result["windows"].items():
            merged = windows.setdefault(int(window), {})
            for bucket, count in buckets.items():
                merged[int(bucket)] = merged.get(int(bucket), 0) + count
    go_at = slow_result.pop("go")
    if "closed_at" in slow_result:
        slow_result["closed_after_s"] = round(slow_result.pop("closed_at") - go_at, 2)
    if slow_result.get("last_n") is not None:
        slow_result["last_push_sent_at_s"] = round(slow_result["last_n"] / rate, 2)
    return {
        "slow": slow,
        "readers": len(counts),
        "complete_readers": sum(1 for count in counts if count == pushes),
        "min_count": min(counts),
        "p50_ms": round(percentile(histogram, 0.50), 1),
        "p99_ms": round(percentile(histogram, 0.99), 1),
        "max_ms": round(percentile(histogram, 1.0), 1),
        "p99_by_window_ms": [round(percentile(windows[w], 0.99), 1) for w in sorted(windows)],
        "rss_start_mib": round(sampler.samples[0] / 1024, 1),
        "rss_peak_mib": round(max(sampler.samples) / 1024, 1),
        "rss_end_mib": round(end_kib / 1024, 1),
        "sent_seconds": round(sent["sent_seconds"], 1),
        "sender_max_behind_s": round(sent["max_behind_s"], 3),
        "reader_close_codes": [code for result in results for code in result["close_codes"]],
        "server_errors": errors,
        "server_cpu_s": round(cpu, 1),
        "load_average": round(os.getloadavg()[0], 1),
        "_windows": windows,
        **({"slow_socket": slow_result} if slow else {}),
    }


def bench_slow_reader(
    sockets: int = 100,
    readers: int = 4,
    pushes: int = 20_000,
    size: int = 2000,
    rate: float = 150,
    repeats: int = 2,
) -> dict[str, Any]:
    """Runs without and with the slow socket, alternating; each kind's median-p99 run is its row."""
    runs: dict[str, list[dict[str, Any]]] = {"without": [], "with": []}
    with PrivateRedis() as redis:
        for _ in range(repeats):
            for label, slow in (("without", False), ("with", True)):
                run = one_run(redis.url, sockets, readers, pushes, size, rate, slow)
                runs[label].append(run)
                shown = {key: value for key, value in run.items() if key != "_windows"}
                print(f"  slow reader {label:<7} {json.dumps(shown)}", flush=True)
    buffering = []
    for without, with_ in zip(runs["without"], runs["with"], strict=True):
        # The pushes sent while the slow socket's frames piled up (before its close): the part
        # of the run where it could cost the others anything.
        closed = with_["slow_socket"].get("closed_after_s") or pushes / rate
        last = int(closed * rate) * WINDOWS // pushes
        p99s = [
            percentile(merge([run["_windows"][w] for w in range(last) if w in run["_windows"]]), 0.99)
            for run in (without, with_)
        ]
        buffering.append([round(p99s[0], 1), round(p99s[1], 1)])
    for run in [*runs["without"], *runs["with"]]:
        del run["_windows"]
    median = {label: sorted(rows, key=lambda r: r["p99_ms"])[len(rows) // 2] for label, rows in runs.items()}
    summary = {
        "sockets": sockets,
        "pushes": pushes,
        "push_bytes": size,
        "rate": rate,
        "reader_processes": readers,
        "runs": runs,
        "p99_ratio": round(median["with"]["p99_ms"] / median["without"]["p99_ms"], 2),
        "p99_while_buffering_ms": buffering,
        "p99_ratio_each": [
            round(w["p99_ms"] / o["p99_ms"], 2) for w, o in zip(runs["with"], runs["without"], strict=True)
        ],
    }
    print(
        f"  slow reader: {sockets} sockets x {pushes} pushes of {size} B at {rate:g}/s: p99 "
        f"{median['without']['p99_ms']} ms without, {median['with']['p99_ms']} ms with the slow one "
        f"(x{summary['p99_ratio']}, each pair {summary['p99_ratio_each']}); server CPU "
        f"{[r['server_cpu_s'] for r in runs['without']]} / {[r['server_cpu_s'] for r in runs['with']]} s; "
        "RSS peak "
        f"{[r['rss_peak_mib'] for r in runs['without']]} / {[r['rss_peak_mib'] for r in runs['with']]} MiB; "
        f"slow socket {[r['slow_socket'] for r in runs['with']]}; p99 (without, with) over the pushes "
        f"sent before its close: {buffering}",
        flush=True,
    )
    return summary


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.slow_reader", description=__doc__)
    parser.add_argument("--sockets", type=int, default=100, help="the group's sockets, the slow one included")
    parser.add_argument("--readers", type=int, default=4, help="reader processes")
    parser.add_argument("--pushes", type=int, default=20_000)
    parser.add_argument("--size", type=int, default=2000, help="bytes of padding per push")
    parser.add_argument("--rate", type=float, default=150, help="pushes per second")
    parser.add_argument("--repeats", type=int, default=2, help="pairs of runs (without, with)")
    args = parser.parse_args(argv)
    return bench_slow_reader(args.sockets, args.readers, args.pushes, args.size, args.rate, args.repeats)


if __name__ == "__main__":
    main()
