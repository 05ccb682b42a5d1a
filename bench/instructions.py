"""Instructions per action round trip, in process (``bench/inprocess.py``), counted by valgrind.

Timings on a shared machine vary by ±15 % from run to run; an instruction count repeats to
within a fraction of a percent, so a change of a few percent in the per-action path can be
seen. Each contender runs twice under ``valgrind --tool=cachegrind`` (``SMALL`` and ``LARGE``
actions on one socket); the difference divided by ``LARGE - SMALL`` is its cost per action,
start-up (Python, Django, the socket's opening) cancelled out. Without valgrind the scenario
says so and measures nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = "bench.project.settings"
"""No rate limit (the loop sends thousands of frames from one socket), the in-memory layer."""
PATHS = {"raw-asgi": "/ws/raw/", "hyper": "/ws/hyper/", "bare": "/ws/bare/"}
SMALL, LARGE = 1000, 4000
_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def count(path: str, actions: int) -> int:
    """Instructions valgrind counted for a whole ``bench.inprocess`` run of ``actions``."""
    command = [
        "valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
        sys.executable, "-m", "bench.inprocess", path, str(actions),
    ]  # fmt: skip
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS}  # the bench's, whoever runs it
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=True)
    match = _REFS.search(done.stderr)
    if match is None:
        raise RuntimeError(f"no instruction count in valgrind's output: {done.stderr[-500:]}")
    return int(match.group(1).replace(",", ""))


def bench_instructions(small: int = SMALL, large: int = LARGE) -> dict[str, Any]:
    """``{"rows": [{"contender", "instructions_per_action"}], "small", "large"}``, or
    ``{"error": ...}`` where valgrind is not installed."""
    if shutil.which("valgrind") is None:
        return {"error": "valgrind is not installed (apt-get install valgrind)"}
    rows = []
    for contender, path in PATHS.items():
        per_action = (count(path, large) - count(path, small)) / (large - small)
        rows.append({"contender": contender, "instructions_per_action": round(per_action)})
        print(f"  instructions {contender:<9} {per_action:10.0f} per action", flush=True)
    return {"small": small, "large": large, "rows": rows}
