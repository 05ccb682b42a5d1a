"""One invocation: a client's ``action`` frame run to its terminal frame.

This module owns the call (async, sync in a worker thread, generators), turning what the
action returned into events (docs/actions.md, "Return shapes"), the terminal rule (``end``,
``redirect`` or ``error``; nothing after a redirect), the mapping from exceptions to error
statuses (docs/protocol.md, "Errors") and closing the action's generator. Broadcasts share
the same loop (``emit``) without an invocation to draw on.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBase

from . import encoding, protocol
from .binding import Binder
from .bridge import SocketThreads
from .exceptions import ProtocolError, UnsupportedReturn
from .items import HTML, ActionItem, Actions, Redirect, iter_flat
from .protocol import EventName, Status
from .types import EventPair, RenderBlock

logger = logging.getLogger("hyperchannels")

_REDIRECT = EventName.REDIRECT
"""Read for every event: a module global reads in a third of an enum member's time (3.11)."""

SendText = Callable[[str], Awaitable[None]]
"""Sends one encoded frame (the socket's send, or a broadcast's collector)."""


@dataclass(slots=True)
class ReplyContext:
    """What a reply may draw on that a broadcast has not: the frame's ``target`` and
    ``block``, the action's name, and the consumer's template (for ``str``, ``dict`` and
    ``HttpResponse`` returns).

    One is made per action frame and never changed; not ``frozen``, whose ``__init__``
    costs three times as much."""

    action_name: str
    target: str | None
    block: str | None
    render_block: RenderBlock


def error_of(exc: BaseException) -> tuple[int, str] | None:
    """Status and message of an exception the application raised on purpose, else ``None``.

    Messages of ``PermissionDenied``, ``Http404`` and ``ValidationError`` were written for the
    user, so they are sent; every other exception is a 500 whose text stays in the log.
    """
    if isinstance(exc, ProtocolError):
        return exc.status, exc.message
    if isinstance(exc, PermissionDenied):
        return Status.FORBIDDEN, str(exc) or protocol.message("forbidden")
    if isinstance(exc, Http404):
        return Status.NOT_FOUND, str(exc) or protocol.message("not_found")
    if isinstance(exc, ValidationError):
        return Status.BAD_REQUEST, "; ".join(str(m) for m in exc.messages) or protocol.message("invalid_data")
    return None


# Normalising: return value -> events ----------------------------------------------------


def _describe(value: object) -> str:
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


def _check_item(value: object) -> ActionItem:
    if isinstance(value, ActionItem):
        return value
    raise UnsupportedReturn(f"expected an action item, got {_describe(value)}")


def _response_events(response: HttpResponseBase, context: ReplyContext) -> list[EventPair]:
    status = response.status_code
    if 300 <= status < 400 and response.has_header("Location"):
        return [Redirect(response["Location"]).to_event()]
    if status == 204:
        return []
    if 200 <= status < 300:
        if not isinstance(response, HttpResponse):
            raise UnsupportedReturn(f"streaming responses are not supported: {_describe(response)}")
        content = response.content.decode(response.charset or "utf-8")
        return [HTML(content, target=context.target).to_event()]
    if 400 <= status < 500:
        raise ProtocolError(status, protocol.known_message(status) or response.reason_phrase)
    if status >= 500:
        raise ProtocolError(status, protocol.message("server_error"))
    raise UnsupportedReturn(f"unsupported response status {status}")


async def _single_value_events(value: Any, context: ReplyContext | None) -> list[EventPair]:
    """Events of a return value that is not a stream of items."""
    if not isinstance(value, (str, dict, HttpResponseBase)):
        raise UnsupportedReturn(f"unsupported return type {_describe(value)}")
    if context is None:
        raise TypeError(
            f"a broadcast takes action items, not {type(value).__name__}: "
            "there is no invocation to take a target or template from"
        )
    if isinstance(value, str):
        return [HTML(value, target=context.target).to_event()]
    if isinstance(value, dict):
        block = context.block or context.action_name
        content = await context.render_block(block, value)
        return [HTML(content, target=context.target).to_event()]
    return _response_events(value, context)


def ready_events(value: Any) -> list[EventPair] | None:
    """The events of ``None`` or of one item, which need no iteration; ``None`` for the rest.

    ``Invocation.run`` tries it first so the commonest reply (one item) costs no async generator.
    """
    if value is None:
        return []
    if isinstance(value, ActionItem):
        return [value.to_event()]
    return None


def _stream_element_events(item: Any) -> list[EventPair]:
    """A stream yields items, or lists/``Actions`` of items."""
    if isinstance(item, ActionItem):
        return [item.to_event()]
    if isinstance(item, (list, tuple, Actions)):
        return [_check_item(i).to_event() for i in iter_flat(item)]
    if item is None:
        return []
    raise UnsupportedReturn(f"a stream yielded {_describe(item)}, not an action item")


async def _inline(generator: Generator[Any, Any, Any]) -> AsyncGenerator[Any, None]:
    """A sync generator stepped on the event loop: for broadcasts, whose caller owns it.

    Replies never come here: an invocation runs sync generators in a worker thread.
    """
    try:
        for item in generator:
            yield item
    finally:
        generator.close()


