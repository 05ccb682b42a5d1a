"""Action items, their validation and their events (docs/actions.md, docs/protocol.md)."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from typing import Any

import pytest
from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st

from hyperchannels import (
    HTML,
    Actions,
    Delete,
    Event,
    History,
    LoadJS,
    Redirect,
    Signal,
    Signals,
    Toast,
    action,
)
from hyperchannels.actions import action_spec
from hyperchannels.consumers import HyperConsumer
from hyperchannels.encoding import encode_end, encode_frame
from hyperchannels.protocol import EventName


def to_event(item: Any) -> tuple[str, dict[str, Any]]:
    return item.to_event()  # type: ignore[no-any-return]


def test_action_marks_with_the_method_name_or_the_given_one() -> None:
    @action
    def save(self: Any, request: Any) -> None: ...

    @action("save_profile")
    async def other(self: Any, request: Any) -> None: ...

    @action()
    def plain(self: Any, request: Any) -> None: ...

    assert action_spec(save).name == "save"
    assert action_spec(other).name == "save_profile"
    assert action_spec(plain).name == "plain"
    with pytest.raises(TypeError):
        action("")


def test_get_action_finds_only_marked_methods() -> None:
    class Base(HyperConsumer):
        @action
        def inherited(self, request: Any) -> None: ...

        @action
        def hidden_later(self, request: Any) -> None: ...

    class Child(Base):
        @action("shown")
        def python_name(self, request: Any) -> None: ...

        def hidden_later(self, request: Any) -> None:  # redefined without @action
            ...

        def helper(self, request: Any) -> None: ...

    consumer = Child()
    assert consumer.get_action("inherited") is not None
    assert consumer.get_action("shown") is not None
    assert consumer.get_action("python_name") is None
    assert consumer.get_action("hidden_later") is None
    for name in [
        "helper",
        "connect",
        "send",
        "__init__",
        "close",
        "dispatch",
        "get_action",
        "websocket_receive",
        "render_block",
        "hyper_push",
        "_invoke",
        "",
    ]:
        assert consumer.get_action(name) is None, name


def test_html_event_and_defaults() -> None:
    assert to_event(HTML("<p>", target="#t")) == (
        "patch_html",
        {"content": "<p>", "target": "#t", "swap": "outer", "transition": False},
    )
    full = HTML("<p>", "#t", "inner", True, "#f", 10, 20, True)
    assert to_event(full)[1] == {
        "content": "<p>",
        "target": "#t",
        "swap": "inner",
        "transition": True,
        "focus": "#f",
        "swap_delay": 10,
        "settle_delay": 20,
        "strict_targets": True,
    }


@pytest.mark.parametrize("swap", ["inner", "outer", "before", "after", "prepend", "append", "delete", "none"])
def test_every_swap_mode_is_accepted(swap: str) -> None:
    assert to_event(HTML("x", target="#t", swap=swap))[1]["swap"] == swap


def test_delete_equals_an_html_delete() -> None:
    assert to_event(Delete("#row")) == to_event(HTML("", target="#row", swap="delete"))


@pytest.mark.parametrize(
    "item, event, data",
    [
        (Event("saved"), "dispatch_event", {"name": "saved"}),
        (
            Event("saved", {"id": 1}, "#x"),
            "dispatch_event",
            {"name": "saved", "payload": {"id": 1}, "target": "#x"},
        ),
        (Toast("Added"), "toast", {"value": "Added"}),
        (Toast({"message": "m", "level": "info"}), "toast", {"message": "m", "level": "info"}),
        (Redirect("/x"), "redirect", {"url": "/x", "replace": False}),
        (Redirect("/x", replace=True), "redirect", {"url": "/x", "replace": True}),
        (History(push_url="/a"), "history", {"push_url": "/a"}),
        (History(replace_url="/b"), "history", {"replace_url": "/b"}),
        (LoadJS("/s.js"), "load_js", {"src": "/s.js"}),
        (Signal("count", 1), "patch_signals", {"count": 1}),
        (Signal("$user", None), "patch_signals", {"$user": None}),
        (Signals({"a": 1, "b": 2}), "patch_signals", {"a": 1, "b": 2}),
    ],
)
def test_item_events(item: Any, event: str, data: dict[str, Any]) -> None:
    assert to_event(item) == (event, data)


@pytest.mark.parametrize(
    "make, error",
    [
        (lambda: HTML("x", swap="sideways"), ValueError),
        (lambda: HTML("x", swap_delay=-1), ValueError),
        (lambda: HTML("x", settle_delay=-5), ValueError),
        (lambda: HTML("x", swap_delay=1.5), TypeError),  # type: ignore[arg-type]
        (lambda: HTML(b"x"), TypeError),  # type: ignore[arg-type]
        (lambda: Event(""), ValueError),
        (lambda: Signal("", 1), ValueError),
        (lambda: Delete(""), ValueError),
        (lambda: LoadJS(""), ValueError),
        (lambda: Redirect(""), ValueError),
        (lambda: Signals([("a", 1)]), TypeError),  # type: ignore[arg-type]
        (lambda: Signals({"": 1}), ValueError),
        (lambda: History(), ValueError),
    ],
)
def test_bad_items_fail_when_made(make: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        make()


def test_actions_is_a_list_of_its_items() -> None:
    items = Actions(Toast(1), Signal("a", 2))
    assert list(items) == [Toast(1), Signal("a", 2)]
    assert items == [Toast(1), Signal("a", 2)]
    assert len(items) == 2


def test_values_use_djangos_json_encoder() -> None:
    day = datetime.date(2026, 11, 24)
    ident = uuid.UUID(int=1)
    text = encode_frame(
        *to_event(
            Signals(
                {
                    "day": day,
                    "price": decimal.Decimal("1.50"),
                    "id": ident,
                    "label": gettext_lazy("Yes"),
                }
            )
        )
    )
    assert json.loads(text) == {
        "event": "patch_signals",
        "data": {
            "day": "2026-11-24",
            "price": "1.50",
            "id": str(ident),
            "label": "Yes",
        },
    }


@given(st.text(min_size=1, max_size=64))
def test_the_end_frame_shortcut_is_the_general_encoding(invocation_id: str) -> None:
    assert encode_end(invocation_id) == encode_frame(EventName.END, {}, invocation_id)
