"""Any group name works on every layer (docs/broadcast.md, "Group names").

Regression: ``sign_stream("doc 1")`` (a space) ended the socket with 1011 and no reply, and
``get_groups()`` returning ``"room-café"`` refused every socket of its URL, because Channels'
layers accept only ASCII letters, digits, ``-_.`` and fewer than 100 characters.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hyperchannels import Toast, abroadcast, user_group
from hyperchannels.groups import check_group, layer_group
from hyperchannels.streams import sign_stream
from tests.broadcast.sockets import socket

pytestmark = pytest.mark.django_db(transaction=True)

AWKWARD = [
    "doc 1",
    "room-café",
    "a" * 1000,
    "ünïcödé/名前 🎉",
    "hyper.g.x",
    "tab\tand\nnewline",
    "x" * 99,
    "x" * 100,
]


@pytest.mark.parametrize("group", AWKWARD)
async def test_a_stream_of_any_name_subscribes_and_receives(layer: str, group: str) -> None:
    async with socket("/ws/room/plain/") as comm:
        assert (await comm.subscribe(sign_stream(group)))[-1][1]["group"] == group
        await abroadcast(group, Toast("hello"))
        assert await comm.receive_push() == ("toast", {"value": "hello"})
        # the socket is still fine afterwards
        assert (await comm.call("ping"))[-1] == ("end", {})


async def test_get_groups_with_a_name_the_layer_refuses(layer: str) -> None:
    async with socket(f"/ws/room/{quote('café')}/") as comm:
        await abroadcast("room-café", Toast("bonjour"))
        assert await comm.receive_push() == ("toast", {"value": "bonjour"})


async def test_two_names_that_map_alike_never_meet(layer: str) -> None:
    async with socket("/ws/room/plain/") as a, socket("/ws/room/plain/") as b:
        assert (await a.subscribe(sign_stream("doc 1")))[-1][0] == "end"
        assert (await b.subscribe(sign_stream("doc-1")))[-1][0] == "end"
        await abroadcast("doc-1", Toast("to b"))
        await abroadcast("doc 1", Toast("to a"))
        assert await a.receive_push() == ("toast", {"value": "to a"})
        assert await b.receive_push() == ("toast", {"value": "to b"})
        with pytest.raises(TimeoutError):
            await a.receive_push(timeout=0.3)


def test_user_group_works_for_any_primary_key() -> None:
    assert user_group("ann@example.com") == "hyper.user.ann@example.com"
    assert layer_group(user_group("ann@example.com")) != layer_group(user_group("ann.example.com"))


@pytest.mark.parametrize("bad", ["", "x" * 1001])
async def test_an_empty_or_over_long_name_raises_where_it_is_given(bad: str) -> None:
    with pytest.raises(ValueError):
        sign_stream(bad)
    with pytest.raises(ValueError):
        await abroadcast(bad, Toast("x"))
    with pytest.raises(ValueError):
        layer_group(bad)
    with pytest.raises(TypeError):
        check_group(5)


VALID_LAYER_NAME = st.from_regex(r"[A-Za-z0-9_.\-]{1,99}", fullmatch=True)


@given(
    st.text(min_size=1, max_size=1000) | VALID_LAYER_NAME,
    st.text(min_size=1, max_size=1000) | VALID_LAYER_NAME,
)
def test_layer_names_are_valid_and_one_to_one(a: str, b: str) -> None:
    from channels.layers import BaseChannelLayer

    layer = BaseChannelLayer()
    # Channels up to 4.2.0 has only valid_group_name; later releases deprecate it for this one.
    require_valid = getattr(layer, "require_valid_group_name", None) or layer.valid_group_name
    for name in (a, b):
        assert require_valid(layer_group(name))
    assert (layer_group(a) == layer_group(b)) == (a == b)
