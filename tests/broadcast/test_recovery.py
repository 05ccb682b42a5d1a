"""Recovery on each layer (docs/recovery.md): positions, history, resume, resync, epochs.

A socket applies pushes 1-3, its connection drops, 5 more broadcasts happen, a new socket
resumes from 3 and receives exactly 4-8 in order; when the history no longer reaches back
(``HISTORY_SIZE`` 3) or was lost (a new epoch) it gets the consumer's ``resync`` items instead.
"""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.contrib.auth.models import User
from django.db import transaction
from django.test import override_settings

from hyperchannels import Toast, abroadcast, broadcast
from hyperchannels.streams import sign_stream
from hyperchannels.testing import ActionCommunicator
from tests.broadcast.sockets import socket


async def toasts(comm: ActionCommunicator, n: int) -> list[str]:
    return [(await comm.receive_push())[1]["value"] for _ in range(n)]


async def test_every_push_carries_group_and_seq_and_accept_tells_positions(layer: str) -> None:
    async with socket("/ws/room/pos/") as comm:
        start = await comm.receive_positions()
        assert set(start) == {"room-pos"}
        position = start["room-pos"]
        assert isinstance(position["epoch"], str) and position["epoch"]
        await abroadcast("room-pos", Toast("a"), Toast("b"))
        await toasts(comm, 2)
        frames = [f for f in comm.push_frames if f["event"] == "toast"]
        assert [(f["group"], f["seq"]) for f in frames] == [
            ("room-pos", position["seq"] + 1),
            ("room-pos", position["seq"] + 2),
        ]


async def test_a_dropped_socket_resumes_exactly_what_it_missed(layer: str) -> None:
    async with socket("/ws/room/r1/") as first:
        epoch = (await first.receive_positions())["room-r1"]["epoch"]
        for text in ("1", "2", "3"):
            await abroadcast("room-r1", Toast(text))
        assert await toasts(first, 3) == ["1", "2", "3"]
        last = first.push_frames[-1]["seq"]
    for text in ("4", "5", "6", "7", "8"):  # while the page has no socket
        await abroadcast("room-r1", Toast(text))
    async with socket("/ws/room/r1/") as again:
        reply = await again.resume({"room-r1": {"seq": last, "epoch": epoch}})
        assert reply == [("end", {"recovered": ["room-r1"], "resynced": []})]
        assert await toasts(again, 5) == ["4", "5", "6", "7", "8"]
        assert [f["seq"] for f in again.push_frames if f["event"] == "toast"] == list(
            range(last + 1, last + 6)
        )
        with pytest.raises(TimeoutError):
            await again.receive_push(timeout=0.2)


@override_settings(HYPERCHANNELS={"HISTORY_SIZE": 3})
async def test_a_history_that_no_longer_reaches_back_resyncs(layer: str) -> None:
    async with socket("/ws/room/r2/") as comm:
        position = (await comm.receive_positions())["room-r2"]
        for text in ("1", "2", "3", "4", "5"):
            await abroadcast("room-r2", Toast(text))
        await toasts(comm, 5)
        reply = await comm.resume({"room-r2": position})
        assert reply[:2] == [
            (
                "patch_html",
                {
                    "content": "<ul id='log'>now: room-r2</ul>",
                    "target": "#log",
                    "swap": "outer",
                    "transition": False,
                },
            ),
            ("toast", {"value": "resynced room-r2"}),
        ]
        assert reply[2] == (
            "positions",
            {"room-r2": {"seq": position["seq"] + 5, "epoch": position["epoch"]}},
        )
        assert reply[3:] == [
            ("resync", {"group": "room-r2"}),
            ("end", {"recovered": [], "resynced": ["room-r2"]}),
        ]


async def test_another_epoch_resyncs_and_groups_the_socket_is_not_in_are_ignored(layer: str) -> None:
    async with socket("/ws/room/r3/") as comm:
        position = (await comm.receive_positions())["room-r3"]
        reply = await comm.resume(
            {"room-r3": {"seq": position["seq"], "epoch": "another"}, "secret": {"seq": 0, "epoch": "x"}}
        )
        assert reply[-2:] == [
            ("resync", {"group": "room-r3"}),
            ("end", {"recovered": [], "resynced": ["room-r3"]}),
        ]


async def test_up_to_date_resume_replays_nothing(layer: str) -> None:
    async with socket("/ws/room/r4/") as comm:
        position = (await comm.receive_positions())["room-r4"]
        assert await comm.resume({"room-r4": position}) == [
            ("end", {"recovered": ["room-r4"], "resynced": []})
        ]
        with pytest.raises(TimeoutError):
            await comm.receive_push(timeout=0.2)


@pytest.mark.parametrize(
    "positions",
    [[], {"g": 1}, {"g": {"seq": -1, "epoch": "e"}}, {"g": {"seq": "1", "epoch": "e"}}, {"g": {"seq": 1}}],
)
async def test_bad_positions_are_a_400(positions: Any) -> None:
    async with socket("/ws/room/bad/") as comm:
        await comm.send_frame({"type": "resume", "id": "r", "positions": positions})
        event, data = await comm.receive_reply("r")
        assert (event, data["status"]) == ("error", 400)
        assert (await comm.ping()) == [("end", {})]


