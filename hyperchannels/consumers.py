"""``HyperConsumer``: one WebSocket, many concurrent action invocations, pushes from groups.

The consumer owns the socket: its state, admission of client frames (404, 409, 429, binding),
the bookkeeping of running invocations and the inline start of each one. Running an
invocation is ``invocation``'s; which groups the socket is in is ``membership``'s.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Coroutine, Iterable
from types import MethodType
from typing import Any, ClassVar

from channels.consumer import get_handler_name
from channels.exceptions import AcceptConnection, DenyConnection, StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from . import answers, control, encoding, protocol, servers, shutdown
from .actions import Registry, collect_actions
from .bridge import SocketThreads
from .conf import get_setting
from .exceptions import FrameError, ProtocolError
from .frames import ActionFrame, CancelFrame, PingFrame, ResumeFrame, parse_frame
from .groups import POSITION_MESSAGE_TYPE, PUSH_MESSAGE_TYPE
from .inbox import Inbox
from .invocation import Invocation, ReplyContext
from .layerlink import LayerLink, cancel_and_wait, open_channel, recancel_seconds
from .membership import Membership, server_groups
from .origin import origin_allowed
from .outbox import Outbox
from .protocol import CloseCode, ConnectionState, Status
from .recovery import SocketRecovery
from .request import build_request
from .running import Running
from .tracking import PRESENCE_MESSAGE_TYPE, SocketTracking
from .types import Receive, Scope, Send

logger = logging.getLogger("hyperchannels")

_OPEN = ConnectionState.OPEN
"""Every frame checks it: a module global reads in a third of an enum member's time (3.11)."""


class HyperConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]
    """Serve ``@action`` methods to one browser socket (docs/actions.md, docs/protocol.md).

    Subclass it, mark methods with ``@action``, optionally set ``template_name`` (for dict
    returns), ``groups`` and override ``get_groups``.
    """

    template_name: ClassVar[str | None] = None
    hyper_actions: ClassVar[Registry] = Registry({}, {}, [])
    """This class's actions, built when the class is defined (``actions.collect_actions``)."""

    request: HttpRequest
    state: ConnectionState = ConnectionState.CONNECTING
    connect_called: bool | None = None
    """Whether ``connect()`` was called: ``False`` for a socket refused for its Origin or whose
    client left before it (then ``disconnect()`` isn't called either); ``None`` when a
    subclass's ``websocket_connect`` never calls this one's."""
    _plain_send: ClassVar[bool] = True
    _plain_dispatch: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.hyper_actions = collect_actions(cls, reserved=_RESERVED)
        if "receive" in vars(cls):
            raise ImproperlyConfigured(
                f"{cls.__module__}.{cls.__qualname__} overrides receive(), which a HyperConsumer never "
                "calls: it reads every frame itself. Mark methods with @action instead."
            )
        # Frames skip Channels' send()/dispatch() wrappers unless a subclass overrides them.
        cls._plain_send = cls.send is AsyncWebsocketConsumer.send
        cls._plain_dispatch = cls.dispatch is HyperConsumer.dispatch

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.running = Running(self._hand_over_reading)
        """This socket's running invocations (and subscribe/resume frames), by id."""
        self.threads = SocketThreads(int(get_setting("SYNC_THREADS_PER_SOCKET")))
        """This socket's share of the worker threads for sync user code."""

    # Actions ------------------------------------------------------------------------------

    def get_action(self, name: str) -> MethodType | None:
        """The bound ``@action`` method called ``name``, or ``None``; nothing else is reachable."""
        attribute = self.hyper_actions.attributes.get(name)
        if attribute is None:
            return None
        method = getattr(self, attribute, None)
        if isinstance(method, MethodType) and method.__func__ is getattr(type(self), attribute, None):
            return method
        return None

    def render_block(self, block_name: str, context: dict[str, Any]) -> str:
        """Render one ``{% block %}`` of ``template_name`` with the socket's request."""
        from render_block import render_block_to_string

        if not self.template_name:
            raise ImproperlyConfigured(f"{type(self).__qualname__} returned a dict but has no template_name")
        return str(render_block_to_string(self.template_name, block_name, context, self.request))

    async def _render_block_off_loop(self, block_name: str, context: dict[str, Any]) -> str:
        return await self.threads.run(self.render_block, block_name, context)

    # Groups -------------------------------------------------------------------------------

    def get_groups(self) -> Iterable[str]:
        """Groups this socket joins on connect, besides ``groups`` (may be ``async``)."""
        return []

    def relay_deliver(self, message: dict[str, Any]) -> None:
        """Take a message of one of this socket's groups from the process's relay; never waits
        (``inbox``): a slow socket delays no other member of the group."""
        if self.state is ConnectionState.CONNECTING or self.state is ConnectionState.OPEN:
            self.inbox.put(message)

    # Channels plumbing --------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Unlike Channels' __call__, client frames and layer messages each get a loop of their
        # own (no task and no asyncio.wait per message), and layer messages come through a
        # LayerLink, so an outage of the layer (Redis down) doesn't close the socket.
        self.scope = scope
        self.base_send = send
        self._client_receive = receive
        self.outbox = Outbox(send, int(get_setting("MAX_BUFFERED_BYTES")), self._too_slow)
        self.inbox = Inbox(self.outbox, self._route, type(self).__qualname__)
        self._bucket = control.new_bucket()
        self._ended = asyncio.get_running_loop().create_future()
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.membership = Membership(self, self.channel_layer)
        self.recovery = SocketRecovery(
            self.channel_layer,
            self.send_frame,
            self._run_resync,
            ReplyContext("resync", None, None, self._render_block_off_loop),
        )
        self.tracking = SocketTracking(self, self.send_frame)
        self._loops: list[asyncio.Task[None]] = []
        self.handshake: asyncio.Task[None] | None = asyncio.create_task(self._open())
        self.reader = self.handshake
        try:
            await self._ended
        except asyncio.CancelledError:
            if not await shutdown.server_stopping(self):  # daphne shutting down: 1012 first
                raise
        except Exception:
            # The application failed and the server closes the socket (1011): the socket's end
            # still lets go of its groups and presence (else its process keeps it present).
            await shutdown.end(self, CloseCode.CONNECT_FAILED)
            raise
        finally:
            recancel = recancel_seconds(self.channel_layer)
            tasks = [self.handshake, self.reader, *self._loops]
            await cancel_and_wait(tasks, shutdown.cancel_wait_seconds(), recancel)
            self.running.detach()

    async def _open(self) -> None:
        """The socket's first task: reads ``websocket.connect`` and runs the handshake while a
        reader task reads on (``_read_client``).

        The only message that can come before the accept is the client leaving (``websocket.
        disconnect``): then the handshake is cancelled wherever it waits (``connect()``, the
        group joins, the positions read; a layer channel still being opened is given back once
        open, ``layerlink.open_channel``) instead of finishing for nobody. Under a reconnect
        storm that work is most of the server's (docs/deploy.md, "Many sockets per process").
        """
        try:
            message = await self._client_receive()
            self.reader = asyncio.create_task(self._read_client(asyncio.current_task()))
            await self.dispatch(message)
        except StopConsumer:
            self._end(None)
        except Exception as exc:
            self._end(exc)
        finally:
            self.handshake = None  # nothing to cancel any more; an idle socket keeps no done task

    async def _open_channel(self) -> None:
        """This socket's own channel on the layer (Channels' ``channel_name``) and the loops
        that take its messages into the inbox."""
        if self.channel_layer is None:
            return
        self.channel_name = await open_channel(self.channel_layer)
        link = LayerLink(self.channel_layer, self.channel_name, lambda: ())
        self.channel_receive = link.receive
        self._loops.append(asyncio.create_task(self._receive_layer(link.receive)))
        self._loops.append(asyncio.create_task(self.inbox.run()))

    async def _read_client(self, handshake: asyncio.Task[None] | None = None) -> None:
        """Dispatch client messages in order, until an invocation takes this task over.

        The task that reads an action frame runs the invocation itself, at once; if the
        invocation waits, a new task of this loop reads on (``Running.run``). So an action
        starts without a turn of the event loop, one that never waits costs no task, and a
        slow one never holds up the frames after it. The first reader reads while the
        ``handshake`` runs: its first message waits for the handshake's end, and cancels it
        if the client has left.
        """
        me = asyncio.current_task()
        try:
            if handshake is not None:
                message = await self._client_receive()
                if not handshake.done():
                    if message["type"] == "websocket.disconnect":
                        handshake.cancel()
                    await asyncio.wait([handshake])
                await self.dispatch(message)
            while self.reader is me:
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
            self.inbox.put(await receive())

    async def _route(self, message: dict[str, Any]) -> None:
        """One layer message: a push, a group's position, presence, or a handler's (Channels)."""
        kind = message.get("type")
        if kind == PUSH_MESSAGE_TYPE:
            if "group" in message and message["group"] not in self.membership.groups:
                return  # revoked or unsubscribed while this push waited
            await self.recovery.push(message, message.get("exclude") == self.channel_name)
        elif kind == POSITION_MESSAGE_TYPE:
            await self.recovery.position_message(message)
        elif kind == PRESENCE_MESSAGE_TYPE:
            await self.tracking.deliver(message)
        else:
            await self.dispatch(message)

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        """Join the groups the server chose (``groups``, ``get_groups()``, the user's group),
        then accept: however ``connect()`` accepts, the socket is in its groups first."""
        if self.state is ConnectionState.CONNECTING:
            await self.membership.join(await server_groups(self, HyperConsumer.get_groups))
        await super().accept(subprotocol, headers)
        if self.state is ConnectionState.CONNECTING:
            self.state = ConnectionState.OPEN
            await self.recovery.announce(sorted(self.membership.groups))
            self.inbox.open()

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        """Close the socket (``code``: a WebSocket close code); nothing is sent after it."""
        if isinstance(code, int) and not isinstance(code, bool):
            code = int(code)  # servers check for a plain int (autobahn refuses an IntEnum)
        if not servers.close_directly(self.base_send, code if isinstance(code, int) else None, reason):
            await super().close(code, reason)
        if self.state is ConnectionState.OPEN:
            self.state = ConnectionState.CLOSING

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Unlike Channels' dispatch, no hop to a thread per message: database hygiene is
        # done around sync user code in the bridge, where the database is actually used.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        self.connect_called = False
        self.request = build_request(self.scope, self)
        if not origin_allowed(self.scope):
            logger.warning("Refused a socket from a foreign Origin on %s", self.scope.get("path"))
            await self.close(CloseCode.ORIGIN_REFUSED)
            return
        try:
            await self._open_channel()
            self.connect_called = True
            await self.connect()
        except AcceptConnection:
            await self.accept()
        except DenyConnection:
            await self.close()
        except Exception as exc:
            # e.g. the layer is down and the groups can't be joined: refuse this socket only.
            path, owner = self.scope.get("path"), type(self).__qualname__
            if not servers.client_gone(exc, owner, path):
                logger.exception("%s could not open a socket on %s", owner, path)
                await self.close(CloseCode.CONNECT_FAILED)

    async def connect(self) -> None:
        """Accept the socket (joining its groups); override to refuse, or to set state first."""
        await self.accept()

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        await shutdown.end(self, int(message.get("code", CloseCode.NORMAL)))
        raise StopConsumer()

    # Presence (docs/presence.md) ------------------------------------------------------------

    async def track(
        self, group: str, meta: dict[str, Any] | None = None, key: str | int | None = None
    ) -> None:
        """Be present in ``group`` (one this socket joined) under ``key`` (default: the user's
        pk, or this socket for an anonymous one) with ``meta``; this socket then gets the
        group's ``presence_state`` and its ``presence_diff`` pushes. Ends when the socket closes."""
        await self.tracking.track(group, meta, key)

    async def update_presence(self, group: str, meta: dict[str, Any] | None) -> None:
        """Replace this socket's meta in ``group``: the others see an update, no leave or join."""
        await self.tracking.update(group, meta)

    async def untrack(self, group: str) -> None:
        """Stop being present in ``group`` (the key leaves after ``PRESENCE_GRACE`` if it was its last)."""
        await self.tracking.untrack(group)

    async def resync(self, request: HttpRequest, group: str) -> Any:
        """Items that bring a page up to date on ``group`` when its missed pushes can't be
        replayed (docs/recovery.md); may be ``async``, a generator, or return ``None``.

        The default sends nothing: the page gets ``resync`` (``hyper:resync`` in the browser)
        and may reload. Override it to re-render what the group's pushes patch.
        """
        return None

    async def _run_resync(self, group: str) -> Any:
        hook: Any = self.resync
        if inspect.iscoroutinefunction(hook):
            return await hook(self.request, group)
        result = await self.threads.run(hook, self.request, group)
        return self.threads.iterate(result) if inspect.isgenerator(result) else result

    # Wire protocol ------------------------------------------------------------------------

    async def websocket_receive(self, message: dict[str, Any]) -> None:
        frame_id: str | None = None
        try:
            frame = parse_frame(message.get("text"), int(get_setting("MAX_FRAME_BYTES")))
            frame_id = frame.id
            if isinstance(frame, ActionFrame):
                work = self._admit_action(frame)
                if work is not None:
                    await work
            elif isinstance(frame, CancelFrame):
                self.running.cancel(frame.id)
            elif isinstance(frame, PingFrame):
                await self.send_frame(encoding.encode_end(frame.id))
            elif isinstance(frame, ResumeFrame):
                await answers.resume(self, frame)
            else:
                await answers.stream_frame(self, frame)
        except FrameError as exc:
            await self._send_error(exc.status, exc.message, exc.id)
            await asyncio.sleep(0)  # a flood of refused frames never holds the loop from other sockets
        except Exception:
            # Whatever fails while handling one frame ends that frame, never the socket.
            logger.exception("%s could not handle a frame", type(self).__qualname__)
            await self._send_error(Status.SERVER_ERROR, protocol.message("server_error"), frame_id)

    def _admit_action(self, frame: ActionFrame) -> Coroutine[Any, Any, None] | None:
        """The work of an action frame, to run in the task that read it (``Running.run``);
        ``FrameError`` when it is refused, ``None`` once the server closed the socket."""
        if self.state is not _OPEN:
            return None  # closed by the server (signed out...): nothing more runs
        spec = self.hyper_actions.specs.get(frame.name)
        control.admit_action(self._bucket, spec, self.scope.get("user"), frame.id)
        self.running.admit(frame.id, int(get_setting("MAX_CONCURRENT_ACTIONS")))
        method = self.get_action(frame.name)
        if method is None or spec is None:
            raise FrameError(Status.NOT_FOUND, "Unknown action", frame.id)
        binder = self.hyper_actions.binders[frame.name]
        try:
            kwargs = binder.bind(frame.data)
        except ProtocolError as exc:
            raise FrameError(exc.status, exc.message, frame.id) from None
        context = ReplyContext(frame.name, frame.target, frame.block, self._render_block_off_loop)
        invocation = Invocation(
            frame.id, context, method, binder, kwargs, self.request, self.threads, self.send_frame,
            type(self).__qualname__,
        )
        if spec.permissions:
            user = self.scope.get("user")
            work = control.run_permitted(spec, user, self.threads, frame.id, self._send_error, invocation.run)
            return self.running.run(frame.id, work)
        return self.running.run(frame.id, invocation.run())

    def _hand_over_reading(self, invocation_task: asyncio.Task[Any]) -> None:
        if self.reader is invocation_task:
            self.reader = asyncio.create_task(self._read_client())

    async def send_frame(self, text: str) -> None:
        """Send one encoded server frame (``encoding``), unless the socket is no longer open."""
        if self.state is not _OPEN:
            return
        if self._plain_send:
            await self.outbox.send(text)
        else:
            await self.send(text_data=text)

    async def _send_error(self, status: int, message: str, invocation_id: str | None) -> None:
        await self.send_frame(encoding.encode_error(status, message, invocation_id))

    # Closing and revoking (docs/security.md) ---------------------------------------------

    async def hyper_close(self, message: dict[str, Any]) -> None:
        """``close_group``/``close_user_sockets`` reached this socket: close it with the code."""
        await self.close_now(control.close_code(message))

    async def hyper_revoke(self, message: dict[str, Any]) -> None:
        """``revoke``: leave the group now (if this socket's user is the one named) and tell the page."""
        group = message.get("group")
        if not isinstance(group, str) or group not in self.membership.groups:
            return
        if control.revokes_me(message, self.scope.get("user")):
            await self.membership.revoke(group)
            await self.send_frame(control.revoked_frame(group))

    async def close_now(self, code: int) -> None:
        """Close with ``code`` at once: running invocations cancelled, queued frames dropped."""
        if self.state is not ConnectionState.OPEN:
            return
        self.running.detach()
        self.outbox.discard()
        self.inbox.clear()
        await self.close(code)

    def _too_slow(self) -> None:
        task = asyncio.get_running_loop().create_task(self.close_now(CloseCode.TOO_SLOW))
        self._closing = task  # keep a reference until it ran


_RESERVED: frozenset[str] = frozenset(name for klass in HyperConsumer.__mro__ for name in vars(klass))
"""Attribute names of the runtime and Channels: an ``@action`` method may not take one."""
