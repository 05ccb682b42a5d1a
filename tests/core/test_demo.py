"""The README's run command serves the example project, so the demo cannot silently break: on
daphne (``make demo``) and on uvicorn (``make demo SERVER=uvicorn``), each server of
``tests.servers.SERVERS``."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers import ROOT, free_port, wait_for_listener, wait_for_port
from tests.wire import connect, connect_sync, is_protocol_push, opening

pytestmark = pytest.mark.daphne


def demo_command(server: str) -> list[str]:
    """``make demo``, as the README has it for daphne, with ``SERVER=...`` for another server."""
    return ["make", "--no-print-directory", "demo", *([f"SERVER={server}"] if server != "daphne" else [])]


def run_demo(env: dict[str, str], log: Path, server: str) -> subprocess.Popen[bytes]:
    """The README's run command, in a process group of its own (so it can be stopped whole)."""
    with open(log, "wb") as out:
        return subprocess.Popen(
            demo_command(server),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@pytest.fixture(scope="module")
def demo_log(tmp_path_factory: pytest.TempPathFactory, server_name: str) -> Path:
    return Path(tmp_path_factory.getbasetemp()) / f"demo-{server_name}.log"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, demo_log: Path, server_name: str) -> Iterator[int]:
    port = free_port()
    db = tmp_path_factory.mktemp("demo") / "db.sqlite3"
    env = {**os.environ, "PORT": str(port), "DEMO_DB": str(db)}
    env.pop("REDIS_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = demo_log
    process = run_demo(env, log, server_name)
    try:
        wait_for_port(port, timeout=120)
        yield port
    except TimeoutError:
        raise AssertionError(log.read_text()) from None
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(20)


def test_demo_serves_its_pages(demo: int) -> None:
    with urllib.request.urlopen(f"http://127.0.0.1:{demo}/board/welcome/", timeout=10) as response:
        page = response.read().decode()
    assert response.status == 200
    assert "/static/hyperchannels/hyperchannels.js" in page and 'id="cards"' in page
    with urllib.request.urlopen(f"http://127.0.0.1:{demo}/static/hyperchannels/hyperchannels.js") as script:
        assert b"export function connect" in script.read()
    with urllib.request.urlopen(f"http://127.0.0.1:{demo}/", timeout=10) as response:
        assert "/accounts/login/" in response.url  # home needs a signed-in user


async def test_demo_socket_answers_an_action(demo: int, demo_log: Path) -> None:
    origin = f"http://127.0.0.1:{demo}"
    async with connect(f"ws://127.0.0.1:{demo}/ws/board/readme/", origin=origin) as ws:
        await ws.send(
            json.dumps({"type": "action", "id": "1", "name": "add", "data": {"title": "From a test"}})
        )
        frames: list[dict[str, Any]] = []
        while not frames or frames[-1].get("id") != "1" or frames[-1]["event"] != "end":
            frames.append(json.loads(await ws.recv()))
        epochs = {group: position["epoch"] for group, position in opening(ws).items()}
    # Who is here (presence: not part of the history); the list and count it sent the others
    # reach it only as their positions (it was excluded): one history, seqs in a row.
    pushes = [f for f in frames if "id" not in f]
    assert [(f["event"], is_protocol_push(f)) for f in pushes] == [
        ("presence_state", True),
        ("positions", True),
        ("positions", True),
    ], pushes
    group = pushes[0]["data"]["group"]
    assert len(pushes[0]["data"]["state"]) >= 1
    seq = opening(ws)[group]["seq"]
    assert [f["data"] for f in pushes[1:]] == [
        {group: {"seq": seq + 1, "epoch": epochs[group]}},
        {group: {"seq": seq + 2, "epoch": epochs[group]}},
    ]
    replies = [f for f in frames if f.get("id") == "1"]
    # The form's error slot, the list, the board's card count, the cleared title field.
    assert [f["event"] for f in replies] == ["patch_html", "patch_html", "patch_signals", "patch_html", "end"]
    assert "From a test" in replies[1]["data"]["content"]
    assert replies[2]["data"]["board"]["cards"] >= 1
    # The action logs one line; the server's root handler must not print it a second time.
    log = demo_log.read_text()
    lines = [line for line in log.splitlines() if "added to readme" in line]
    assert len(lines) == 1, log
    served_by = "Uvicorn running on" if "uvicorn" in demo_log.name else "Starting server at"
    assert served_by in log and "Traceback" not in log, log


def test_demo_with_an_unanswering_redis_exits_with_one_clear_line(tmp_path: Path) -> None:
    env = {**os.environ, "PORT": str(free_port()), "DEMO_DB": str(tmp_path / "db.sqlite3")}
    env["REDIS_URL"] = "redis://127.0.0.1:1/0"  # port 1: nothing listens there
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        demo_command("daphne"), cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    said = [line for line in result.stderr.splitlines() if line.startswith("run-demo:")]
    assert len(said) == 1, result.stderr
    assert "no Redis answers at REDIS_URL=redis://127.0.0.1:1/0" in said[0]
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "db.sqlite3").exists()  # it stopped before doing anything


def test_demo_with_redis_runs_two_workers_that_sync(tmp_path: Path, redis_url: str, server_name: str) -> None:
    import uuid

    port = free_port()
    while True:  # the second worker takes PORT + 1
        second = port + 1
        try:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", second))
            break
        except OSError:
            port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "DEMO_DB": str(tmp_path / "db.sqlite3"),
        "REDIS_URL": redis_url,
        "CHANNEL_PREFIX": f"demo-{uuid.uuid4().hex[:8]}",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    process = run_demo(env, tmp_path / "demo.log", server_name)
    try:
        wait_for_listener(port, timeout=120)
        wait_for_listener(second, timeout=60)
        board = f"two-{uuid.uuid4().hex[:6]}"
        with (
            connect_sync(f"ws://127.0.0.1:{port}/ws/board/{board}/", origin=f"http://127.0.0.1:{port}") as a,
            connect_sync(
                f"ws://127.0.0.1:{second}/ws/board/{board}/", origin=f"http://127.0.0.1:{second}"
            ) as b,
        ):
            a.send(json.dumps({"type": "action", "id": "1", "name": "add", "data": {"title": "Across"}}))
            while True:
                frame = json.loads(b.recv(timeout=10))
                if frame["event"] == "patch_html" and "Across" in frame["data"]["content"]:
                    break
            assert isinstance(frame["group"], str) and isinstance(frame["seq"], int), frame
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(20)


def test_demo_on_a_server_it_does_not_know_exits_with_one_clear_line(tmp_path: Path) -> None:
    env = {**os.environ, "PORT": str(free_port()), "DEMO_DB": str(tmp_path / "db.sqlite3")}
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        demo_command("gunicorn"), cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    said = [line for line in result.stderr.splitlines() if line.startswith("run-demo:")]
    assert said == [
        "run-demo: SERVER=gunicorn is not a server this demo runs on: use SERVER=daphne or SERVER=uvicorn"
    ]
    assert not (tmp_path / "db.sqlite3").exists()
