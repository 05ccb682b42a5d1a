"""A consumer class whose actions can't work fails when it is defined, not at its first call.

Regressions: ``@action def ping(self)`` (no ``request``) raised ``TypeError`` outside every
error handler on its first call and ended the socket; ``@action async def send(...)`` replaced
the consumer's own ``send()`` and the first error reply killed the socket; a Channels
``groups = [...]`` attribute was silently ignored; a ``{% csrf_token %}`` field made a form's
action answer 400; a signature error read "Unexpected argument: request, request".
"""

from __future__ import annotations

from typing import Any

import pytest
from channels.layers import get_channel_layer
from django.core.exceptions import ImproperlyConfigured

from hyperchannels import Toast, abroadcast, action
from hyperchannels.binding import Binder
from hyperchannels.consumers import HyperConsumer
from hyperchannels.encoding import encode_frame
from hyperchannels.testing import ActionCommunicator


def test_an_action_without_request_fails_at_definition() -> None:
    with pytest.raises(ImproperlyConfigured, match=r"must take \(self, request, \.\.\.\)"):

        class Broken(HyperConsumer):
            @action
            def ping(self) -> None: ...


def test_an_action_with_positional_only_data_fails_at_definition() -> None:
    with pytest.raises(ImproperlyConfigured, match="positional-only"):

        class Broken(HyperConsumer):
            @action
            def save(self, request: Any, title: str, /) -> None: ...


@pytest.mark.parametrize(
    "name",
    [
        "send",
        "close",
        "accept",
        "connect",
        "receive",
        "disconnect",
        "dispatch",
        "websocket_receive",
        "get_groups",
        "relay_deliver",
        "__call__",
    ],
)
def test_an_action_named_like_a_runtime_method_is_refused_with_the_fix(name: str) -> None:
    async def method(self: Any, request: Any) -> None: ...

    method.__name__ = name
    with pytest.raises(ImproperlyConfigured) as raised:
        type("Clash", (HyperConsumer,), {name: action(method)})
    assert f'@action("{name}")' in str(raised.value)


async def test_the_action_name_send_works_on_a_method_named_otherwise() -> None:
    class Chat(HyperConsumer):
        @action("send")
        async def send_message(self, request: Any, room: str, n: int) -> Toast:
            return Toast(f"{room}:{n}")

    comm = ActionCommunicator(Chat.as_asgi(), "/ws/")
    assert (await comm.connect())[0]
    assert await comm.call("send", {"room": "r", "n": "2"}) == [("toast", {"value": "r:2"}), ("end", {})]
    assert (await comm.call("send", {"room": "r"}))[-1][1]["status"] == 400  # an error reply
    assert await comm.call("send", {"room": "r", "n": 1}) == [("toast", {"value": "r:1"}), ("end", {})]
    await comm.disconnect()


def test_overriding_receive_fails_loudly() -> None:
    with pytest.raises(ImproperlyConfigured, match="never calls"):

        class Old(HyperConsumer):
            async def receive(self, text_data: str | None = None, bytes_data: Any = None) -> None: ...


class Lobby(HyperConsumer):
    groups = ["lobby", "room-café"]

    async def chat_message(self, event: dict[str, Any]) -> None:
        await self.send(text_data=encode_frame("toast", {"value": event["text"]}))


async def test_channels_groups_attribute_is_joined() -> None:
    comm = ActionCommunicator(Lobby.as_asgi(), "/ws/")
    assert (await comm.connect())[0]
    await abroadcast("lobby", Toast("hi"))
    assert await comm.receive_push() == ("toast", {"value": "hi"})
    await abroadcast("room-café", Toast("salut"))
    assert await comm.receive_push() == ("toast", {"value": "salut"})
    # Channels' own group_send to a valid name reaches the custom handler.
    layer = get_channel_layer()
    assert layer is not None
    await layer.group_send("lobby", {"type": "chat.message", "text": "plain channels"})
    assert await comm.receive_push() == ("toast", {"value": "plain channels"})
    await comm.disconnect()


class Accepting(HyperConsumer):
    """A Channels-style connect() that only accepts: its groups are joined all the same."""

    groups = ["accepting"]

    async def connect(self) -> None:
        self.ready = True
        await self.accept()


async def test_a_connect_that_only_accepts_still_joins_its_groups() -> None:
    comm = ActionCommunicator(Accepting.as_asgi(), "/ws/")
    assert (await comm.connect())[0]
    await abroadcast("accepting", Toast("in"))
    assert await comm.receive_push() == ("toast", {"value": "in"})
    await comm.disconnect()


def test_groups_given_as_one_string_fail_loudly() -> None:
    class OneString(HyperConsumer):
        groups = "lobby"  # type: ignore[assignment]

    async def run() -> tuple[bool, Any]:
        comm = ActionCommunicator(OneString.as_asgi(), "/ws/")
        result: tuple[bool, Any] = await comm.connect()
        return result

    import asyncio

    connected, _ = asyncio.run(run())
    assert not connected


def test_a_django_form_token_is_not_an_argument() -> None:
    def add(self: Any, request: Any, text: str) -> None: ...

    binder = Binder(add)
    assert binder.bind({"text": "x", "csrfmiddlewaretoken": "abc"}) == {"text": "x"}


def test_a_signature_error_names_request_once() -> None:
    def add(self: Any, request: Any, text: str) -> None: ...

    from hyperchannels.exceptions import BadRequest

    with pytest.raises(BadRequest) as raised:
        Binder(add).bind({"text": "x", "request": 1})
    assert raised.value.message == "Unexpected argument: request"


async def test_an_id_with_a_lone_surrogate_is_a_bad_id() -> None:
    class Plain(HyperConsumer):
        @action
        def ping(self, request: Any) -> Toast:
            return Toast("pong")

    comm = ActionCommunicator(Plain.as_asgi(), "/ws/")
    assert (await comm.connect())[0]
    await comm.send_to(text_data='{"type": "action", "id": "\\ud800", "name": "ping"}')
    event, data = await comm.receive_reply(None)
    assert (event, data["status"]) == ("error", 400)
    assert "need an id" in data["message"]
    await comm.disconnect()
