"""The example project served by a real ASGI server (each of ``tests.servers.SERVERS``) on Redis,
for Chromium to drive."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import browser  # noqa: F401  (the module-scoped Chromium fixture)
from tests.servers import ROOT, ServerProcess

EXAMPLE = ROOT / "consumers"


class Example:
    def __init__(self, server: ServerProcess, env: dict[str, str]) -> None:
        self.server = server
        self.env = env

    @property
    def url(self) -> str:
        return self.server.http_url

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=EXAMPLE,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory, redis_url: str, server_name: str) -> Iterator[Example]:
    db: Path = tmp_path_factory.mktemp("example") / "db.sqlite3"
    env = {
        **os.environ,
        "DEMO_DB": str(db),
        "REDIS_URL": redis_url,
        "CHANNEL_PREFIX": f"example-{uuid.uuid4().hex[:8]}",
        "DJANGO_SETTINGS_MODULE": "example.settings",
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
    with ServerProcess("example.asgi:application", "example.settings", env=env, server=server_name) as server:
        yield Example(server, env)


def sign_in(context: Any, example: Example, username: str) -> Any:
    page = context.new_page()
    page.goto(f"{example.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", f"{username}-demo-pw")
    with page.expect_navigation():
        page.click("#sign-in")
    page.evaluate("window.hyperReady")
    return page


def open_page(context: Any, example: Example, path: str) -> Any:
    page = context.new_page()
    page.goto(example.url + path)
    page.evaluate("window.hyperReady")
    return page
