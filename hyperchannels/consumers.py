"""``HyperConsumer``: one WebSocket, many concurrent action invocations, pushes from groups."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Iterable
from contextlib import aclosing
from types import MethodType
from typing import Any, ClassVar

from channels.consumer import get_handler_name
from channels.exceptions import AcceptConnection, DenyConnection, StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from . import protocol
from .actions import action_name, collect_actions
from .binding import Binder, binder_for
from .bridge import iterate_in_thread, run_sync
from .broadcast import PUSH_MESSAGE_TYPE, user_group
from .conf import get_setting
from .encoding import encode_end, encode_error, encode_frame
from .exceptions import ProtocolError, UnsupportedReturn, error_of
from .frames import ActionFrame, CancelFrame, FrameError, StreamFrame, parse_frame
from .layerlink import LayerLink
from .normalise import Invocation, close_source, normalise, ready_events
from .origin import origin_allowed
from .protocol import EventName
from .relays import relays_for
from .request import build_request
from .streams import unsign_stream
from .types import EventPair, Receive, Scope, Send

logger = logging.getLogger("hyperchannels")

ORIGIN_REFUSED_CLOSE_CODE = 4403
CONNECT_FAILED_CLOSE_CODE = 1011


class HyperConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]
    """Serve ``@action`` methods to one browser socket (SPEC 2.4, 3).

    Subclass it, mark methods with ``@action``, optionally set ``template_name`` (for dict
    returns) and override ``get_groups``.
    """

    template_name: ClassVar[str | None] = None
    hyper_actions: ClassVar[dict[str, str]] = {}
    """Runtime action name -> attribute name, built for each subclass."""
    hyper_action_conflicts: ClassVar[list[str]] = []
    """Action names that two methods of one class claim (reported by a system check)."""

    request: HttpRequest
    _plain_send: ClassVar[bool] = True
    _plain_dispatch: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.hyper_actions, cls.hyper_action_conflicts = collect_actions(cls)
        # Frames skip Channels' send()/dispatch() wrappers unless a subclass overrides them.
        cls._plain_send = cls.send is AsyncWebsocketConsumer.send
        cls._plain_dispatch = cls.dispatch is HyperConsumer.dispatch

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._running: dict[str, asyncio.Task[None]] = {}
        self._joined: set[str] = set()
        self._streams: set[str] = set()
        self._closed = False
        self._accepted = asyncio.Event()
        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    # Actions ------------------------------------------------------------------------------

    def get_action(self, name: str) -> MethodType | None:
        """The bound ``@action`` method called ``name``, or ``None``; nothing else is reachable."""
        attribute = self.hyper_actions.get(name)
        if attribute is None:
            return None
        method = getattr(self, attribute, None)
        if isinstance(method, MethodType) and action_name(method.__func__) == name:
            return method
        return None

    def render_block(self, block_name: str, context: dict[str, Any]) -> str:
        """Render one ``{% block %}`` of ``template_name`` with the socket's request."""
        from render_block import render_block_to_string

        if not self.template_name:
            raise ImproperlyConfigured(f"{type(self).__qualname__} returned a dict but has no template_name")
        return str(render_block_to_string(self.template_name, block_name, context, self.request))

    async def _render_block_off_loop(self, block_name: str, context: dict[str, Any]) -> str:
        return await run_sync(self.render_block, block_name, context)

    # Groups -------------------------------------------------------------------------------

    def get_groups(self) -> Iterable[str]:
        """Groups this socket joins on connect (may be ``async``); none by default."""
        return []

    async def _server_groups(self) -> list[str]:
        groups: Any = self.get_groups
        if inspect.iscoroutinefunction(groups):
            chosen = await groups()
        else:
            chosen = await run_sync(groups)
        names = list(chosen or [])
        user = self.scope.get("user")
        if get_setting("USER_GROUPS") and user is not None and user.is_authenticated:
            names.append(user_group(user))
        return names

    async def join_groups(self) -> None:
        """Join ``get_groups()`` and the user's group; called by ``connect`` before accepting."""
        names = await self._server_groups()
        if names and self.channel_layer is None:
            raise ImproperlyConfigured("HyperConsumer groups need CHANNEL_LAYERS to be configured")
        for name in names:
            await relays_for(self.channel_layer).join(name, self)
            self._joined.add(name)

    async def _leave_groups(self) -> None:
        if self.channel_layer is None:
            return
        relays = relays_for(self.channel_layer)
        for name in self._joined | self._streams:
            await relays.leave(name, self)

    def relay_deliver(self, message: dict[str, Any]) -> None:
        """Take a message of one of this socket's groups, from the process's relay of that group.

        It never waits: the message joins this socket's own inbox, so a socket that is slow to
        take it (or a handler that awaits) delays no other member of the group.
        """
        if not self._closed:
            self._inbox.put_nowait(message)

    # Channels plumbing --------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Unlike Channels' __call__, client frames and layer messages each get a loop of their
        # own (no task and no asyncio.wait per message), and layer messages come through a
        # LayerLink, so an outage of the layer (Redis down) doesn't close the socket.
        self.scope = scope
        self.base_send = send
        self._client_receive = receive
        self._ended = asyncio.get_running_loop().create_future()
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        loops: list[asyncio.Task[None]] = []
        if self.channel_layer is not None:
            self.channel_name = await self.channel_layer.new_channel()
            link = LayerLink(self.channel_layer, self.channel_name, lambda: ())
            self.channel_receive = link.receive
            loops.append(asyncio.create_task(self._receive_layer(link.receive)))
            loops.append(asyncio.create_task(self._dispatch_inbox()))
        self._reader = asyncio.create_task(self._read_client())
        try:
            await self._ended
        finally:
            tasks = [self._reader, *self._running.values(), *loops]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _read_client(self) -> None:
        """Dispatch client messages in order, until an invocation takes this task over.

        The task that reads an action frame runs the invocation itself, at once; if the
        invocation waits, a new task of this loop reads on (``_start_action``). So an action
        starts without a turn of the event loop, one that never waits costs no task, and a
        slow one never holds up the frames after it.
        """
        me = asyncio.current_task()
        try:
            while self._reader is me:
                message = await self._client_receive()
                if self._plain_dispatch and message["type"] == "websocket.receive":
                    await self.websocket_receive(message)
                else:
                    await self.dispatch(message)
        except StopConsumer:
            self._end(None)
        except Exception as exc:
            self._end(exc)

    def _end(self, error: BaseException | None) -> None:
        if self._ended.done():
            return
        if error is None:
            self._ended.set_result(None)
        else:
            self._ended.set_exception(error)

    async def _receive_layer(self, receive: Receive) -> None:
        """Messages sent to this socket's own channel join its inbox."""
        while True:
            self._inbox.put_nowait(await receive())

    async def _dispatch_inbox(self) -> None:
        """Layer and group messages in order, once the socket is accepted (nothing may be sent
        before that); a handler that awaits delays only this socket."""
        await self._accepted.wait()
        while True:
            message = await self._inbox.get()
            try:
                await self.dispatch(message)
            except Exception:
                logger.exception(
                    "%s could not handle a layer message of type %r",
                    type(self).__qualname__,
                    message.get("type"),
                )

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        await super().accept(subprotocol, headers)
        self._accepted.set()

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Unlike Channels' dispatch, no hop to a thread per message: database hygiene is
        # done around sync user code in the bridge, where the database is actually used.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        self.request = build_request(self.scope, self)
        if not origin_allowed(self.scope):
            logger.warning("Refused a socket from a foreign Origin on %s", self.scope.get("path"))
            await self.close(ORIGIN_REFUSED_CLOSE_CODE)
            return
        try:
            await self.connect()
        except AcceptConnection:
            await self.accept()
        except DenyConnection:
            await self.close()
        except Exception:
            # e.g. the layer is down and the groups can't be joined: refuse this socket only.
            logger.exception(
                "%s could not open a socket on %s", type(self).__qualname__, self.scope.get("path")
            )
            await self.close(CONNECT_FAILED_CLOSE_CODE)

    async def connect(self) -> None:
        """Join the groups, then accept; override to refuse (``close()``) or add checks."""
        await self.join_groups()
        await self.accept()

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        self._closed = True
        running = list(self._running.values())
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
        await self._leave_groups()
        await self.disconnect(message.get("code", 1000))
        raise StopConsumer()

    async def hyper_push(self, message: dict[str, Any]) -> None:
        """Forward a broadcast's pre-encoded frames, unless this socket is the excluded one."""
        if message.get("exclude") == self.channel_name or self._closed:
            return
        for text in message["frames"]:
            await self._send_text(text)

    # Wire protocol ------------------------------------------------------------------------

    async def websocket_receive(self, message: dict[str, Any]) -> None:
        try:
            frame = parse_frame(message.get("text"), int(get_setting("MAX_FRAME_BYTES")))
            if isinstance(frame, ActionFrame):
                await self._start_action(frame)
            elif isinstance(frame, CancelFrame):
                self._cancel(frame.id)
            else:
                await self._stream_frame(frame)
        except FrameError as exc:
            await self._send_error(exc.status, exc.message, exc.id)

    async def _start_action(self, frame: ActionFrame) -> None:
        if frame.id in self._running:
            raise FrameError(409, protocol.message("conflict"))
        if len(self._running) >= int(get_setting("MAX_CONCURRENT_ACTIONS")):
            raise FrameError(429, protocol.message("too_many"), frame.id)
        method = self.get_action(frame.name)
        if method is None:
            raise FrameError(404, "Unknown action", frame.id)
        binder = binder_for(method.__func__)
        try:
            kwargs = binder.bind(frame.data)
        except ProtocolError as exc:
            raise FrameError(exc.status, exc.message, frame.id) from None
        this_task = asyncio.current_task()
        assert this_task is not None
        # Runs only if the invocation waits (the loop gets a turn): then a new task reads on.
        hand_over = asyncio.get_running_loop().call_soon(self._hand_over_reading, this_task)
        self._running[frame.id] = this_task
        try:
            await self._invoke(frame, method, binder, kwargs)
        finally:
            hand_over.cancel()  # it never waited: this task reads on
            del self._running[frame.id]

    def _hand_over_reading(self, invocation_task: asyncio.Task[Any]) -> None:
        if self._reader is invocation_task:
            self._reader = asyncio.create_task(self._read_client())

    def _cancel(self, invocation_id: str) -> None:
        task = self._running.get(invocation_id)
        if task is not None:
            task.cancel()

    async def _call(self, method: MethodType, binder: Binder, kwargs: dict[str, Any]) -> Any:
        if binder.is_coroutine:
            return await method(self.request, **kwargs)
        if binder.is_generator:
            result = method(self.request, **kwargs)  # creating a generator runs none of it
        else:
            result = await run_sync(method, self.request, **kwargs)
        if inspect.isgenerator(result):
            return iterate_in_thread(result)
        return result

    async def _invoke(
        self, frame: ActionFrame, method: MethodType, binder: Binder, kwargs: dict[str, Any]
    ) -> None:
        """Run one invocation and send its events, then its terminal frame (or an error)."""
        last_event: str | None = None
        result: Any = None
        ready: list[EventPair] | None = []
        try:
            result = await self._call(method, binder, kwargs)
            ready = ready_events(result)
            if ready is not None:
                for event, data in ready:
                    await self._send_text(encode_frame(event, data, frame.id))
                    last_event = event
            else:
                invocation = Invocation(frame.name, frame.target, frame.block, self._render_block_off_loop)
                async with aclosing(normalise(result, invocation)) as events:
                    async for event, data in events:
                        await self._send_text(encode_frame(event, data, frame.id))
                        last_event = event
            if last_event != EventName.REDIRECT:  # a redirect ends the invocation itself
                await self._send_text(encode_end(frame.id))
        except asyncio.CancelledError:
            await self._send_error(499, protocol.message("cancelled"), frame.id)
        except Exception as exc:
            known = error_of(exc)
            if known is not None:
                await self._send_error(*known, frame.id)
                return
            if isinstance(exc, UnsupportedReturn):
                logger.error("Action %r of %s: %s", frame.name, type(self).__qualname__, exc)
            else:
                logger.exception("Action %r of %s failed", frame.name, type(self).__qualname__)
            await self._send_error(500, protocol.message("server_error"), frame.id)
        finally:
            if ready is None:  # a stream or a value that needed normalising
                await close_source(result)

    async def _stream_frame(self, frame: StreamFrame) -> None:
        try:
            group = unsign_stream(frame.stream)
        except signing.BadSignature:
            raise FrameError(403, "Invalid stream token", frame.id) from None
        if self.channel_layer is None:
            logger.error("%s got a stream frame but no channel layer is set", type(self).__qualname__)
            raise FrameError(500, protocol.message("server_error"), frame.id)
        relays = relays_for(self.channel_layer)
        if frame.type == "subscribe":
            await relays.join(group, self)
            self._streams.add(group)
        elif group in self._streams:
            self._streams.discard(group)
            if group not in self._joined:
                await relays.leave(group, self)
        await self._send_text(encode_end(frame.id))

    async def _send_text(self, text: str) -> None:
        if self._closed:
            return
        if self._plain_send:
            await self.base_send({"type": "websocket.send", "text": text})
        else:
            await self.send(text_data=text)

    async def _send_error(self, status: int, message: str, invocation_id: str | None) -> None:
        await self._send_text(encode_error(status, message, invocation_id))


# The layer message type and its handler name must agree.
assert get_handler_name({"type": PUSH_MESSAGE_TYPE}) == HyperConsumer.hyper_push.__name__
