"""Ratios, the printed table, ``bench/results.json`` and the table in ``docs/performance.md``."""

from __future__ import annotations

import gzip
import json
import subprocess
from pathlib import Path
from typing import Any

from . import report_servers

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def instructions_table(results: dict[str, Any]) -> str:
    """Instructions per action in process (``bench/instructions.py``), beside the raw ASGI app's."""
    data = results.get("instructions")
    if not data:
        return "Not measured yet: `python -m bench --only instructions`."
    if "error" in data:
        return f"Not measured in the last run: {data['error']}."
    counts = {row["contender"]: row["instructions_per_action"] for row in data["rows"]}
    raw = counts["raw-asgi"]
    lines = [
        "Instructions per action round trip in process (`bench/inprocess.py` under valgrind: "
        f"{data['large']} minus {data['small']} actions on one socket):",
        "",
        "| contender | instructions per action | over the raw ASGI app | / raw ASGI |",
        "| --- | ---: | ---: | ---: |",
    ]
    for contender, instructions in counts.items():
        over = instructions - raw
        lines.append(f"| {contender} | {instructions:,} | {over:+,} | {instructions / raw:.2f} x |")
    return "\n".join(lines)


SECTIONS = {  # docs/performance.md's other generated sections: markers -> what fills them
    "instructions": instructions_table,
    "servers": report_servers.servers_table,
    "scale": report_servers.scale_table,
}


def bundle_size() -> dict[str, Any]:
    """Minified (esbuild, the entry bundled with its modules) and gzipped size of the client."""
    source = ROOT / "hyperchannels" / "static" / "hyperchannels" / "hyperchannels.js"
    esbuild = ROOT / "js" / "node_modules" / ".bin" / "esbuild"
    if not source.exists() or not esbuild.exists():
        return {"error": f"{source.relative_to(ROOT)} or esbuild (cd js && npm ci) missing"}
    minified = subprocess.run(
        [str(esbuild), str(source), "--bundle", "--minify", "--format=esm"],
        capture_output=True,
        check=True,
    ).stdout
    return {
        "source_bytes": sum(path.stat().st_size for path in source.parent.glob("*.js")),
        "minified_bytes": len(minified),
        "gzip_bytes": len(gzip.compress(minified, compresslevel=9)),
    }


def _throughput(results: dict[str, Any], contender: str, conns: int) -> float:
    for row in results.get("roundtrip", []):
        if row["contender"] == contender and row["conns"] == conns:
            return float(row["throughput"])
    return 0.0


def ratios(results: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"roundtrip": {}}
    for conns in sorted({row["conns"] for row in results.get("roundtrip", [])}):
        hyper = _throughput(results, "hyper", conns)
        bare = _throughput(results, "bare", conns)
        http = _throughput(results, "http", conns)
        stock = _throughput(results, "http-stock", conns)
        raw = _throughput(results, "raw-asgi", conns)
        out["roundtrip"][str(conns)] = {
            "hyper_vs_bare": hyper / bare if bare else None,
            "hyper_vs_http": hyper / http if http else None,
            "hyper_vs_http_stock": hyper / stock if stock else None,
            "raw_floor_vs_http": raw / http if http and raw else None,
        }
    out["server_ratios"] = report_servers.ratios(results)
    memory = results.get("memory", {})
    if "hyper" in memory and "bare" in memory and memory["bare"]["bytes_per_socket"] > 0:
        out["memory_hyper_vs_bare"] = memory["hyper"]["bytes_per_socket"] / memory["bare"]["bytes_per_socket"]
    for layer, fan in results.get("fanout", {}).items():
        out.setdefault("fanout", {})[layer] = {
            str(row["sockets"]): row["hyper_seconds"] / row["bare_seconds"] if row["bare_seconds"] else None
            for row in fan
        }
        if all("hyper_off_seconds" in row for row in fan):
            out.setdefault("fanout_recovery_off", {})[layer] = {
                str(row["sockets"]): row["hyper_off_seconds"] / row["bare_seconds"]
                if row["bare_seconds"]
                else None
                for row in fan
            }
    return out


def merged(results: dict[str, Any]) -> dict[str, Any]:
    """``results`` of the scenarios just run over the figures of the others in ``results.json``."""
    previous: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    previous.pop("ratios", None)
    return {**previous, **results}


def _fmt(value: float | None, spec: str = ".2f") -> str:
    return "n/a" if value is None else format(value, spec)


