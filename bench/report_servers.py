"""The "Servers" and "Scale" tables of docs/performance.md, their ratios against the goals, and
the server the figures recommend (with its reason), all computed from ``results.json``.

Goals (issue "Servers and scale"): hyper >= 0.9 x the raw ASGI floor of its server at every
socket count; on the fastest server >= 1.5 x hyper-on-daphne at 8 and 64 sockets; <= 25 KiB
per idle socket on the better server.
"""

from __future__ import annotations

import math
from typing import Any

from tests.servers import ALL_SERVERS as TESTED_SERVERS

FLOOR_GOAL, SPEEDUP_GOAL, MEMORY_GOAL_KIB = 0.9, 1.5, 25.0
SPEEDUP_AT = (8, 64)
FULL_SECONDS, FULL_SOCKETS = 3.0, 10_000  # what ``python -m bench`` runs without options


def _smoke_note(smaller: bool) -> list[str]:
    if not smaller:
        return []
    return ["**A smaller run than the full bench** (see the sizes below): for checking, not for judging.", ""]


def _fmt(value: float | None, spec: str = ".2f") -> str:
    return "n/a" if value is None else format(value, spec)


def _throughputs(servers: dict[str, Any]) -> dict[tuple[str, str, int], float]:
    return {(r["server"], r["contender"], r["conns"]): float(r["throughput"]) for r in servers["rows"]}


def ratios(results: dict[str, Any]) -> dict[str, Any]:
    """``{"servers": {server: {conns: {"vs_floor", "vs_daphne", "vs_ceiling"}}}, "fastest": ...}``:
    hyper over its server's raw floor, over hyper on daphne, and over the ``websockets`` ceiling;
    ``fastest`` is the server other than daphne that the test suite runs on whose hyper is fastest
    over ``SPEEDUP_AT`` (geometric mean): the goal's "faster server"."""
    servers = results.get("servers")
    if not servers:
        return {}
    tp = _throughputs(servers)
    counts = sorted({r["conns"] for r in servers["rows"]})
    out: dict[str, Any] = {"servers": {}}
    for server in servers["servers"]:
        out["servers"][server] = {}
        for conns in counts:
            hyper = tp.get((server, "hyper", conns))
            floor = tp.get((server, "raw-asgi", conns))
            daphne = tp.get(("daphne", "hyper", conns))
            ceiling = tp.get(("websockets", "websockets", conns))
            out["servers"][server][str(conns)] = {
                "vs_floor": hyper / floor if hyper and floor else None,
                "vs_daphne": hyper / daphne if hyper and daphne else None,
                "vs_ceiling": hyper / ceiling if hyper and ceiling else None,
            }
    at = [c for c in SPEEDUP_AT if c in counts] or counts[-1:]

    def score(server: str) -> float:
        return math.prod(tp.get((server, "hyper", c), 0.0) for c in at) ** (1 / len(at))

    tested = [s for s in servers["servers"] if s in TESTED_SERVERS and s != "daphne"]
    fastest = max(tested or servers["servers"], key=score)
    out["fastest"] = fastest
    out["fastest_vs_daphne"] = {str(c): out["servers"][fastest][str(c)]["vs_daphne"] for c in at}
    return out


