"""Groups, broadcasts, users, exclude and signed streams, on each channel layer (docs/broadcast.md)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import HttpResponse
from django.template import engines
from django.test import override_settings

from hyperchannels import (
    HTML,
    Actions,
    Redirect,
    Signal,
    Toast,
    abroadcast,
    asend_to_user,
    broadcast,
    encoding,
    user_group,
)
from hyperchannels.streams import sign_stream, unsign_stream
from hyperchannels.testing import ActionCommunicator
from tests.broadcast.asgi import websocket_app
from tests.broadcast.sockets import socket
from tests.core.test_request import _signed_in_cookie


def position(group: str) -> dict[str, Any]:
    """The group's current position as a ``positions`` entry."""
    from channels.layers import get_channel_layer

    from hyperchannels.history import positions_now

    return positions_now(get_channel_layer(), [group])[group].as_json()


async def test_broadcast_reaches_every_socket_of_the_group_in_order(layer: str) -> None:
    async with socket("/ws/room/1/") as a, socket("/ws/room/1/") as b, socket("/ws/room/2/") as other:
        sent = await abroadcast(
            "room-1",
            HTML("<li>x</li>", target="#l", swap="append"),
            [Toast("one"), Signal("n", 2)],
            Actions(Toast("two")),
        )
        assert sent == 4
        for comm in (a, b):
            assert [await comm.receive_push() for _ in range(4)] == [
                (
                    "patch_html",
                    {"content": "<li>x</li>", "target": "#l", "swap": "append", "transition": False},
                ),
                ("toast", {"value": "one"}),
                ("patch_signals", {"n": 2}),
                ("toast", {"value": "two"}),
            ]
        assert await other.receive_nothing(timeout=0.3)


async def test_generator_items_and_redirect_end_the_broadcast(layer: str) -> None:
    def items() -> Any:
        yield Toast("a")
        yield Redirect("/bye")
        yield Toast("never")

    async with socket("/ws/room/g/") as comm:
        assert await abroadcast("room-g", items()) == 2
        assert await comm.receive_push() == ("toast", {"value": "a"})
        assert await comm.receive_push() == ("redirect", {"url": "/bye", "replace": False})
        assert await comm.receive_nothing(timeout=0.2)


async def test_exclude_skips_the_sender_only(layer: str) -> None:
    async with socket("/ws/room/x/") as sender, socket("/ws/room/x/") as peer:
        assert await sender.call("shout", {"text": "hi"}) == [("toast", {"value": "sent"}), ("end", {})]
        assert await peer.receive_push() == ("toast", {"value": "hi"})
        assert await peer.receive_push() == ("patch_signals", {"last": "hi"})
        # The excluded socket gets no item, only the position of each frame it was spared
        # (docs/recovery.md: its page counts them as applied).
        with pytest.raises(TimeoutError):
            await sender.receive_push(timeout=0.3)
        await sender.call("shout", {"text": "all", "everyone": True})
        assert await sender.receive_push() == ("toast", {"value": "all"})


async def test_sync_broadcast_from_a_sync_action_does_not_deadlock(layer: str) -> None:
    async with socket("/ws/room/s/") as sender, socket("/ws/room/s/") as peer:
        events = await asyncio.wait_for(sender.call("shout_sync", {"text": "sync"}), 10)
        assert events == [("toast", {"value": "sent"}), ("end", {})]
        assert (await peer.receive_push())[1]["content"] == "<li>sync</li>"
        with pytest.raises(TimeoutError):
            await sender.receive_push(timeout=0.2)


async def test_sync_broadcast_from_sync_code_like_a_view(layer: str) -> None:
    async with socket("/ws/room/v/") as comm:
        await sync_to_async(broadcast)("room-v", Toast("from a view"))
        assert await comm.receive_push() == ("toast", {"value": "from a view"})


