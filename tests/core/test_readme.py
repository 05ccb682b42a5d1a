"""The README's minimal app, built as a new user would: ``startproject``, ``startapp``, then the
README's files and settings cut out of README.md; its test snippet, and both ways to run it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import ROOT, free_port, wait_for_port
from tests.wire import connect_sync

FILES = ("notes/consumers.py", "notes/templates/notes/page.html", "mysite/asgi.py", "mysite/urls.py")
BIN = Path(sys.executable).parent
XSS = "<img src=x onerror=alert(1)>"

CHECK = """
import asyncio, os
os.environ["DJANGO_SETTINGS_MODULE"] = "mysite.settings"
from mysite.asgi import application
from hyperchannels.testing import ActionCommunicator

async def main():
    comm = ActionCommunicator(application, "/ws/notes/", headers=[(b"origin", b"http://localhost")])
    assert (await comm.connect())[0]
    added = await comm.call("add", {"text": "hi"})
    assert added == [
        ("patch_html", {"content": "<li>hi</li>", "target": "#notes", "swap": "append", "transition": False}),
        ("patch_signals", {"count": 2}),
        ("end", {}),
    ], added
    typed = await comm.call("add", {"text": "XSS"})
    assert typed[0][1]["content"] == "<li>&lt;img src=x onerror=alert(1)&gt;</li>", typed
    assert (await comm.call("add", {"text": " "}))[0] == ("toast", {"value": "Write something first"})
    greeted = await comm.call("greet", target="#hello")
    assert greeted[0] == ("patch_html", {"content": '<p id="hello">Hello, stranger</p>',
                                         "target": "#hello", "swap": "outer", "transition": False}), greeted
    await comm.disconnect()
    print("README app OK")

asyncio.run(main())
""".replace("XSS", XSS)


def readme() -> str:
    return (ROOT / "README.md").read_text()


def block_after(text: str, label: str) -> str:
    """The fenced code block that follows the line ending in ``label`` (e.g. a file name)."""
    match = re.search(rf"{re.escape(label)}[^\n]*\n(?:[^\n]+\n)*?\n```\w*\n(.*?)```", text, re.S)
    assert match, f"README has no block for {label}"
    return match.group(1)


def settings_with_readme_parts(generated: str) -> str:
    """``startproject``'s settings plus the README's lines, its ``...`` being the listed apps."""
    apps = re.search(r"INSTALLED_APPS = \[(.*?)\]", generated, re.S)
    assert apps
    listed = ", ".join(line.strip().rstrip(",") for line in apps.group(1).strip().splitlines())
    parts = block_after(readme(), "`mysite/settings.py`")
    assert "..." in parts
    return generated + "\n" + parts.replace("...", listed, 1)


def clean_env(home: Path) -> dict[str, str]:
    """A new user's shell: the venv's scripts on PATH, none of the suite's settings."""
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(home)}
    if "PYTHONPATH" in os.environ:  # a checkout under test that is not the installed one
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


def run(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = clean_env(cwd)
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("readme")
    new = (["django-admin", "startproject", "mysite", "."], ["python", "manage.py", "startapp", "notes"])
    for args in new:
        made = run(args, root)
        assert made.returncode == 0, made.stderr
    text = readme()
    for name in FILES:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(block_after(text, f"`{name}`"))
    settings = root / "mysite" / "settings.py"
    settings.write_text(settings_with_readme_parts(settings.read_text()))
    migrated = run(["python", "manage.py", "migrate", "-v0"], root)
    assert migrated.returncode == 0, migrated.stderr
    return root


def test_readme_minimal_app_runs_as_written(project: Path) -> None:
    (project / "check.py").write_text(textwrap.dedent(CHECK))
    result = run(["python", "check.py"], project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "README app OK" in result.stdout


def run_pytest(project: Path, test: str) -> None:
    # pytest-django is in this venv but the docs don't ask for it: the snippets must not need it
    args = ["pytest", "-q", "-p", "no:django", "-p", "no:cacheprovider", "-W", "error", test]
    result = run(args, project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_readme_test_snippet_passes_as_written(project: Path) -> None:
    (project / "notes" / "test_notes.py").write_text(block_after(readme(), "`notes/test_notes.py`"))
    (project / "pytest.ini").write_text(block_after(readme(), "`pytest.ini`"))
    run_pytest(project, "notes/test_notes.py")


def test_testing_docs_snippet_passes_as_written(project: Path) -> None:
    """docs/testing.md's example, on the README's app and its pytest.ini."""
    docs = (ROOT / "docs" / "testing.md").read_text()
    (project / "notes" / "test_push.py").write_text(block_after(docs, "`notes/test_push.py`"))
    (project / "pytest.ini").write_text(block_after(readme(), "`pytest.ini`"))
    run_pytest(project, "notes/test_push.py")


def serving(args: list[str], project: Path, port: int) -> Iterator[str]:
    log = project / f"server-{port}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            args,
            cwd=project,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=clean_env(project),
        )
    try:
        try:
            wait_for_port(port, 30)
        except TimeoutError:
            raise AssertionError(log.read_text()) from None
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


@pytest.mark.daphne
@pytest.mark.parametrize("way", ["daphne", "runserver", "uvicorn"])
def test_every_documented_way_serves_the_page_the_client_and_the_socket(project: Path, way: str) -> None:
    """``daphne mysite.asgi:application``, ``python manage.py runserver`` and
    ``uvicorn mysite.asgi:application``, on a free port."""
    for command in (
        "daphne mysite.asgi:application",
        "python manage.py runserver",
        "uvicorn mysite.asgi:application",
    ):
        assert f"`{command}`" in readme()
    port = free_port()
    args = {
        "daphne": ["daphne", "-p", str(port), "mysite.asgi:application"],
        "runserver": ["python", "manage.py", "runserver", str(port), "--noreload"],
        "uvicorn": ["uvicorn", "--port", str(port), "mysite.asgi:application"],
    }[way]
    for host in serving(args, project, port):
        with urllib.request.urlopen(f"http://{host}/", timeout=10) as page:
            assert "Hello, you" in page.read().decode()
        with urllib.request.urlopen(f"http://{host}/static/hyperchannels/hyperchannels.js") as script:
            assert script.status == 200
            assert b"export function connect" in script.read()
        with connect_sync(
            f"ws://{host}/ws/notes/", groups=["notes"], origin=f"http://{host}", timeout=10
        ) as ws:
            ws.send('{"type": "action", "id": "1", "name": "add", "data": {"text": "served"}}')
            assert "<li>served</li>" in ws.recv(timeout=10)