async def test_a_page_rendered_before_its_socket_gets_what_was_broadcast_in_between(layer: str) -> None:
    token = sign_stream("render-gap")  # the page is rendered: its token carries the position
    for text in ("a", "b", "c"):
        await abroadcast("render-gap", Toast(text))
    async with socket("/ws/room/plain/") as comm:
        reply = await comm.subscribe(token)
        assert reply[-1][0] == "end" and reply[-1][1]["group"] == "render-gap"
        assert await toasts(comm, 3) == ["a", "b", "c"]
        # a re-subscribe that names its own position replays nothing more
        await comm.send_frame(
            {
                "type": "subscribe",
                "id": "again",
                "stream": token,
                "since": {"seq": reply[-1][1]["seq"], "epoch": reply[-1][1]["epoch"]},
            }
        )
        assert (await comm.receive_until_terminal("again"))[-1][0] == "end"
        with pytest.raises(TimeoutError):
            await comm.receive_push(timeout=0.2)


async def test_the_excluded_socket_is_told_each_frame_s_position(layer: str) -> None:
    async with socket("/ws/room/ex/") as sender, socket("/ws/room/ex/") as peer:
        start = (await sender.receive_positions())["room-ex"]
        await sender.call("shout", {"text": "hi"})  # two frames, the sender excluded
        assert await toasts(peer, 1) == ["hi"]
        told = [await sender.receive_positions() for _ in range(2)]
        assert told == [{"room-ex": {"seq": start["seq"] + n, "epoch": start["epoch"]}} for n in (1, 2)]


@override_settings(HYPERCHANNELS={"HISTORY_SIZE": 0})
async def test_recovery_off_sends_no_positions_and_resume_resyncs(layer: str) -> None:
    async with socket("/ws/room/off/") as comm:
        assert await comm.receive_positions() == {}
        await abroadcast("room-off", Toast("plain"))
        assert await toasts(comm, 1) == ["plain"]
        assert "seq" not in comm.push_frames[-1]
        reply = await comm.resume({"room-off": {"seq": 0, "epoch": "x"}})
        assert reply[-1] == ("end", {"recovered": [], "resynced": ["room-off"]})


@pytest.mark.django_db(transaction=True)
async def test_a_broadcast_inside_a_transaction_waits_for_the_commit(layer: str) -> None:
    async with socket("/ws/room/tx/") as comm:

        def nothing_yet() -> bool:
            try:
                async_to_sync(comm.receive_push)(timeout=0.2)
            except TimeoutError:
                return True
            return False

        def work() -> None:
            with transaction.atomic():
                User.objects.create(username="in-tx")
                assert broadcast("room-tx", Toast("committed")) == 1
                with transaction.atomic():  # an inner block: still waits for the outermost
                    broadcast("room-tx", Toast("inner"))
                assert nothing_yet()
            try:
                with transaction.atomic():
                    broadcast("room-tx", Toast("rolled back"))
                    raise RuntimeError("roll back")
            except RuntimeError:
                pass
            broadcast("room-tx", Toast("outside"))  # outside a transaction: at once
            with transaction.atomic():
                broadcast("room-tx", Toast("at once"), on_commit=False)

        await sync_to_async(work, thread_sensitive=False)()
        assert await toasts(comm, 4) == ["committed", "inner", "outside", "at once"]
        with pytest.raises(TimeoutError):
            await comm.receive_push(timeout=0.3)


def test_the_docs_positions_snippet_renders_the_positions_as_written() -> None:
    import json
    import re

    from django.template import engines

    from tests.servers import ROOT

    doc = (ROOT / "docs" / "recovery.md").read_text()
    block = re.search(r"```html\n(.*?)```", doc, re.S)
    assert block is not None
    html = engines["django"].from_string(block.group(1).replace("\n  ", "\n")).render({})
    found = re.search(r"positions: (\{.*?\}\}) \}", html)
    assert found is not None, html
    positions = json.loads(found.group(1))
    assert set(positions) == {"board-1"} and isinstance(positions["board-1"]["seq"], int)



async def test_positions_and_tokens_from_sync_code_on_every_layer(layer: str) -> None:
    """Views and template tags run without an event loop; the pubsub layer needs one for its
    own attributes, so the history must not ask it for them."""
    from channels.layers import get_channel_layer

    from hyperchannels.history import positions_now
    from hyperchannels.streams import read_stream

    read = sync_to_async(positions_now, thread_sensitive=False)
    assert (await read(get_channel_layer(), ["sync-read"]))["sync-read"].seq == 0  # read first
    await abroadcast("sync-read", Toast("one"))
    positions = await read(get_channel_layer(), ["sync-read"])
    assert positions["sync-read"].seq == 1
    token = await sync_to_async(sign_stream, thread_sensitive=False)("sync-read")
    assert read_stream(token).position == positions["sync-read"]
