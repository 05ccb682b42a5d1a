"""Every server frame is strict JSON in valid UTF-8, or it is not made (docs/limits.md, issue 11).

The browser's ``JSON.parse`` throws on ``NaN``/``Infinity``, and a lone surrogate has no UTF-8
form (the server's send fails on it): the encoder refuses both with ``ValueError``, an unknown
object with ``TypeError``, so a reply becomes an ``error`` 500 and a broadcast raises at the sender.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import math
import uuid
from decimal import Decimal
from typing import Any

import pytest
from channels.layers import get_channel_layer
from django.test import override_settings
from django.utils.translation import gettext_lazy
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperchannels import HTML, Signal, Toast, abroadcast
from hyperchannels.encoding import FrameTooLarge, encode_end, encode_error, encode_frame
from hyperchannels.groups import layer_group
from hyperchannels.testing import ActionCommunicator
from tests.core.limits_app import application


def strict_loads(text: str) -> Any:
    """Parse as a strict RFC 8259 parser would: no NaN/Infinity, and the text must be UTF-8."""

    def refuse(constant: str) -> None:
        raise AssertionError(f"non-standard constant {constant} in {text[:80]!r}")

    text.encode("utf-8")  # strict: raises on a lone surrogate
    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("wrap", [lambda v: v, lambda v: [1, v], lambda v: {"deep": {"x": [v]}}])
def test_non_finite_floats_are_refused(value: float, wrap: Any) -> None:
    with pytest.raises(ValueError, match="'signals' frame"):
        encode_frame("signals", {"v": wrap(value)}, "1")
    with pytest.raises(ValueError):
        encode_frame("signals", {"v": wrap(value)})  # a push too


def test_a_nan_key_is_refused() -> None:
    with pytest.raises(ValueError):
        encode_frame("signals", {math.nan: 1})  # type: ignore[dict-item]


@pytest.mark.parametrize("text", ["\ud800", "a\udfffb", "é\udc00", "\U0001f600\ud83d"])
def test_lone_surrogates_are_refused_in_values_keys_and_ids(text: str) -> None:
    with pytest.raises(ValueError, match="lone surrogate"):
        encode_frame("toast", {"value": text}, "1")
    with pytest.raises(ValueError, match="lone surrogate"):
        encode_frame("toast", {text: 1})
    with pytest.raises(ValueError, match="lone surrogate"):
        encode_frame("toast", {"value": 1}, text)
    with pytest.raises(ValueError, match="lone surrogate"):
        encode_end(text)


@override_settings(HYPERCHANNELS={"MAX_SERVER_FRAME_BYTES": 1000})
def test_a_lone_surrogate_is_found_in_a_large_frame_too() -> None:
    """Frames that may top the limit are measured in UTF-8, a different path from small ones."""
    with pytest.raises(ValueError, match=r"lone surrogate \(U\+D800\)"):
        encode_frame("patch_html", {"html": "é" * 300 + "\ud800"})


def test_astral_characters_and_control_characters_pass() -> None:
    data = {"value": "😀 \U0001f600 \x00\x1f\u2028 ü"}
    assert strict_loads(encode_frame("toast", data, "😀")) == {"id": "😀", "event": "toast", "data": data}
    assert strict_loads(encode_end("😀")) == {"id": "😀", "event": "end", "data": {}}


def test_unknown_objects_circles_and_deep_nesting_are_type_and_value_errors() -> None:
    with pytest.raises(
        TypeError, match="cannot send the 'toast' frame: Object of type object is not JSON serializable"
    ):
        encode_frame("toast", {"value": object()})
    with pytest.raises(TypeError):
        encode_frame("toast", {(1, 2): "tuple key"})  # type: ignore[dict-item]
    circle: list[Any] = []
    circle.append(circle)
    with pytest.raises(ValueError, match="circular or nested too deeply"):
        encode_frame("toast", {"value": circle})
    shared = [1]  # the same list twice is no circle, also right after one was refused
    assert encode_frame("toast", {"a": shared, "b": shared}) == '{"event":"toast","data":{"a":[1],"b":[1]}}'
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(ValueError, match="nested too deeply"):
        encode_frame("toast", {"value": deep})


def test_djangos_encoder_still_handles_dates_decimals_uuids_and_lazy_strings() -> None:
    key = uuid.UUID("12345678-1234-5678-1234-567812345678")
    data = {
        "when": datetime.datetime(2024, 5, 1, 12, 30, tzinfo=datetime.UTC),
        "price": Decimal("12.50"),
        "not_a_number": Decimal("NaN"),  # a Decimal is sent as a string: "NaN" is valid JSON text
        "key": key,
        "label": gettext_lazy("Cancel"),
    }
    assert strict_loads(encode_frame("signals", data, "1"))["data"] == {
        "when": "2024-05-01T12:30:00Z",
        "price": "12.50",
        "not_a_number": "NaN",
        "key": str(key),
        "label": "Cancel",
    }


def test_encode_end_matches_encode_frame() -> None:
    for invocation_id in ["1", "é", 'quote"and\\slash', "\u2028"]:
        assert encode_end(invocation_id) == encode_frame("end", {}, invocation_id)


# -- size --------------------------------------------------------------------------------------


@override_settings(HYPERCHANNELS={"MAX_SERVER_FRAME_BYTES": 100})
def test_a_frame_over_max_server_frame_bytes_is_refused_naming_the_limit() -> None:
    empty = len(encode_frame("toast", {"value": ""}, "1"))
    exactly = encode_frame("toast", {"value": "x" * (100 - empty)}, "1")
    assert len(exactly.encode()) == 100
    with pytest.raises(FrameTooLarge, match=r"101 bytes in UTF-8, over MAX_SERVER_FRAME_BYTES \(100 bytes\)"):
        encode_frame("toast", {"value": "x" * (101 - empty)}, "1")
    with pytest.raises(FrameTooLarge) as caught:
        encode_frame("toast", {"value": "x" * 500})
    assert isinstance(caught.value, ValueError)  # so a reply becomes an error 500
    assert (caught.value.event, caught.value.limit) == ("toast", 100)


@override_settings(HYPERCHANNELS={"MAX_SERVER_FRAME_BYTES": 100})
def test_the_limit_counts_utf8_bytes_not_characters() -> None:
    empty = len(encode_frame("toast", {"value": ""}, "1"))
    room = 100 - empty  # bytes left for the value
    assert len(encode_frame("toast", {"value": "é" * (room // 2)}, "1").encode()) <= 100
    with pytest.raises(FrameTooLarge):
        encode_frame("toast", {"value": "é" * (room // 2 + 1)}, "1")  # fewer characters than room
    with pytest.raises(FrameTooLarge):
        encode_frame("toast", {"value": "😀" * (room // 4 + 1)}, "1")


def test_the_default_limit_is_daphnes_message_cap() -> None:
    html = "x" * 1_048_576
    with pytest.raises(FrameTooLarge, match=r"over MAX_SERVER_FRAME_BYTES \(1048576 bytes\)"):
        encode_frame("patch_html", {"target": "#t", "html": html}, "1")
    assert encode_frame("patch_html", {"target": "#t", "html": html[:1_048_000]}, "1")


# -- error frames never raise --------------------------------------------------------------------


def test_error_frames_replace_lone_surrogates_and_drop_ids_that_are_not_unicode() -> None:
    assert strict_loads(encode_error(400, "bad \ud800 input", "\udfff")) == {
        "id": None,
        "event": "error",
        "data": {"status": 400, "message": "bad \ufffd input"},
    }
    assert strict_loads(encode_error(500, gettext_lazy("Internal server error"), "é")) == {
        "id": "é",
        "event": "error",
        "data": {"status": 500, "message": "Internal server error"},
    }


@pytest.mark.parametrize("char", ["x", "é", "\x01", "😀"])
@override_settings(HYPERCHANNELS={"MAX_SERVER_FRAME_BYTES": 200})
def test_an_error_message_too_long_for_the_limit_is_cut_short(char: str) -> None:
    text = encode_error(418, char * 5000, "abc")
    assert len(text.encode()) <= 200
    frame = strict_loads(text)
    assert frame["id"] == "abc" and frame["data"]["status"] == 418
    assert frame["data"]["message"].startswith(char) and frame["data"]["message"].endswith("…")


# -- property: every frame round-trips through a strict parser, or the encoder refuses it --------

every_char = st.characters(codec=None, exclude_categories=())  # includes lone surrogates
texts = st.text(every_char, max_size=12)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | texts
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=20,
)


def _has_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def _not_strict_json(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, str):
        return _has_surrogate(value)
    if isinstance(value, list):
        return any(_not_strict_json(v) for v in value)
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _not_strict_json(v) for k, v in value.items())
    return False


@settings(max_examples=400, deadline=None)
@given(data=st.dictionaries(texts, values, max_size=5), invocation_id=st.none() | texts.filter(bool))
def test_every_frame_is_strict_json_or_refused(data: dict[str, Any], invocation_id: str | None) -> None:
    refused = _not_strict_json(data) or (invocation_id is not None and _has_surrogate(invocation_id))
    try:
        text = encode_frame("signals", data, invocation_id)
    except (ValueError, TypeError):
        assert refused
        return
    assert not refused
    expected: dict[str, Any] = {"event": "signals", "data": data}
    if invocation_id is not None:
        expected["id"] = invocation_id
    assert strict_loads(text) == expected


@settings(max_examples=200, deadline=None)
@given(status=st.integers(100, 599), message=texts, invocation_id=st.none() | texts)
def test_every_error_frame_is_strict_json(status: int, message: str, invocation_id: str | None) -> None:
    frame = strict_loads(encode_error(status, message, invocation_id))
    assert frame["data"]["status"] == status
    assert frame["id"] == (None if invocation_id is None or _has_surrogate(invocation_id) else invocation_id)
    if not _has_surrogate(message):
        assert frame["data"]["message"] == message


# -- through a consumer and a broadcast (issue 11's inputs) --------------------------------------


async def test_a_nan_signal_reply_is_an_error_500() -> None:
    comm = ActionCommunicator(application, "/ws/limits/", headers=[(b"origin", b"http://testserver")])
    connected, _ = await comm.connect()
    assert connected
    try:
        invocation = await comm.send_action("nan")
        assert await comm.receive_reply(invocation) == (
            "error",
            {"status": 500, "message": "Internal server error"},
        )
    finally:
        await comm.disconnect()


@pytest.mark.parametrize(
    "item, error",
    [("nan", ValueError), ("surrogate", ValueError), ("huge", FrameTooLarge)],
)
async def test_a_broadcast_that_cannot_be_sent_raises_at_the_sender_before_anything_is_sent(
    item: str, error: type[Exception]
) -> None:
    items = {
        "nan": Signal("v", math.nan),
        "surrogate": Toast("\ud800"),
        "huge": HTML("x" * 1_500_000, target="#t"),
    }
    layer = get_channel_layer()
    assert layer is not None
    channel = await layer.new_channel()
    await layer.group_add(layer_group("room"), channel)
    with pytest.raises(error):
        await abroadcast("room", Toast("first"), items[item])
    with pytest.raises(TimeoutError):  # not even the first item went
        await asyncio.wait_for(layer.receive(channel), 0.2)
    await layer.group_discard(layer_group("room"), channel)
