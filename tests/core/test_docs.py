"""Commands of README.md and docs/*.md, run as written (or, for long-running ones, by their parts)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import ROOT

EXAMPLE = ROOT / "consumers"
VENV_BIN = Path(sys.executable).parent


def doc(name: str) -> str:
    return (ROOT / name).read_text()


def sh_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, re.S)


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment ``make demo`` leaves: the example's database migrated, ann and bob made."""
    env = {**os.environ, "DEMO_DB": str(tmp_path_factory.mktemp("docs") / "db.sqlite3")}
    for name in ("REDIS_URL", "DJANGO_SETTINGS_MODULE", "CHANNEL_PREFIX"):
        env.pop(name, None)
    for command in (["migrate", "--noinput", "-v0"], ["demo_setup"]):
        made = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=EXAMPLE, env=env, capture_output=True, timeout=120
        )
        assert made.returncode == 0, made.stderr
    return env


def readme_push_command() -> str:
    found = re.findall(r"`([^`]*hyperchannels_push[^`]*)`", doc("README.md"))
    assert len(found) == 1, found
    return found[0]


def shell(command: str, env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.redis
def test_readme_push_command_runs_as_written_on_redis(demo_env: dict[str, str], redis_url: str) -> None:
    command = readme_push_command()
    assert " .venv/bin/python consumers/manage.py hyperchannels_push " in command
    assert (ROOT / ".venv" / "bin" / "python").exists(), "make creates .venv; the README's command uses it"
    # The README's REDIS_URL is the default local Redis; the suite's Redis may live elsewhere.
    command = re.sub(r"REDIS_URL=\S+", f"REDIS_URL={redis_url}", command)
    env = {**demo_env, "PATH": "/usr/bin:/bin"}  # no venv on PATH: the command names its Python
    result = shell(command, env)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"pushed 1 event\(s\) to hyper\.user\.\d+\n", result.stdout), result.stdout


def test_push_command_refuses_the_in_memory_layer_from_a_shell(demo_env: dict[str, str]) -> None:
    """The default demo's layer can't leave its process: the command says so instead of "pushed"."""
    command = re.sub(r"REDIS_URL=\S+ ", "", readme_push_command())
    result = shell(command, demo_env)
    assert result.returncode == 1
    assert "pushed" not in result.stdout
    assert "in-memory" in result.stderr and "only reaches sockets of its own process" in result.stderr
    assert "REDIS_URL" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.redis
def test_broadcast_docs_push_commands_run_as_written(demo_env: dict[str, str], redis_url: str) -> None:
    """docs/broadcast.md's ``python manage.py hyperchannels_push`` lines, in the example project."""
    lines = [line for block in sh_blocks(doc("docs/broadcast.md")) for line in block.splitlines()]
    commands = [line for line in lines if "hyperchannels_push" in line]
    assert len(commands) == 4, commands
    env = {**demo_env, "REDIS_URL": redis_url, "PATH": f"{VENV_BIN}:/usr/bin:/bin"}
    for command in commands:
        assert shlex.split(command)[:3] == ["python", "manage.py", "hyperchannels_push"]
        result = shell(command, env, cwd=EXAMPLE)
        assert result.returncode == 0, (command, result.stderr)
        assert result.stdout.startswith("pushed "), (command, result.stdout)


def test_redis_layer_snippet_runs_as_written() -> None:
    """docs/broadcast.md's CHANNEL_LAYERS snippet, as a settings module would run it."""
    snippet = re.search(
        r"```python\n([^`]*redis_channel_layer\(os\.environ[^`]*)```", doc("docs/broadcast.md")
    )
    assert snippet
    code = snippet.group(1) + "\nprint(CHANNEL_LAYERS['default']['BACKEND'])\n"
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:6379/0"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "channels_redis.pubsub.RedisPubSubChannelLayer"


