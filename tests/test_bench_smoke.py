"""A tiny run of the benchmark code, so it cannot rot (no timing is asserted)."""

from __future__ import annotations

import pytest

from bench import report
from bench.__main__ import SCENARIOS, main

pytestmark = pytest.mark.daphne


# The bench's in-process helpers may leave a Redis client's socket to the garbage collector
# (bench code, not the library's); its ResourceWarning must not fail this smoke run.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_bench_quick_run_measures_every_contender(capsys: pytest.CaptureFixture[str]) -> None:
    only = ",".join(name for name in SCENARIOS if name not in ("servers", "scale"))  # those: below
    results = main(["--quick", "--no-write", "--seconds", "0.2", "--only", only])
    contenders = {row["contender"] for row in results["roundtrip"]}
    assert contenders == {"hyper", "bare", "http", "http-stock", "hyper-sync", "raw-asgi"}
    assert all(row["count"] > 0 for row in results["roundtrip"])
    assert results["memory"]["hyper"]["rss_after_kib"] > 0
    slow = results["slow_reader"]["runs"]  # the reader that never reads: closed with 4408, the others got all
    assert [run["slow_socket"]["close_code"] for run in slow["with"]] == [4408]
    assert all(run["complete_readers"] == run["readers"] for run in [*slow["without"], *slow["with"]])
    counted = results["instructions"]  # valgrind counts where it is installed (bench-only tool)
    if "error" in counted:
        assert "valgrind is not installed" in counted["error"]
    else:
        per_action = {row["contender"]: row["instructions_per_action"] for row in counted["rows"]}
        assert set(per_action) == {"raw-asgi", "hyper", "bare"} and min(per_action.values()) > 0
    header = "| sockets | hyper / bare | hyper / HTTP | hyper / HTTP stock | raw ASGI floor / HTTP |"
    assert header in capsys.readouterr().out


@pytest.mark.parametrize("path", ["/ws/raw/", "/ws/hyper/", "/ws/bare/"])
def test_the_in_process_loop_checks_every_answer(path: str) -> None:
    """``bench/inprocess.py``, which the instruction count runs under valgrind: every action
    frame answered with ``toast`` then ``end``, in order, or it raises."""
    import asyncio

    from bench.inprocess import round_trips

    assert asyncio.run(round_trips(path, 25)) > 0


@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_bench_servers_and_scale_run_on_daphne_and_uvicorn(capsys: pytest.CaptureFixture[str]) -> None:
    """The per-server round trip (with the ceiling) and the scale scenario (memory, broadcast,
    reconnect storm with resume) at tiny sizes, and the tables and recommendation they fill."""
    argv = ["--quick", "--no-write", "--seconds", "0.2", "--only", "servers,scale"]
    results = main([*argv, "--servers", "daphne,uvicorn", "--scale-sockets", "30"])
    rows = results["servers"]["rows"]
    assert {(row["server"], row["contender"]) for row in rows} == {
        ("daphne", "hyper"),
        ("daphne", "raw-asgi"),
        ("uvicorn", "hyper"),
        ("uvicorn", "raw-asgi"),
        ("websockets", "websockets"),
    }
    assert all(row["count"] > 0 for row in rows)
    ratios = results["ratios"]["server_ratios"]
    assert ratios["fastest"] == "uvicorn" and ratios["fastest_vs_daphne"]["4"] is not None
    for row in results["scale"]["rows"]:
        assert row["sockets"] == 30 and row["rss_after_kib"] > 0
        assert set(row["floor_kib_per_socket"]) == {"raw", "channels"}  # the same server's floors
        assert all(isinstance(kib, float) for kib in row["floor_kib_per_socket"].values())
        assert row["broadcast"]["received"] == 30 and row["broadcast"]["complete"]
        storm = row["storm"]
        assert storm["complete"] and storm["resumed"] == storm["dropped"] == 30
        assert storm["replayed"] == 30 and storm["errors"] == 0  # each missed exactly the one push
    out = capsys.readouterr().out
    assert "Recommended: " in out
    assert "| server | KiB per socket | raw ASGI | Channels |" in out
    assert report.sections(results) in out