@pytest.mark.django_db(transaction=True)
async def test_send_to_user_reaches_every_tab_of_that_user_only(layer: str) -> None:
    cookie = await sync_to_async(_signed_in_cookie)()
    ann = await User.objects.aget(username="ann")
    headers = [(b"cookie", cookie.encode())]
    async with (
        socket("/ws/room/u/", headers) as tab1,
        socket("/ws/room/u/", headers) as tab2,
        socket("/ws/room/u/") as anonymous,
    ):
        await asend_to_user(ann, Toast("for ann"))
        assert await tab1.receive_push() == ("toast", {"value": "for ann"})
        assert await tab2.receive_push() == ("toast", {"value": "for ann"})
        assert await anonymous.receive_nothing(timeout=0.3)
        # The primary key names the same group.
        await asend_to_user(ann.pk, Toast("by pk"))
        assert await tab1.receive_push() == ("toast", {"value": "by pk"})
    assert user_group(ann) == user_group(ann.pk)


@pytest.mark.django_db(transaction=True)
@override_settings(HYPERCHANNELS={"USER_GROUPS": False})
async def test_user_groups_can_be_turned_off(layer: str) -> None:
    cookie = await sync_to_async(_signed_in_cookie)()
    ann = await User.objects.aget(username="ann")
    async with socket("/ws/room/u/", [(b"cookie", cookie.encode())]) as tab:
        await asend_to_user(ann, Toast("nobody hears"))
        assert await tab.receive_nothing(timeout=0.3)


async def test_signed_stream_subscribe_and_unsubscribe(layer: str) -> None:
    token = sign_stream("news")
    async with socket("/ws/room/n/") as comm:
        assert await comm.subscribe(token) == [("end", {"group": "news", **position("news")})]
        await abroadcast("news", Toast("headline"))
        assert await comm.receive_push() == ("toast", {"value": "headline"})
        assert await comm.unsubscribe(token) == [("end", {})]
        await abroadcast("news", Toast("missed"))
        assert await comm.receive_nothing(timeout=0.3)


async def test_unsubscribe_never_leaves_a_server_chosen_group(layer: str) -> None:
    async with socket("/ws/room/keep/") as comm:
        token = sign_stream("room-keep")
        assert await comm.subscribe(token) == [("end", {"group": "room-keep", **position("room-keep")})]
        assert await comm.unsubscribe(token) == [("end", {})]
        await abroadcast("room-keep", Toast("still here"))
        assert await comm.receive_push() == ("toast", {"value": "still here"})


@pytest.mark.parametrize("token", ["room-1", "forged:abc:def", sign_stream("a")[:-2] + "xx"])
async def test_a_client_cannot_join_a_group_by_naming_it_or_forging_a_token(token: str) -> None:
    async with socket("/ws/room/f/") as comm:
        assert await comm.subscribe(token) == [("error", {"status": 403, "message": "Invalid stream token"})]
        await abroadcast("room-1", Toast("private"))
        await abroadcast("a", Toast("private"))
        assert await comm.receive_nothing(timeout=0.2)


def test_stream_tokens_expire_with_stream_max_age() -> None:
    token = sign_stream("board-1")
    assert unsign_stream(token) == "board-1"
    with override_settings(HYPERCHANNELS={"STREAM_MAX_AGE": 1}):
        time.sleep(2.1)
        with pytest.raises(Exception, match="age"):
            unsign_stream(token)


def test_stream_tokens_are_salted_for_streams() -> None:
    from django.core import signing

    with pytest.raises(signing.BadSignature):
        unsign_stream(signing.dumps("board-1"))  # signed by other code with another salt


def test_hyper_stream_tag_renders_a_token_for_the_group() -> None:
    template = engines["django"].from_string('{% load hyperchannels %}{% hyper_stream "board-1" %}')
    assert unsign_stream(template.render({}).strip()) == "board-1"


@pytest.mark.parametrize("value", ["<p>", {"a": 1}, HttpResponse("x"), ["<p>"], 42])
async def test_broadcast_refuses_values_without_an_invocation(value: Any) -> None:
    with pytest.raises(TypeError):
        await abroadcast("room-1", value)


