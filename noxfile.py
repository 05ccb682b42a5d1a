"""The version matrix: the core tests on the Django, Channels and Redis versions we support.

``make test`` runs the whole suite (browsers, real servers) on the default, newest versions;
``make matrix`` (``.venv/bin/nox -r``) runs the core part again in one virtualenv per session:

- ``core(django='4.2', stack='oldest')``: Django 4.2 LTS with the oldest ``channels``,
  ``channels-redis``, ``redis`` and ``daphne`` that ``pyproject.toml`` admits;
- ``core(django='5.2', stack='oldest')``: Django 5.2 LTS with that same oldest stack;
- ``core(django='newest', stack='newest')``: the newest release of every one of them that the
  package index serves for this Python, even beyond ``pyproject.toml``'s upper bounds, so a
  new major shows up here before users meet it.

The lower bounds in ``pyproject.toml`` are ``OLDEST`` below and its upper bounds the majors the
``newest`` session has run: change both together. "Core" is every test that needs neither a
browser nor real server processes (markers ``browser`` and ``daphne``), Redis included, plus
the protocol over one real daphne process (``tests/core/test_daphne.py``); under
``CI=true`` a test that would skip fails instead (``tests/conftest.py``), and any failing session
fails ``make``. Supported versions are listed in README.md.
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"
nox.options.error_on_missing_interpreters = True
nox.options.error_on_external_run = True

# Oldest versions that pass the core tests; pyproject.toml's lower bounds are these.
OLDEST = {
    "channels": "4.1.0",
    "channels-redis": "4.1.0",
    "redis": "5.0.0",
    "daphne": "4.2.2",
    "django-render-block": "0.10",
}
# Installed unpinned with --upgrade in the ``newest`` session: the newest the index serves.
NEWEST = ["Django", "channels", "channels-redis", "redis", "daphne", "asgiref", "django-render-block"]
SHOW_VERSIONS = "import importlib.metadata as m, sys; print(*(n + ' ' + m.version(n) for n in sys.argv[1:]))"
REPORTED = ["Django", "channels", "channels-redis", "redis", "daphne", "asgiref", "django-render-block"]

CORE_TESTS = ["tests/core", "tests/broadcast", "tests/presence", "tests/access"]
CORE_MARKERS = "not browser and not daphne"
# One real daphne process (the protocol over real sockets, about 2 s), so daphne's floor is run too.
REAL_DAPHNE = ["tests/core/test_daphne.py", "-k", "not uvicorn"]
# Every core test takes under 20 s; a hang costs 2 minutes here, not pyproject's 10.
PYTEST_ARGS = ["-q", "-p", "no:cacheprovider", "--timeout=120"]


@nox.session
@nox.parametrize(
    "django,stack",
    [("4.2", "oldest"), ("5.2", "oldest"), ("newest", "newest")],
)
def core(session: nox.Session, django: str, stack: str) -> None:
    """The core tests on one Django series and one stack (``oldest`` pins, ``newest`` upgrades)."""
    if stack == "oldest":
        pins = [f"{name}=={version}" for name, version in OLDEST.items()]
        session.install("-e", ".[test]", f"Django=={django}.*", *pins)
    else:
        session.install("-e", ".[test]")
        # A separate install, so the newest release is taken even beyond pyproject.toml's
        # upper bounds (pip then warns of the conflict; the tests say whether it matters).
        session.install("--upgrade", *NEWEST)
    session.run("python", "-c", SHOW_VERSIONS, *REPORTED)
    session.run(
        "python",
        "-m",
        "pytest",
        *CORE_TESTS,
        "-m",
        CORE_MARKERS,
        *PYTEST_ARGS,
        *session.posargs,
    )
    session.run("python", "-m", "pytest", *REAL_DAPHNE, *PYTEST_ARGS, *session.posargs)