def recommendation(results: dict[str, Any]) -> str:
    """One paragraph: the server to run hyperchannels on and why, from the figures.

    Only servers the test suite runs on (``tests.servers.ALL_SERVERS``) are candidates; the best
    is the one fastest over ``SPEEDUP_AT`` whose scale run had every socket back and resumed.
    """
    servers = results.get("servers")
    if not servers:
        return ""
    tp = _throughputs(servers)
    r = results["ratios"]["server_ratios"]["servers"]
    scale = {row["server"]: row for row in results.get("scale", {}).get("rows", [])}
    counts = [c for c in SPEEDUP_AT if any(k[2] == c for k in tp)] or [max(k[2] for k in tp)]

    def healthy(server: str) -> bool:
        row = scale.get(server)
        return row is None or (row["storm"]["complete"] and row["broadcast"]["complete"])

    tested = [s for s in servers["servers"] if s in TESTED_SERVERS]
    candidates = [s for s in tested if healthy(s)]
    failed = [s for s in tested if not healthy(s)]
    if not tested:
        return f"None of the servers the test suite runs on ({', '.join(TESTED_SERVERS)}) was measured."
    none_through = not candidates
    if none_through:  # judge by speed and broadcast among those that reached every socket
        candidates = [s for s in tested if scale[s]["broadcast"]["complete"]]
        failed = []
    if not candidates:
        return "No server the test suite runs on reached every socket with the broadcast: no recommendation."
    best = max(
        candidates, key=lambda s: math.prod(tp.get((s, "hyper", c), 0.0) for c in counts) ** (1 / len(counts))
    )
    if best == "daphne":
        text = "**Recommended: daphne.** No other server the test suite covers was faster for hyperchannels"
        text += " and came through the scale scenario" if failed else " here"
    else:
        speed = ", ".join(f"{_fmt(r[best][str(c)]['vs_daphne'])} x at {c}" for c in counts)
        text = f"**Recommended: {best}.** hyperchannels on it answers {speed} sockets what it does on daphne"
    if best in scale:
        mine, theirs = scale[best], scale.get("daphne", scale[best])
        versus = best != "daphne" and "daphne" in scale
        text += (
            f"; it holds {mine['sockets']:,} idle sockets at {mine['kib_per_socket']:.1f} KiB each"
            + (f" (daphne {theirs['kib_per_socket']:.1f})" if versus else "")
            + f", reaches all of them with a broadcast in {mine['broadcast']['all_ms']:.0f} ms"
            + (f" (daphne {theirs['broadcast']['all_ms']:.0f})" if versus else "")
            + f" and {_storm_phrase(mine)} after a storm"
            + (f" (daphne: {_storm_phrase(theirs, short=True)})" if versus else "")
        )
    if failed:
        text += (
            f". Not recommended: {', '.join(failed)}, which did not have every socket back and resumed "
            "after the reconnect storm (or reached by the broadcast) within the run's bound"
        )
    lower = [s for s in candidates if s != best and s in scale and best in scale]
    leaner = [s for s in lower if scale[s]["kib_per_socket"] < scale[best]["kib_per_socket"]]
    if leaner:
        text += f". {', '.join(leaner)} used less memory per socket, at a lower speed"
    others = [s for s in servers["servers"] if s not in TESTED_SERVERS]
    if others:
        text += (
            f". {', '.join(others)} are measured for context only: the test suite does not run on "
            "them, so hyperchannels does not claim to support them"
        )
        through = [s for s in others if s in scale and healthy(s)]
        if (failed or none_through) and through:
            text += f" ({', '.join(through)} did come through the storm)"
    if none_through:
        text = (
            "No server the test suite runs on had every socket back and resumed within the run's "
            f"bound after the reconnect storm ({', '.join(f'{s} {_back(scale[s])}' for s in tested)}). "
            + text
        )
    return text + "."


def _back(row: dict[str, Any]) -> str:
    return f"{row['storm']['resumed']:,}/{row['sockets']:,}"


def _storm_phrase(row: dict[str, Any], short: bool = False) -> str:
    """How a scale row's reconnect storm went: all back in N s, or how many were back."""
    storm = row["storm"]
    if storm["complete"]:
        seconds = _fmt(storm["seconds"])
        return f"{seconds} s" if short else f"has them back and resumed in {seconds} s"
    return f"{_back(row)} back" if short else f"had {_back(row)} back and resumed within the bound"


