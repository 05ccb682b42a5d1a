"""Every documented name imports as documented, in any import order (docs/actions.md, "Names").

Regression: once Django had loaded the app, ``from hyperchannels import broadcast`` gave the
*module* ``hyperchannels.broadcast``, so ``broadcast("room", Toast("x"))`` raised ``TypeError``.
A submodule import sets an attribute of the package, so no module may be named like a name
the package exports.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import pytest

import hyperchannels
from tests.servers import ROOT

DOCUMENTED = {
    "hyperchannels.actions": [
        "action",
        "Actions",
        "HTML",
        "Delete",
        "Event",
        "Toast",
        "Redirect",
        "History",
        "LoadJS",
        "Signal",
        "Signals",
        "ActionItem",
    ],
    "hyperchannels.consumers": ["HyperConsumer"],
    "hyperchannels.broadcasting": ["abroadcast", "broadcast", "asend_to_user", "send_to_user"],
    "hyperchannels.groups": ["user_group"],
    "hyperchannels.closing": [
        "aclose_group",
        "close_group",
        "aclose_user_sockets",
        "close_user_sockets",
        "arevoke",
        "revoke",
    ],
    "hyperchannels.streams": ["sign_stream", "unsign_stream"],
    "hyperchannels.testing": ["ActionCommunicator"],
    "hyperchannels.tracking": ["apresence", "presence"],
}

SUBMODULES = sorted(
    f"hyperchannels.{m.name}"
    for m in pkgutil.walk_packages(hyperchannels.__path__)
    if not m.name.startswith("management")
)

CHECK = """
import importlib, json, sys, types
import django
django.setup()
order = json.loads(sys.argv[1])
documented = json.loads(sys.argv[2])
for name in order:
    importlib.import_module(name)
import hyperchannels
wrong = []
for module, names in documented.items():
    for name in names:
        top = getattr(hyperchannels, name)
        real = getattr(importlib.import_module(module), name)
        if top is not real or isinstance(top, types.ModuleType):
            wrong.append(f"{name}: {top!r}")
        exec(f"from hyperchannels import {name} as imported")
        if locals()["imported"] is not real:
            wrong.append(f"from-import {name}")
print(json.dumps(wrong))
"""


def test_no_submodule_is_named_like_an_exported_name() -> None:
    exported = set(hyperchannels.__all__)
    clashes = [m for m in SUBMODULES if m.rsplit(".", 1)[1] in exported]
    assert clashes == []


def test_every_documented_name_is_in_all() -> None:
    assert {n for names in DOCUMENTED.values() for n in names} <= set(hyperchannels.__all__)


@pytest.mark.parametrize("order", ["none", "forward", "backward"])
def test_top_level_names_are_the_documented_objects_in_any_import_order(order: str) -> None:
    modules = {"none": [], "forward": SUBMODULES, "backward": SUBMODULES[::-1]}[order]
    result = subprocess.run(
        [sys.executable, "-c", CHECK, json.dumps(modules), json.dumps(DOCUMENTED)],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "tests.settings", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_broadcast_is_the_function_after_the_app_is_loaded() -> None:
    from hyperchannels import Toast, broadcast

    assert callable(broadcast) and broadcast.__module__ == "hyperchannels.broadcasting"
    assert broadcast("room-import-test", Toast("x")) == 1