async def normalise(value: Any, context: ReplyContext | None = None) -> AsyncGenerator[EventPair, None]:
    """Yield the events of ``value`` in order, as they are produced; close a stream source.

    Raises ``UnsupportedReturn`` for a value that is not an item (the runtime answers 500),
    ``ProtocolError`` for an error response, ``TypeError`` for ``str``/``dict``/``HttpResponse``
    without a reply context. ``emit`` stops it after a ``redirect``.
    """
    ready = ready_events(value)
    if ready is not None:
        for pair in ready:
            yield pair
        return
    if isinstance(value, (list, tuple, Actions)):
        for item in iter_flat(value):
            yield _check_item(item).to_event()
        return
    if inspect.isgenerator(value):
        value = _inline(value)
    if isinstance(value, AsyncIterator):
        try:
            async for item in value:
                for pair in _stream_element_events(item):
                    yield pair
        finally:
            await close_source(value)
        return
    for pair in await _single_value_events(value, context):
        yield pair


async def close_source(result: Any) -> None:
    """Close a generator an action returned, even one never iterated (cancelled early)."""
    aclose = getattr(result, "aclose", None)
    if aclose is not None:
        await aclose()
    elif inspect.isgenerator(result):
        result.close()


async def emit(value: Any, context: ReplyContext | None, id: str | None, send: SendText) -> bool:
    """Normalise ``value``, encode each event as a frame (a reply of ``id``, or a push) and
    ``send`` it, stopping after a ``redirect``; returns whether a redirect ended it.

    The one loop of replies and broadcasts. Encoding errors (``ValueError``/``TypeError``)
    propagate before the frame is sent.
    """
    events = normalise(value, context)
    try:
        async for event, data in events:
            await send(encoding.encode_frame(event, data, id))
            if event == EventName.REDIRECT:  # terminal: nothing after it is delivered
                return True
        return False
    finally:
        await events.aclose()


# Running one invocation -------------------------------------------------------------------


async def answer(id: str, work: Awaitable[dict[str, Any]], send: SendText, owner: str) -> None:
    """End a protocol frame's work (``subscribe``, ``resume``): ``end`` with the data ``work``
    returns, or its ``error`` (499 when cancelled, 500 with details only in the log)."""
    try:
        data = await work
        await send(encoding.encode_frame(EventName.END, data, id))
    except asyncio.CancelledError:
        await send(encoding.encode_error(Status.CANCELLED, protocol.message("cancelled"), id))
    except Exception as exc:
        known = error_of(exc)
        if known is None:
            logger.exception("%s could not answer frame %r", owner, id)
            known = (Status.SERVER_ERROR, protocol.message("server_error"))
        await send(encoding.encode_error(*known, id))


class Invocation:
    """One ``action`` frame's call of its method, sent as events and one terminal frame."""

    __slots__ = ("id", "context", "method", "binder", "kwargs", "request", "threads", "send", "owner")

    def __init__(
        self,
        id: str,
        context: ReplyContext,
        method: Callable[..., Any],
        binder: Binder,
        kwargs: dict[str, Any],
        request: Any,
        threads: SocketThreads,
        send: SendText,
        owner: str,
    ) -> None:
        self.id = id
        self.context = context
        self.method = method
        self.binder = binder
        self.kwargs = kwargs
        self.request = request
        self.threads = threads
        self.send = send
        self.owner = owner
        """The consumer class's name, for log records."""

    async def _call_sync(self) -> Any:
        if self.binder.is_generator:
            result = self.method(self.request, **self.kwargs)  # creating a generator runs none of it
        else:
            result = await self.threads.run(self.method, self.request, **self.kwargs)
        if inspect.isgenerator(result):
            return self.threads.iterate(result)
        return result

    async def run(self) -> None:
        """Call, send every event, then ``end`` (unless a redirect ended it) or one ``error``.

        Cancelling the task that runs it ends it with ``error`` 499 and closes the action's
        generator.
        """
        result: Any = None
        try:
            if self.binder.is_coroutine:
                result = await self.method(self.request, **self.kwargs)
            else:
                result = await self._call_sync()
            ready = ready_events(result)
            if ready is None:
                redirected = await emit(result, self.context, self.id, self.send)
            else:  # None or one item (the commonest reply): no async generator needed
                redirected = False
                for event, data in ready:
                    await self.send(encoding.encode_frame(event, data, self.id))
                    if event == _REDIRECT:
                        redirected = True
                        break
            if not redirected:
                await self.send(encoding.encode_end(self.id))
        except asyncio.CancelledError:
            await self._error(Status.CANCELLED, protocol.message("cancelled"))
        except Exception as exc:
            known = error_of(exc)
            if known is not None:
                await self._error(*known)
                return
            if isinstance(exc, UnsupportedReturn):
                logger.error("Action %r of %s: %s", self.context.action_name, self.owner, exc)
            else:
                logger.exception("Action %r of %s failed", self.context.action_name, self.owner)
            await self._error(Status.SERVER_ERROR, protocol.message("server_error"))
        finally:
            if result is not None and not isinstance(result, ActionItem):
                await close_source(result)  # a generator, perhaps never iterated (cancelled)

    async def _error(self, status: int, message: str) -> None:
        await self.send(encoding.encode_error(status, message, self.id))