@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_bench_scale_runs_on_the_core_layer() -> None:
    """docs/deploy.md's and docs/performance.md's ``--scale-layer core`` at a tiny size: the
    storm on the core layer, with the backlog docs/deploy.md advises."""
    argv = ["--quick", "--no-write", "--only", "scale", "--servers", "daphne", "--scale-sockets", "30"]
    results = main([*argv, "--scale-layer", "core"])
    scale = results["scale"]
    assert scale["layer"] == "core" and scale["backlog"] == 4096
    (row,) = scale["rows"]
    assert row["broadcast"]["complete"] and row["storm"]["complete"] and row["storm"]["resumed"] == 30
    assert "(core layer, private Redis, listen backlog 4096)" in report.sections(results)


def _scale_row(server: str, resumed: int, kib: float, broadcast_ms: float, reached: bool = True) -> dict:
    return {
        "server": server,
        "sockets": 100,
        "kib_per_socket": kib,
        "broadcast": {"complete": reached, "all_ms": broadcast_ms},
        "storm": {
            "complete": resumed == 100,
            "resumed": resumed,
            "seconds": 12.0 if resumed == 100 else None,
        },
    }


def _servers_results(scale_rows: list[dict]) -> dict:
    rows = [
        {"server": server, "contender": contender, "conns": conns, "throughput": speed}
        for server, speed in (("daphne", 1000.0), ("uvicorn", 2000.0), ("uvicorn-sansio", 3000.0))
        for contender in ("hyper", "raw-asgi")
        for conns in (1, 8, 64)
    ]
    results = {
        "servers": {"servers": ["daphne", "uvicorn", "uvicorn-sansio"], "rows": rows},
        "scale": {"rows": scale_rows},
    }
    results["ratios"] = report.ratios(results)
    return results


def test_the_recommendation_follows_the_figures() -> None:
    """``bench/report_servers.recommendation``: the fastest tested server that came through the
    storm; when none did, the fastest that reached every socket, saying that none came through."""
    from bench.report_servers import recommendation

    both = _servers_results([_scale_row("daphne", 100, 30.0, 900.0), _scale_row("uvicorn", 100, 40.0, 300.0)])
    assert recommendation(both).startswith(
        "**Recommended: uvicorn.** hyperchannels on it answers 2.00 x at 8"
    )
    assert "has them back and resumed in 12.00 s after a storm (daphne: 12.00 s)" in recommendation(both)

    slow_storm = _servers_results(
        [_scale_row("daphne", 100, 30.0, 900.0), _scale_row("uvicorn", 7, 40.0, 300.0)]
    )
    text = recommendation(slow_storm)
    assert text.startswith("**Recommended: daphne.**") and "Not recommended: uvicorn" in text

    rows = [_scale_row("daphne", 0, 30.0, 900.0), _scale_row("uvicorn", 7, 40.0, 300.0)]
    rows.append(_scale_row("uvicorn-sansio", 100, 20.0, 200.0))
    text = recommendation(_servers_results(rows))
    assert text.startswith(
        "No server the test suite runs on had every socket back and resumed within the run's bound after "
        "the reconnect storm (daphne 0/100, uvicorn 7/100). **Recommended: uvicorn.**"
    )
    assert "had 7/100 back and resumed within the bound after a storm (daphne: 0/100 back)" in text
    assert "(uvicorn-sansio did come through the storm)" in text

    nobody = _servers_results(
        [
            _scale_row("daphne", 0, 30.0, 900.0, reached=False),
            _scale_row("uvicorn", 0, 40.0, 300.0, reached=False),
        ]
    )
    assert recommendation(nobody) == (
        "No server the test suite runs on reached every socket with the broadcast: no recommendation."
    )
