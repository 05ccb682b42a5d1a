"""The deploy recipe's nginx config, run for real in front of two workers on Redis (each server)."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from websockets.sync.client import ClientConnection

from tests.conftest import require
from tests.example.conftest import EXAMPLE
from tests.servers import ROOT, ServerProcess, free_port, wait_for_port
from tests.wire import connect_sync

pytestmark = [pytest.mark.daphne, pytest.mark.redis]


@pytest.fixture(scope="module")
def balanced(
    tmp_path_factory: pytest.TempPathFactory, redis_url: str, server_name: str
) -> Iterator[tuple[int, list[ServerProcess]]]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    require(os.path.exists(nginx), "nginx is not installed (apt-get install nginx-light)")
    work: Path = tmp_path_factory.mktemp("deploy")
    env = {
        **os.environ,
        "DEMO_DB": str(work / "db.sqlite3"),
        "REDIS_URL": redis_url,
        "CHANNEL_PREFIX": f"deploy-{uuid.uuid4().hex[:8]}",
        "DJANGO_SETTINGS_MODULE": "example.settings",
        "DJANGO_DEBUG": "0",
        "PYTHONPATH": os.pathsep.join([str(EXAMPLE), str(ROOT)]),
    }
    for command in (["migrate", "--noinput", "-v0"], ["demo_setup"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=EXAMPLE,
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
    app, settings = "example.asgi:application", "example.settings"
    workers = [ServerProcess(app, settings, env=env, server=server_name) for _ in range(2)]
    for worker in workers:
        worker.start()
    port = free_port()
    config = (ROOT / "deploy" / "nginx.conf").read_text()
    config = config.replace("server app1:8000;", f"server 127.0.0.1:{workers[0].port};")
    config = config.replace("server app2:8000;", f"server 127.0.0.1:{workers[1].port};")
    config = config.replace("listen 80;", f"listen 127.0.0.1:{port};")
    temp = "".join(
        f"    {kind}_temp_path {work}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    config = config.replace("http {\n", f"http {{\n    access_log off;\n{temp}", 1)
    (work / "nginx.conf").write_text(config)
    process = subprocess.Popen(
        [
            nginx,
            "-p",
            str(work),
            "-c",
            str(work / "nginx.conf"),
            "-g",
            f"daemon off; pid {work}/nginx.pid; error_log {work}/error.log;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, 10)
        yield port, workers
    finally:
        process.terminate()
        process.wait(10)
        for worker in workers:
            worker.stop()


def recv_until(ws: ClientConnection, predicate: object) -> dict[str, object]:
    while True:
        frame = json.loads(ws.recv(timeout=5))
        if predicate(frame):  # type: ignore[operator]
            return frame  # type: ignore[no-any-return]


def test_nginx_balances_sockets_over_both_workers_and_broadcasts_cross(
    balanced: tuple[int, list[ServerProcess]],
) -> None:
    port, workers = balanced
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
        assert response.read() == b"ok"
    origin = f"http://127.0.0.1:{port}"
    board = f"lb-{uuid.uuid4().hex[:6]}"
    with ExitStack() as stack:
        sockets = [
            stack.enter_context(connect_sync(f"ws://127.0.0.1:{port}/ws/board/{board}/", origin=origin))
            for _ in range(4)
        ]
        for worker in workers:  # round robin: each worker holds some of the sockets
            assert worker.sockets_accepted(f"/ws/board/{board}/") >= 1, worker.log()
        sender, *others = sockets
        sender.send(json.dumps({"type": "action", "id": "1", "name": "add", "data": {"title": "Balanced"}}))
        recv_until(sender, lambda f: f.get("id") == "1" and f["event"] == "end")
        for ws in others:
            frame = recv_until(ws, lambda f: f["event"] == "patch_html")
            assert "Balanced" in str(frame["data"])


def sign_in(port: int, username: str) -> str:
    """Sign in through nginx as a browser does (CSRF cookie, token and Origin); the session id."""
    base = f"http://127.0.0.1:{port}"
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/accounts/login/", timeout=5) as response:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.read().decode())
    assert token, "the login page has no CSRF token"
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token.group(1), "username": username, "password": f"{username}-demo-pw"}
    ).encode()
    request = urllib.request.Request(f"{base}/accounts/login/", data=form, headers={"Origin": base})
    try:
        with opener.open(request, timeout=5) as response:
            assert response.url == f"{base}/", response.url  # redirected home, signed in
    except urllib.error.HTTPError as exc:
        raise AssertionError(f"signing in through nginx failed: HTTP {exc.code}") from None
    session = {cookie.name: cookie.value for cookie in jar}.get("sessionid")
    assert session, "no session cookie after signing in"
    return session


def test_signing_in_through_nginx_gives_an_authenticated_socket(
    balanced: tuple[int, list[ServerProcess]],
) -> None:
    port, _ = balanced
    session = sign_in(port, "ann")
    origin = f"http://127.0.0.1:{port}"
    with connect_sync(
        f"ws://127.0.0.1:{port}/ws/home/",
        origin=origin,
        additional_headers={"Cookie": f"sessionid={session}"},
    ) as ws:
        # set_theme answers 403 to an anonymous socket: a signal here means the session counts.
        ws.send(json.dumps({"type": "action", "id": "1", "name": "set_theme", "data": {"theme": "dark"}}))
        replies: list[dict[str, object]] = []
        while not replies or replies[-1]["event"] not in ("end", "error"):
            frame = recv_until(ws, lambda f: f.get("id") == "1")
            replies.append(frame)
    assert [(f["event"], f["data"]) for f in replies] == [("patch_signals", {"$theme": "dark"}), ("end", {})]