def test_deploy_docs_sed_points_the_committed_nginx_config_at_local_workers(tmp_path: Path) -> None:
    """docs/deploy.md's "without Docker" sed line, run as written (into tmp_path, not /tmp)."""
    block = next(b for b in sh_blocks(doc("docs/deploy.md")) if "sed " in b)
    command = (
        block[block.index("sed ") :]
        .split(" && nginx")[0]
        .replace("/tmp/nginx.conf", str(tmp_path / "n.conf"))
    )
    result = shell(command, dict(os.environ))
    assert result.returncode == 0, result.stderr
    config = (tmp_path / "n.conf").read_text()
    assert "server 127.0.0.1:8000;" in config and "server 127.0.0.1:8001;" in config
    assert "listen 8080;" in config and "app1" not in config and "app2" not in config
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if os.path.exists(nginx) and os.geteuid() == 0:  # the docs run it as root
        test_config = [nginx, "-t", "-c", str(tmp_path / "n.conf")]
        checked = subprocess.run(test_config, capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr


def test_compose_file_matches_the_nginx_config_and_the_docs() -> None:
    """No Docker engine here: the parts of ``docker compose up --build`` that can be checked are."""
    compose = doc("docker-compose.yml")
    nginx = doc("deploy/nginx.conf")
    for upstream in re.findall(r"server (\w+):8000;", nginx):
        assert re.search(rf"^  {upstream}:", compose, re.M), (
            f"nginx names {upstream}, compose has no such service"
        )
    assert '"8080:80"' in compose and "http://localhost:8080" in doc("docs/deploy.md")
    assert "proxy_set_header Host $http_host;" in nginx  # the port survives: CSRF's origin check needs it
    allowed = re.search(r"DJANGO_ALLOWED_HOSTS: (\S+)", compose)
    assert allowed and "localhost" in allowed.group(1).split(",")
    dockerfile = doc("deploy/Dockerfile")
    assert '"example.asgi:application"' in dockerfile and (EXAMPLE / "example" / "asgi.py").exists()
    assert "manage.py demo_setup" in compose and (EXAMPLE / "demo/management/commands/demo_setup.py").exists()


def test_dockerfile_install_step_ships_the_whole_client(tmp_path: Path) -> None:
    """The image copies pyproject.toml, README.md and hyperchannels/, then ``pip install .``: what
    setuptools builds from exactly those must carry every static file the client imports (run
    as its ``build_py`` step: the venv has no ``wheel`` and a test downloads nothing)."""
    source = tmp_path / "app"
    source.mkdir()
    copied = re.findall(r"^COPY (.+) \./\S*$", doc("deploy/Dockerfile"), re.M)
    for name in " ".join(copied).split():
        if name != "consumers":  # copied after the install, not part of it
            subprocess.run(["cp", "-r", str(ROOT / name), str(source / name)], check=True)
    built = subprocess.run(
        [
            sys.executable,
            "-c",
            "import setuptools; setuptools.setup()",
            "-q",
            "build_py",
            "--build-lib",
            "lib",
        ],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, built.stderr
    package = source / "lib" / "hyperchannels"
    static = ROOT / "hyperchannels" / "static" / "hyperchannels"
    for path in static.iterdir():
        assert (package / "static" / "hyperchannels" / path.name).is_file(), path.name
    assert (package / "protocol.json").is_file()
    assert (package / "management" / "commands" / "hyperchannels_push.py").is_file()


def test_deploy_docs_daphne_command_listens_with_the_backlog_it_names(demo_env: dict[str, str]) -> None:
    """docs/deploy.md's daphne command (the one deploy/Dockerfile runs), run as written but on
    a free loopback port: the kernel reports the listen backlog it asked for."""
    from tests.servers import free_port, wait_for_port

    block = next(b for b in sh_blocks(doc("docs/deploy.md")) if "backlog=" in b)
    words = shlex.split(block.strip())
    assert words[:3] == ["python", "-m", "daphne"]
    dockerfile_cmd = re.search(r'^CMD (\[.*\])$', doc("deploy/Dockerfile"), re.M)
    assert dockerfile_cmd is not None and json.loads(dockerfile_cmd.group(1)) == words
    backlog = int(re.search(r"backlog=(\d+)", block).group(1))  # type: ignore[union-attr]
    port = free_port()
    words = [w.replace("port=8000", f"port={port}").replace("0.0.0.0", "127.0.0.1") for w in words]
    server = subprocess.Popen([sys.executable, *words[1:]], cwd=EXAMPLE, env=demo_env)
    try:
        wait_for_port(port, 30)
        listening = subprocess.run(
            ["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True, check=True
        ).stdout.split()
        assert int(listening[2]) == min(backlog, int(Path("/proc/sys/net/core/somaxconn").read_text()))
    finally:
        server.terminate()
        server.wait(15)
