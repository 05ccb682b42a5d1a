"""Turn whatever an action returned into events, one at a time, as they are produced.

Used for replies (with an ``Invocation``, so ``str``, ``dict`` and ``HttpResponse`` have a
target and a template) and for broadcasts (without one, so those three are a ``TypeError``).
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncGenerator, AsyncIterator, Generator
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse, HttpResponseBase

from . import protocol
from .actions import HTML, ActionItem, Actions, Redirect, event_of, iter_flat
from .exceptions import ProtocolError, UnsupportedReturn
from .protocol import EventName
from .types import EventPair, RenderBlock


@dataclass(frozen=True)
class Invocation:
    """What a return value may draw on: the frame's ``target``/``block`` and the template."""

    action_name: str
    target: str | None
    block: str | None
    render_block: RenderBlock


def _describe(value: object) -> str:
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


def _check_item(value: object) -> ActionItem:
    if isinstance(value, ActionItem):
        return value
    raise UnsupportedReturn(f"expected an action item, got {_describe(value)}")


def _response_events(response: HttpResponseBase, invocation: Invocation) -> list[EventPair]:
    status = response.status_code
    if 300 <= status < 400 and response.has_header("Location"):
        return [event_of(Redirect(response["Location"]))]
    if status == 204:
        return []
    if 200 <= status < 300:
        if not isinstance(response, HttpResponse):
            raise UnsupportedReturn(f"streaming responses are not supported: {_describe(response)}")
        content = response.content.decode(response.charset or "utf-8")
        return [event_of(HTML(content, target=invocation.target))]
    if 400 <= status < 500:
        raise ProtocolError(status, protocol.known_message(status) or response.reason_phrase)
    if status >= 500:
        raise ProtocolError(status, protocol.message("server_error"))
    raise UnsupportedReturn(f"unsupported response status {status}")


async def _single_value_events(value: Any, invocation: Invocation | None) -> list[EventPair]:
    """Events of a return value that is not a stream of items."""
    if not isinstance(value, (str, dict, HttpResponseBase)):
        raise UnsupportedReturn(f"unsupported return type {_describe(value)}")
    if invocation is None:
        raise TypeError(
            f"a broadcast takes action items, not {type(value).__name__}: "
            "there is no invocation to take a target or template from"
        )
    if isinstance(value, str):
        return [event_of(HTML(value, target=invocation.target))]
    if isinstance(value, dict):
        block = invocation.block or invocation.action_name
        content = await invocation.render_block(block, value)
        return [event_of(HTML(content, target=invocation.target))]
    return _response_events(value, invocation)


def ready_events(value: Any) -> list[EventPair] | None:
    """The events of ``None`` or of one item, which need no iteration; ``None`` for the rest.

    ``normalise`` starts with it, and the consumer calls it first so the commonest reply
    (one item) costs no async generator.
    """
    if value is None:
        return []
    if isinstance(value, ActionItem):
        return [event_of(value)]
    return None


async def normalise(value: Any, invocation: Invocation | None = None) -> AsyncGenerator[EventPair, None]:
    """Yield the events of ``value`` in order; stop after a ``redirect`` and close the source.

    Raises ``UnsupportedReturn`` for a value that is not an item (the runtime answers 500),
    ``ProtocolError`` for an error response, ``TypeError`` for ``str``/``dict``/``HttpResponse``
    without an invocation.
    """
    ready = ready_events(value)
    if ready is not None:
        for pair in ready:
            yield pair
        return
    if isinstance(value, (list, tuple, Actions)):
        for item in iter_flat(value):
            pair = event_of(_check_item(item))
            yield pair
            if pair[0] == EventName.REDIRECT:
                return
        return
    if inspect.isgenerator(value):
        value = _inline(value)
    if isinstance(value, AsyncIterator):
        try:
            async for item in value:
                for pair in _stream_element_events(item):
                    yield pair
                    if pair[0] == EventName.REDIRECT:
                        return
        finally:
            aclose = getattr(value, "aclose", None)
            if aclose is not None:
                await aclose()
        return
    for pair in await _single_value_events(value, invocation):
        yield pair


def _stream_element_events(item: Any) -> list[EventPair]:
    """A stream yields items, or lists/``Actions`` of items."""
    if isinstance(item, ActionItem):
        return [event_of(item)]
    if isinstance(item, (list, tuple, Actions)):
        return [event_of(_check_item(i)) for i in iter_flat(item)]
    if item is None:
        return []
    raise UnsupportedReturn(f"a stream yielded {_describe(item)}, not an action item")


async def _inline(generator: Generator[Any, Any, Any]) -> AsyncGenerator[Any, None]:
    """A sync generator stepped on the event loop: for broadcasts, whose caller owns it.

    Replies never come here: the consumer runs sync generators in a thread first.
    """
    try:
        for item in generator:
            yield item
    finally:
        generator.close()


async def close_source(result: Any) -> None:
    """Close a generator an action returned, even if it was never iterated (cancelled early)."""
    aclose = getattr(result, "aclose", None)
    if aclose is not None:
        await aclose()
        return
    close = getattr(result, "close", None)
    if inspect.isgenerator(result) and close is not None:
        close()