def table(results: dict[str, Any]) -> str:
    lines = [
        f"Machine: {results['machine']['cores']} cores, Python {results['machine']['python']}"
        + (" (quick run)" if results.get("quick") else ""),
        "",
        "Action round trip (one Toast + end), sequential per socket, one daphne:",
        "",
        "| sockets | contender | actions/s | p50 ms | p99 ms |",
        "| ---: | --- | ---: | ---: | ---: |",
    ]
    for row in results.get("roundtrip", []):
        lines.append(
            f"| {row['conns']} | {row['contender']} | {row['throughput']:.0f} | "
            f"{row['p50_ms']:.2f} | {row['p99_ms']:.2f} |"
        )
    lines += [
        "",
        "| sockets | hyper / bare | hyper / HTTP | hyper / HTTP stock | raw ASGI floor / HTTP |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for conns, r in results["ratios"]["roundtrip"].items():
        lines.append(
            f"| {conns} | {_fmt(r['hyper_vs_bare'])} x | {_fmt(r['hyper_vs_http'])} x | "
            f"{_fmt(r.get('hyper_vs_http_stock'))} x | {_fmt(r.get('raw_floor_vs_http'))} x |"
        )
    sync = results.get("sync_parallel")
    if sync:
        lines += [
            "",
            f"Sync action sleeping 50 ms on {sync['conns']} sockets: {sync['throughput']:.0f} actions/s "
            f"(one shared thread would cap it at {sync['serial_throughput']:.0f}/s).",
        ]
    for layer, fan in results.get("fanout", {}).items():
        lines += [
            "",
            f"Broadcast fan-out on `{layer}` (time until every socket has every message; recovery on is "
            "the default, `HISTORY_SIZE` 100):",
            "",
            "| sockets | messages | hyperchannels s | recovery off s | bare group_send s | ratio "
            "| ratio off |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for row in fan:
            bare = row["bare_seconds"]
            off = row.get("hyper_off_seconds")
            lines.append(
                f"| {row['sockets']} | {row['messages']} | {row['hyper_seconds']:.3f} | "
                f"{_fmt(off, '.3f')} | {bare:.3f} | {_fmt(row['hyper_seconds'] / bare if bare else None)} | "
                f"{_fmt(off / bare if bare and off is not None else None)} |"
            )
    lines += _recovery_tables(results)
    memory = results.get("memory")
    if memory:
        lines += [
            "",
            f"Memory of {memory['conns']} idle sockets in one daphne worker:",
            "",
            "| consumer | KiB per socket |",
            "| --- | ---: |",
        ]
        for kind in ("hyper", "bare"):
            lines.append(f"| {kind} | {memory[kind]['bytes_per_socket'] / 1024:.1f} |")
        lines.append(f"| ratio | {_fmt(results['ratios'].get('memory_hyper_vs_bare'))} x |")
    bundle = results.get("bundle", {})
    if "gzip_bytes" in bundle:
        lines += [
            "",
            f"Client bundle: {bundle['source_bytes']} B source, {bundle['minified_bytes']} B "
            f"minified, {bundle['gzip_bytes']} B minified+gzipped.",
        ]
    return "\n".join(lines)


def _recovery_tables(results: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    cost = results.get("recovery_cost")
    if cost:
        lines += [
            "",
            "Recovery's cost at the sender: Redis round trips per broadcast, counted in the sending "
            "process; and from `INFO commandstats` of a private Redis, per broadcast, the `EVAL`s "
            "Redis ran (the core layer's own scripts, and its workers' receives, included) and the "
            "`INCRBY`s (only the history's script has one):",
            "",
            "| layer | recovery on | recovery off | bare group_send | extra | EVAL on / off / bare "
            "| INCRBY on / off / bare |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for layer, row in cost.items():
            trips = [row[label]["round_trips_per_broadcast"] for label in ("on", "off", "bare")]
            calls = {
                command: " / ".join(
                    _fmt(row[label]["redis_calls_per_broadcast"].get(command, 0.0))
                    for label in ("on", "off", "bare")
                )
                for command in ("eval", "incrby")
            }
            lines.append(
                f"| {layer} | {trips[0]:.2f} | {trips[1]:.2f} | {trips[2]:.2f} | "
                f"{row['extra_round_trips']:+.2f} | {calls['eval']} | {calls['incrby']} |"
            )
    resume = results.get("resume")
    if resume:
        lines += [
            "",
            "Resume after a restart of both workers (`SIGKILL`): every socket reconnects, at most "
            "`parallel` at once, and resumes from its old position, each the same number of pushes "
            "behind; time from the workers listening again until the last socket has its replay, and "
            "Redis's CPU meanwhile (`INFO cpu`, a private Redis). Reconnect alone: the same without "
            "the resume.",
            "",
            "| layer | sockets | behind | parallel | resume s | Redis CPU s | replayed whole | resynced "
            "| errors | opened without position | reconnect alone s | Redis CPU s |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for layer, row in resume.items():
            r, c = row["resume"], row["reconnect"]
            lines.append(
                f"| {layer} | {row['sockets']} | {row['behind']} | {row['parallel']} | {r['seconds']:.2f} | "
                f"{r['redis_cpu_seconds']:.2f} | {r['complete']} | {r['resynced']} | {r.get('errors', 0)} | "
                f"{r.get('unplaced', 0) + c.get('unplaced', 0)} | {c['seconds']:.2f} | "
                f"{c['redis_cpu_seconds']:.2f} |"
            )
    return lines


def sections(results: dict[str, Any]) -> str:
    """The servers and scale tables, as printed at the end of a run."""
    return "\n\n".join(render(results) for render in SECTIONS.values())


def _fill(text: str, begin: str, end: str, body: str) -> str:
    if begin not in text or end not in text:
        return text
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{body}\n{end}{tail}"


def write(results: dict[str, Any]) -> None:
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    if not DOC.exists():
        return
    text = _fill(DOC.read_text(), BEGIN, END, table(results))
    for name, render in SECTIONS.items():
        text = _fill(text, f"<!-- bench:{name}:begin -->", f"<!-- bench:{name}:end -->", render(results))
    DOC.write_text(text)
