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
    header = "| sockets | hyper / bare | hyper / HTTP | hyper / HTTP stock | raw ASGI floor / HTTP |"
    assert header in capsys.readouterr().out


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
