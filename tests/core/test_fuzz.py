"""Arbitrary text and JSON thrown at a consumer never crash it or close the socket."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hyperchannels import protocol
from hyperchannels.testing import ActionCommunicator
from tests.app.asgi import websocket_app

SAFE_ACTIONS = [
    "toast",
    "every_item",
    "sync_stream",
    "async_stream",
    "text",
    "card",
    "response",
    "nothing",
    "unsupported",
    "boom",
    "typed",
    "anything",
    "forbidden",
    "invalid",
    "list_redirect",
    "redirect_stream",
    "not_an_action",
    "_private",
    "connect",
    "send",
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
ids = st.one_of(st.text(min_size=0, max_size=70), st.integers(), st.none())
action_frames = st.fixed_dictionaries(
    {"type": st.sampled_from(["action", "cancel", "subscribe", "unsubscribe", "bogus"])},
    optional={
        "id": ids,
        "name": st.one_of(st.sampled_from(SAFE_ACTIONS), json_values),
        "data": st.one_of(
            st.dictionaries(
                st.sampled_from(["n", "x", "flag", "s", "message", "status", "token", "q"]),
                json_values,
                max_size=4,
            ),
            json_values,
        ),
        "target": json_values,
        "block": json_values,
        "stream": json_values,
    },
)
frames = st.one_of(
    st.text(max_size=200).map(lambda t: ("text", t)),
    st.binary(min_size=1, max_size=50).map(lambda b: ("bytes", b)),
    json_values.map(lambda v: ("text", json.dumps(v))),
    action_frames.map(lambda f: ("text", json.dumps(f))),
)


def assert_well_formed(frame: Any) -> None:
    assert isinstance(frame, dict)
    assert set(frame) <= {"id", "event", "data"}
    assert frame["event"] in set(protocol.EventName)
    assert isinstance(frame["data"], dict)
    if "id" in frame:
        assert frame["id"] is None or isinstance(frame["id"], str)
    if frame["event"] == "error":
        assert isinstance(frame["data"]["status"], int)
        assert isinstance(frame["data"]["message"], str)
        assert "Traceback" not in frame["data"]["message"]


async def exercise(batch: list[tuple[str, Any]]) -> None:
    comm = ActionCommunicator(websocket_app, "/ws/core/")
    assert (await comm.connect())[0]
    for kind, payload in batch:
        if kind == "bytes":
            await comm.send_to(bytes_data=payload)
        elif payload:
            await comm.send_to(text_data=payload)
    final = await comm.send_action("toast", id="__final__")
    received: list[dict[str, Any]] = []
    while True:
        output = await comm.receive_output(timeout=5)
        assert output["type"] == "websocket.send", output  # never a close
        frame = json.loads(output["text"])
        assert_well_formed(frame)
        received.append(frame)
        if frame.get("id") == final and frame["event"] == "end":
            break
    await asyncio.sleep(0.05)
    while not await comm.receive_nothing(timeout=0.05):
        output = await comm.receive_output()
        assert output["type"] == "websocket.send", output
        frame = json.loads(output["text"])
        assert_well_formed(frame)
        received.append(frame)
    sent_ids = Counter(
        json.loads(p).get("id")
        for k, p in batch
        if k == "text" and p and p.lstrip().startswith("{") and _is_object(p)
    )
    terminals = Counter(f["id"] for f in received if f["event"] in protocol.TERMINAL_EVENTS and f.get("id"))
    for invocation_id, count in terminals.items():
        if invocation_id != final:
            assert count <= max(1, sent_ids[invocation_id]), (invocation_id, received)
    await comm.disconnect()


def _is_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except (ValueError, RecursionError):
        return False


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(frames, max_size=6))
def test_arbitrary_frames_never_break_the_socket(batch: list[tuple[str, Any]]) -> None:
    asyncio.run(exercise(batch))


def test_deeply_nested_json_is_a_400_not_a_crash() -> None:
    asyncio.run(exercise([("text", "[" * 100_000), ("text", '{"a":' * 50_000 + "1" + "}" * 50_000)]))


def _outcome(parse: Any, text: str) -> tuple[str, Any]:
    try:
        return "value", parse(text)
    except (ValueError, RecursionError) as exc:
        return "error", type(exc).__name__


json_texts = st.one_of(
    st.text(max_size=30),
    json_values.map(lambda v: json.dumps(v, separators=(",", ":"))),
    json_values.map(json.dumps),
    st.tuples(
        st.sampled_from(["", " ", "\n\t", "x", "}", "1", '""']),
        json_values,
        st.sampled_from(["", " ", "\n", "x", "]", "1", "{}"]),
    ).map(lambda t: t[0] + json.dumps(t[1], separators=(",", ":")) + t[2]),
)


@settings(max_examples=600, deadline=None)
@given(json_texts)
def test_a_frame_s_json_is_read_exactly_as_json_loads_reads_it(text: str) -> None:
    """The parser's fast path for compact JSON (docs/performance.md) reads what ``json.loads``
    reads and refuses what it refuses, whitespace and trailing text included."""
    from hyperchannels.frames import _loads

    assert _outcome(_loads, text) == _outcome(json.loads, text)
