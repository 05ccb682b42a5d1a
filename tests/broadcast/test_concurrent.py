"""Two processes broadcasting to one group at once, through Redis (docs/recovery.md): the
group's seqs are exactly 1..N, each given once whichever process sent it, and every socket, on
either daphne worker, applying the page's rule, ends with every push once and in seq order."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest

from tests.broadcast.seqrule import GroupReader
from tests.servers import ROOT, ServerProcess
from tests.wire import connect, opening

pytestmark = pytest.mark.daphne

APP = "tests.broadcast.asgi:application"
SETTINGS = "tests.broadcast.settings_capacity"
GROUP = "room-concurrent"
PER_SENDER = 1500
SOCKETS_PER_WORKER = 3

SENDER = """
import asyncio, sys
import django
django.setup()
from hyperchannels import Toast, abroadcast

async def run(name, count):
    await abroadcast("room-warmup", Toast("connect first"))
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    for i in range(count):
        await abroadcast(%(group)r, Toast(f"{name}-{i}"))
    print("done", flush=True)

asyncio.run(run(sys.argv[1], int(sys.argv[2])))
"""


LAYERS = {
    # The core layer with the capacity raised for a bursty group, as docs/broadcast.md advises:
    # at channels_redis' default (100 per channel, one relay channel per worker and group) a
    # burst of 3,000 drops runs longer than HISTORY_SIZE, which pages resync instead of
    # replaying (docs/recovery.md, "Limits").
    "core-capacity": {"HYPER_TEST_LAYER": "core", "HYPER_TEST_CAPACITY": str(4 * PER_SENDER)},
    "pubsub": {"HYPER_TEST_LAYER": "pubsub"},
}


@pytest.fixture(params=list(LAYERS))
def site(
    request: pytest.FixtureRequest, redis_url: str, server_name: str
) -> Iterator[tuple[dict[str, str], list[ServerProcess]]]:
    prefix = f"hyperconc-{uuid.uuid4().hex[:8]}"
    env = {**LAYERS[request.param], "REDIS_URL": redis_url, "HYPER_TEST_PREFIX": prefix}
    with (
        ServerProcess(APP, SETTINGS, env=env, server=server_name) as a,
        ServerProcess(APP, SETTINGS, env=env, server=server_name) as b,
    ):
        yield env, [a, b]


def start_sender(env: dict[str, str], name: str) -> subprocess.Popen[str]:
    """A plain Python process (no daphne) that broadcasts ``PER_SENDER`` pushes when told to."""
    process = subprocess.Popen(
        [sys.executable, "-c", SENDER % {"group": GROUP}, name, str(PER_SENDER)],
        cwd=ROOT,
        env={**os.environ, **env, "DJANGO_SETTINGS_MODULE": SETTINGS, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if line.strip() != "ready":
        process.kill()
        raise RuntimeError(f"sender {name} failed: {line}{process.communicate()[1][-3000:]}")
    return process


def stats(readers: list[GroupReader]) -> str:
    return "received, duplicates dropped, gap resumes, resync frames per socket: " + str(
        [(r.received, r.dropped, len(r.resumes), len(r.resyncs)) for r in readers]
    )


async def test_two_processes_broadcasting_at_once_give_every_socket_every_push_once_in_order(
    site: tuple[dict[str, str], list[ServerProcess]],
) -> None:
    env, workers = site
    sockets = [
        await connect(f"{w.ws_url}/ws/room/concurrent/", groups=[GROUP], origin=w.http_url)
        for w in workers
        for _ in range(SOCKETS_PER_WORKER)
    ]
    try:
        start = opening(sockets[0])[GROUP]
        assert start["seq"] == 0  # a fresh prefix: the group's history starts here
        assert all(opening(ws)[GROUP] == start for ws in sockets)
        readers = [GroupReader(ws, GROUP, start["seq"], start["epoch"]) for ws in sockets]
        total = 2 * PER_SENDER

        senders = [await asyncio.to_thread(start_sender, env, name) for name in ("A", "B")]
        try:
            for sender in senders:  # both start together
                assert sender.stdin is not None
                sender.stdin.write("go\n")
                sender.stdin.flush()
            await asyncio.gather(*(reader.read_until(total, timeout=120) for reader in readers))
            for sender in senders:
                out, err = await asyncio.to_thread(sender.communicate, timeout=60)
                assert sender.returncode == 0 and out.strip() == "done", err[-3000:]
        finally:
            for sender in senders:
                if sender.poll() is None:
                    sender.kill()
                    sender.wait(10)

        for reader in readers:
            assert reader.resyncs == [], f"resynced: {stats(readers)}"  # nothing was beyond the history
        # The group's seqs: exactly 1..N, one push each, the same push at a seq on every socket.
        order = [(frame["seq"], frame["data"]["value"]) for frame in readers[0].applied]
        assert [seq for seq, _ in order] == list(range(1, total + 1))
        texts = [text for _, text in order]
        assert sorted(texts) == sorted(f"{name}-{i}" for name in "AB" for i in range(PER_SENDER))
        for name in "AB":  # each sender's pushes got increasing seqs, in the order it sent them
            sent = [f"{name}-{i}" for i in range(PER_SENDER)]
            assert [t for t in texts if t.startswith(f"{name}-")] == sent
        first_b, last_a = texts.index("B-0"), texts.index(f"A-{PER_SENDER - 1}")
        first_a, last_b = texts.index("A-0"), texts.index(f"B-{PER_SENDER - 1}")
        assert first_b < last_a and first_a < last_b, "the two senders did not overlap"
        for reader in readers:
            assert [(f["seq"], f["data"]["value"]) for f in reader.applied] == order
            assert all(f["event"] == "toast" and f["group"] == GROUP for f in reader.applied)
            assert all(end == {"recovered": [GROUP], "resynced": []} for end in reader.ends), reader.ends
        # A socket opening now starts from the last seq of the two senders.
        url, origin = f"{workers[1].ws_url}/ws/room/concurrent/", workers[1].http_url
        sockets.append(late := await connect(url, groups=[GROUP], origin=origin))
        assert opening(late)[GROUP] == {"seq": total, "epoch": start["epoch"]}
        print(f"{env}: {stats(readers)}")
    finally:
        for ws in sockets:
            await ws.close()
