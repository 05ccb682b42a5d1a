"""Shared fixtures: real services are required under ``CI=true``, never skipped there."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.servers import SERVERS

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, reason: str) -> None:
    """Skip on a developer's machine, fail in CI, when a real service is missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A running Redis: REDIS_URL, else 127.0.0.1:6379, else a private redis-server."""
    from tests.redis_server import shared_redis_url

    url, private = shared_redis_url()
    require(url is not None, "no Redis: set REDIS_URL, run one on 6379, or install redis-server")
    assert url is not None
    yield url
    if private is not None:
        private.__exit__()


@pytest.fixture(scope="module", params=SERVERS)
def server_name(request: pytest.FixtureRequest) -> str:
    """The ASGI server a real-server test runs on: every name in ``tests.servers.SERVERS``.

    Module scope, so a module's tests run on one server and then on the next, and a module's
    own server fixture starts once per server rather than once per test."""
    return str(request.param)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    require(os.path.exists(path), "Chromium is not installed (apt-get install chromium)")
    return path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    """Under ``CI=true`` a skipped test is a failed test: a run with skips is not a pass."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true: {report.longrepr}"


@pytest.fixture(autouse=True, scope="session")
def _worker_threads_keep_their_connections(django_db_blocker: Any) -> Iterator[None]:
    """The bridge's worker threads live for the whole run and check their database connection
    before each sync call (``close_old_connections``). A thread that used the in-memory test
    database in one test still holds that connection in the next, where pytest-django's guard
    would refuse even the check. Tests that need tables still ask for ``django_db``."""
    with django_db_blocker.unblock():
        yield
