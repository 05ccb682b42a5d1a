"""A tiny run of the benchmark code, so it cannot rot (no timing is asserted)."""

from __future__ import annotations

import pytest

from bench.__main__ import main

pytestmark = pytest.mark.daphne


# The bench's in-process helpers may leave a Redis client's socket to the garbage collector
# (bench code, not the library's); its ResourceWarning must not fail this smoke run.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_bench_quick_run_measures_every_contender(capsys: pytest.CaptureFixture[str]) -> None:
    results = main(["--quick", "--no-write", "--seconds", "0.2"])
    contenders = {row["contender"] for row in results["roundtrip"]}
    assert contenders == {"hyper", "bare", "http", "http-stock", "hyper-sync", "raw-asgi"}
    assert all(row["count"] > 0 for row in results["roundtrip"])
    assert results["memory"]["hyper"]["rss_after_kib"] > 0
    header = "| sockets | hyper / bare | hyper / HTTP | hyper / HTTP stock | raw ASGI floor / HTTP |"
    assert header in capsys.readouterr().out
