"""Django system checks for mistakes that would otherwise show only at run time."""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from . import redis_layer
from .conf import get_setting

logger = logging.getLogger("hyperchannels")


def _consumer_classes() -> list[type[Any]]:
    from .consumers import HyperConsumer

    found: list[type[Any]] = []
    pending = list(HyperConsumer.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


@register(Tags.compatibility)
def check_channel_layers(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Broadcasts, groups and streams need a channel layer."""
    if getattr(settings, "CHANNEL_LAYERS", None):
        return []
    return [
        Warning(
            "CHANNEL_LAYERS is not configured: hyperchannels groups, broadcasts and streams will not work.",
            hint='Set CHANNEL_LAYERS = {"default": {"BACKEND": '
            '"channels.layers.InMemoryChannelLayer"}} for one process, or channels_redis.',
            id="hyperchannels.W001",
        )
    ]


@register(Tags.compatibility)
def check_action_names(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Two methods of one consumer class may not claim the same action name."""
    errors: list[CheckMessage] = []
    for cls in _consumer_classes():
        for name in sorted(set(cls.hyper_actions.conflicts)):
            errors.append(
                Error(
                    f"{cls.__module__}.{cls.__qualname__} has two actions named {name!r}.",
                    hint='Give one of them another name with @action("...").',
                    obj=cls,
                    id="hyperchannels.E001",
                )
            )
    return errors


@register(Tags.compatibility)
def check_redis_socket_timeout(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn about a core Redis layer whose idle consumers would die every 5 s (see redis_layer)."""
    if redis_layer.redis_major() < 8:
        return []
    warnings: list[CheckMessage] = []
    for alias, entry in (getattr(settings, "CHANNEL_LAYERS", None) or {}).items():
        if entry.get("BACKEND") != redis_layer.CORE_BACKEND:
            continue
        hosts = (entry.get("CONFIG") or {}).get("hosts") or ["redis://localhost:6379"]
        if any(redis_layer.host_times_out_idle(host) for host in hosts):
            warnings.append(
                Warning(
                    f"CHANNEL_LAYERS[{alias!r}]: with redis-py 8 the default socket_timeout (5 s) equals "
                    "channels_redis' blocking receive, so idle sockets crash with TimeoutError.",
                    hint="Use hyperchannels.redis_layer.redis_channel_layer(url), or give each host a dict "
                    f"with a socket_timeout above {redis_layer.BLOCKING_RECEIVE_SECONDS} s (or None).",
                    id="hyperchannels.W002",
                )
            )
    return warnings


# Frame size limits (docs/limits.md) -------------------------------------------------------------

DAPHNE_DEFAULT_CAP = 1024 * 1024
"""daphne's default ``websocket_max_message_size`` and ``websocket_max_frame_size``, in bytes."""
UVICORN_DEFAULT_CAP = 16 * 1024 * 1024
"""uvicorn's default ``--ws-max-size`` (client messages only; it caps nothing it sends), in bytes."""


@dataclass(frozen=True)
class ServerCaps:
    """The WebSocket message sizes a server accepts and sends; 0 means no cap."""

    incoming: int
    outgoing: int
    source: str


def _in_daphne_cli() -> bool:
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name == "daphne.__main__":
        return True
    return "daphne.cli" in sys.modules and os.path.basename(sys.argv[0]) == "daphne"


def _in_uvicorn_cli() -> bool:
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name == "uvicorn.__main__":
        return True
    return "uvicorn.main" in sys.modules and os.path.basename(sys.argv[0]) == "uvicorn"


def uvicorn_caps() -> ServerCaps | None:
    """uvicorn's WebSocket caps in a uvicorn process (``uvicorn ...``/``python -m uvicorn ...``),
    from its ``--ws-max-size`` (or ``UVICORN_WS_MAX_SIZE``), else ``None``.

    uvicorn closes the socket with 1009 on a client message over the cap, with each of its
    WebSocket implementations, and sends messages of any size: it has no outgoing cap (0).
    uvicorn started from code (``uvicorn.run(..., ws_max_size=N)``) can't be known here.
    """
    if not _in_uvicorn_cli():
        return None
    value: str | None = os.environ.get("UVICORN_WS_MAX_SIZE")
    args = sys.argv[1:]
    for index, arg in enumerate(args):
        if arg == "--ws-max-size" and index + 1 < len(args):
            value = args[index + 1]
        elif arg.startswith("--ws-max-size="):
            value = arg.partition("=")[2]
    try:
        incoming = int(value) if value is not None else UVICORN_DEFAULT_CAP
    except ValueError:  # uvicorn refuses to start with it; this is only in case
        incoming = UVICORN_DEFAULT_CAP
    return ServerCaps(incoming, 0, "this uvicorn process (its --ws-max-size)")


def _smallest_cap(*caps: int) -> int:
    return min((cap for cap in caps if cap > 0), default=0)


def daphne_caps() -> ServerCaps | None:
    """daphne's WebSocket caps where they can be known, else ``None``.

    In a daphne process (``daphne ...`` or ``python -m daphne ...``) its command line tells.
    With ``"daphne"`` in ``INSTALLED_APPS``, ``manage.py runserver`` is daphne's and reads
    ``DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE``/``DAPHNE_WEBSOCKET_MAX_FRAME_SIZE``; how production
    is started (flags, another server) can't be known from settings. daphne refuses incoming
    frames over either cap but checks only the message cap on what it sends.
    """
    if _in_daphne_cli():
        from daphne.cli import CommandLineInterface

        try:
            args, _ = CommandLineInterface().parser.parse_known_args(sys.argv[1:])
        except SystemExit:  # daphne parsed these arguments itself; this is only in case
            message = frame = DAPHNE_DEFAULT_CAP
        else:
            message, frame = int(args.websocket_max_message_size), int(args.websocket_max_frame_size)
        return ServerCaps(_smallest_cap(message, frame), message, "this daphne process (its command line)")
    if "daphne" in getattr(settings, "INSTALLED_APPS", ()):
        message = int(getattr(settings, "DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE", DAPHNE_DEFAULT_CAP))
        frame = int(getattr(settings, "DAPHNE_WEBSOCKET_MAX_FRAME_SIZE", DAPHNE_DEFAULT_CAP))
        return ServerCaps(
            _smallest_cap(message, frame),
            message,
            "daphne's runserver (DAPHNE_WEBSOCKET_MAX_*_SIZE settings)",
        )
    return None


_DAPHNE_HINT = (
    "Start daphne with --websocket-max-message-size N --websocket-max-frame-size N (and set "
    "DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE and DAPHNE_WEBSOCKET_MAX_FRAME_SIZE for runserver) with N above "
    "{name}, or lower {name}. See docs/limits.md."
)
_UVICORN_HINT = "Start uvicorn with --ws-max-size N with N above {name}, or lower {name}. See docs/limits.md."


def _size_setting(name: str) -> int | None:
    value = get_setting(name)
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


@register(Tags.compatibility)
def check_frame_limits(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The frame limits must be byte counts, and no larger than what the server carries."""
    messages: list[CheckMessage] = []
    limits: dict[str, int] = {}
    for name in ("MAX_FRAME_BYTES", "MAX_SERVER_FRAME_BYTES"):
        value = _size_setting(name)
        if value is None:
            messages.append(
                Error(
                    f"HYPERCHANNELS[{name!r}] must be a positive number of bytes, not {get_setting(name)!r}.",
                    id="hyperchannels.E002",
                )
            )
        else:
            limits[name] = value
    caps = uvicorn_caps() or daphne_caps()
    if caps is None:
        return messages
    hint = _UVICORN_HINT if caps.source.startswith("this uvicorn") else _DAPHNE_HINT
    client_limit = limits.get("MAX_FRAME_BYTES")
    if client_limit is not None and 0 < caps.incoming < client_limit:
        messages.append(
            Warning(
                f"MAX_FRAME_BYTES is {client_limit} bytes but {caps.source} accepts client frames of at "
                f"most {caps.incoming} bytes: it ends the connection on larger ones, so the limit "
                "you set, and its 413 error, never apply to them.",
                hint=hint.format(name="MAX_FRAME_BYTES"),
                id="hyperchannels.W003",
            )
        )
    server_limit = limits.get("MAX_SERVER_FRAME_BYTES")
    if server_limit is not None and 0 < caps.outgoing < server_limit:
        messages.append(
            Warning(
                f"MAX_SERVER_FRAME_BYTES is {server_limit} bytes but {caps.source} sends frames of at "
                f"most {caps.outgoing} bytes: a larger reply fails inside daphne (a 500 that doesn't "
                "name the limit) and a larger broadcast reaches no one, while the sender sees success.",
                hint=_DAPHNE_HINT.format(name="MAX_SERVER_FRAME_BYTES"),
                id="hyperchannels.W004",
            )
        )
    return messages


def log_server_limit_warnings() -> None:
    """In a daphne or uvicorn process, log what ``check_frame_limits`` finds: neither server
    runs system checks."""
    if not (_in_daphne_cli() or _in_uvicorn_cli()):
        return
    for message in check_frame_limits():
        logger.warning("%s: %s %s", message.id, message.msg, message.hint or "")
