"""The README's minimal app, run as written: its files are cut out of README.md."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.servers import ROOT

FILES = ("notes/consumers.py", "notes/templates/notes/page.html", "mysite/asgi.py")

SETTINGS = """
SECRET_KEY = "readme"
ALLOWED_HOSTS = ["localhost"]
INSTALLED_APPS = ["daphne", "django.contrib.auth", "django.contrib.contenttypes",
                  "django.contrib.sessions", "channels", "hyperchannels", "notes"]
ASGI_APPLICATION = "mysite.asgi.application"
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
STATIC_URL = "/static/"
USE_TZ = True
"""

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
    assert (await comm.call("add", {"text": " "}))[0] == ("toast", {"value": "Write something first"})
    greeted = await comm.call("greet", target="#hello")
    assert greeted[0] == ("patch_html", {"content": '<p id="hello">Hello, stranger</p>',
                                         "target": "#hello", "swap": "outer", "transition": False}), greeted
    await comm.disconnect()
    print("README app OK")

asyncio.run(main())
"""


def readme_files() -> dict[str, str]:
    text = (ROOT / "README.md").read_text()
    found = {}
    for name in FILES:
        match = re.search(rf"`{re.escape(name)}`:\n\n```\w*\n(.*?)```", text, re.S)
        assert match, f"README has no block for {name}"
        found[name] = match.group(1)
    return found


def test_readme_minimal_app_runs_as_written(tmp_path: Path) -> None:
    for name, content in readme_files().items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    for package in ("notes", "mysite"):
        (tmp_path / package / "__init__.py").touch()
    (tmp_path / "mysite" / "settings.py").write_text(SETTINGS)
    (tmp_path / "check.py").write_text(textwrap.dedent(CHECK))
    result = subprocess.run(
        [sys.executable, "check.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "README app OK" in result.stdout