def servers_table(results: dict[str, Any]) -> str:
    servers = results.get("servers")
    if not servers:
        return "No per-server run in `results.json` yet: `python -m bench --only servers`."
    tp = _throughputs(servers)
    r = results["ratios"]["server_ratios"]
    counts = sorted({row["conns"] for row in servers["rows"]})
    names = servers["servers"]
    lines = _smoke_note(servers.get("seconds", FULL_SECONDS) < FULL_SECONDS) + [
        "Action round trip (one Toast + end), actions/s, median of "
        f"{servers['rows'][0]['repeats']} interleaved runs of {servers.get('seconds', 3.0):g} s; `raw` is "
        "the bare ASGI app on the same "
        "server, `websockets` the bare `websockets` server (no ASGI):",
        "",
        "| sockets | " + " | ".join(f"{n} hyper | {n} raw" for n in names) + " | websockets |",
        "| ---: | " + " | ".join("---: | ---:" for _ in names) + " | ---: |",
    ]
    for c in counts:
        cells = " | ".join(
            f"{tp.get((n, 'hyper', c), 0):.0f} | {tp.get((n, 'raw-asgi', c), 0):.0f}" for n in names
        )
        lines.append(f"| {c} | {cells} | {tp.get(('websockets', 'websockets', c), 0):.0f} |")
    lines += [
        "",
        f"hyper / raw floor of its server (goal >= {FLOOR_GOAL}), hyper / hyper on daphne, and hyper / "
        "the `websockets` ceiling:",
        "",
        "| server | " + " | ".join(f"/ floor at {c}" for c in counts) + " | "
        + " | ".join(f"/ daphne at {c}" for c in counts) + " | "
        + " | ".join(f"/ ceiling at {c}" for c in counts) + " |",
        "| --- |" + " ---: |" * (3 * len(counts)),
    ]  # fmt: skip
    for n in names:
        row = r["servers"][n]
        cells = [_fmt(row[str(c)][key]) for key in ("vs_floor", "vs_daphne", "vs_ceiling") for c in counts]
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    floor_met = all(
        v["vs_floor"] is not None and v["vs_floor"] >= FLOOR_GOAL
        for n in names
        for v in r["servers"][n].values()
    )
    speedups = r.get("fastest_vs_daphne", {})
    speed_met = all(v is not None and v >= SPEEDUP_GOAL for v in speedups.values())
    lines += [
        "",
        f"Goals: hyper >= {FLOOR_GOAL} x its server's raw floor at every count: "
        f"{'met' if floor_met else 'not met'}; the faster tested server ({r['fastest']}) >= {SPEEDUP_GOAL} x "
        f"hyper on daphne at {' and '.join(speedups)} sockets: "
        + ", ".join(f"{_fmt(v)} x at {c}" for c, v in speedups.items())
        + f", {'met' if speed_met else 'not met'}.",
        "",
        recommendation(results),
    ]
    return "\n".join(lines)


def scale_table(results: dict[str, Any]) -> str:
    scale = results.get("scale")
    if not scale:
        return "No scale run in `results.json` yet: `python -m bench --only scale`."
    layer, backlog = scale.get("layer", "pubsub"), scale.get("backlog", "of each server")
    lines = _smoke_note(scale["sockets"] < FULL_SOCKETS) + [
        f"{scale['sockets']:,} idle sockets in one server process ({layer} layer, private Redis, listen "
        f"backlog {backlog}), held "
        f"by {scale['clients']} client processes:",
        "",
        "| server | KiB per socket | raw ASGI | Channels | broadcast p50 ms | p99 ms | all ms "
        "| storm: all back and resumed s | back | failed connects | replayed | resynced | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in scale["rows"]:
        b, s = row["broadcast"], row["storm"]
        floors = row.get("floor_kib_per_socket", {})
        lines.append(
            f"| {row['server']} | {row['kib_per_socket']:.1f} | {_fmt(floors.get('raw'), '.1f')} | "
            f"{_fmt(floors.get('channels'), '.1f')} | {b['p50_ms']:.0f} | {b['p99_ms']:.0f} | "
            f"{b['all_ms']:.0f} | {_fmt(s['seconds'])} | {s['resumed']}/{row['sockets']} | "
            f"{s['failed_connects']} | {s['replayed']} | {s['resynced']} | {s['errors']} |"
        )
    tested = [row for row in scale["rows"] if row["server"] in TESTED_SERVERS]
    if tested:
        best = min(tested, key=lambda row: row["kib_per_socket"])
        met = best["kib_per_socket"] <= MEMORY_GOAL_KIB
        lines += [
            "",
            f"Goal: <= {MEMORY_GOAL_KIB:.0f} KiB per socket on the better server: {best['server']} "
            f"{best['kib_per_socket']:.1f} KiB, {'met' if met else 'not met'}.",
        ]
        floors = best.get("floor_kib_per_socket")
        if floors:
            lines[-1] += (
                f" On {best['server']} the server alone (raw ASGI) holds a socket in "
                f"{floors['raw']:.1f} KiB and a plain Channels consumer in one group in "
                f"{floors['channels']:.1f}: hyperchannels adds "
                f"{best['kib_per_socket'] - floors['channels']:.1f} KiB over Channels."
            )
    return "\n".join(lines)