async def test_a_broadcast_is_encoded_once_whatever_the_number_of_receivers(
    layer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    real = encoding.encode_frame

    def counting(*args: Any, **kwargs: Any) -> str:
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(encoding, "encode_frame", counting)
    comms = [ActionCommunicator(websocket_app, "/ws/room/many/") for _ in range(20)]
    for comm in comms:
        assert (await comm.connect())[0]
    calls.clear()  # each socket's positions push on accept
    await abroadcast("room-many", Toast("x"), Signal("y", 1))
    for comm in comms:
        assert await comm.receive_push() == ("toast", {"value": "x"})
        assert await comm.receive_push() == ("patch_signals", {"y": 1})
        await comm.disconnect()
    assert calls == ["toast", "patch_signals"]


async def test_push_command_sends_toast_html_signals(layer: str) -> None:
    async with socket("/ws/room/cmd/") as comm:
        await sync_to_async(call_command)(
            "hyperchannels_push",
            "room-cmd",
            toast="Deploy at 18:00",
            html="<b>!</b>",
            target="#banner",
            swap="inner",
            signal=["count=3", 'who="ann"'],
        )
        assert [await comm.receive_push() for _ in range(4)] == [
            ("toast", {"value": "Deploy at 18:00"}),
            (
                "patch_html",
                {"content": "<b>!</b>", "target": "#banner", "swap": "inner", "transition": False},
            ),
            ("patch_signals", {"count": 3}),
            ("patch_signals", {"who": "ann"}),
        ]


@pytest.mark.django_db(transaction=True)
async def test_push_command_reaches_a_user(layer: str) -> None:
    cookie = await sync_to_async(_signed_in_cookie)()
    async with socket("/ws/room/c/", [(b"cookie", cookie.encode())]) as tab:
        await sync_to_async(call_command)("hyperchannels_push", user="ann", toast='{"message": "hi"}')
        assert await tab.receive_push() == ("toast", {"message": "hi"})


@pytest.mark.parametrize(
    "args, options",
    [
        ((), {"toast": "x"}),
        (("g",), {"user": "ann", "toast": "x"}),
        (("g",), {}),
        (("g",), {"html": "<p>"}),
        (("g",), {"signal": ["novalue"]}),
    ],
)
@pytest.mark.django_db
def test_push_command_refuses_bad_arguments(args: tuple[str, ...], options: dict[str, Any]) -> None:
    with pytest.raises(CommandError):
        call_command("hyperchannels_push", *args, **options)


async def test_a_layer_message_without_handler_is_logged_and_the_socket_stays(
    layer: str, caplog: pytest.LogCaptureFixture
) -> None:
    from channels.layers import get_channel_layer

    async with socket("/ws/room/h/") as comm:
        (_, data), _ = await comm.call("whoami")
        with caplog.at_level("ERROR", logger="hyperchannels"):
            await get_channel_layer().send(data["channel"], {"type": "no.such.handler"})
            await abroadcast("room-h", Toast("after"))
            assert await comm.receive_push() == ("toast", {"value": "after"})
        assert await comm.call("ping") == [("toast", {"value": "pong"}), ("end", {})]
    assert any("no.such.handler" in r.getMessage() for r in caplog.records)


async def test_a_process_joins_a_group_once_whatever_its_number_of_sockets() -> None:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    comms = [ActionCommunicator(websocket_app, "/ws/room/once/") for _ in range(5)]
    for comm in comms:
        assert (await comm.connect())[0]
    assert len(layer.groups["room-once"]) == 1  # one relay channel, not five sockets
    await abroadcast("room-once", Toast("all five"))
    for comm in comms:
        assert await comm.receive_push() == ("toast", {"value": "all five"})
    for comm in comms[:4]:
        await comm.disconnect()
    assert len(layer.groups["room-once"]) == 1
    await comms[4].disconnect()
    assert "room-once" not in layer.groups or not layer.groups["room-once"]


async def test_custom_group_messages_reach_custom_handlers(layer: str) -> None:
    from channels.layers import get_channel_layer

    async with socket("/ws/room/chat/") as a, socket("/ws/room/chat/") as b:
        await get_channel_layer().group_send("room-chat", {"type": "chat.message", "text": "hi"})
        assert await a.receive_push() == ("toast", {"value": "hi"})
        assert await b.receive_push() == ("toast", {"value": "hi"})
