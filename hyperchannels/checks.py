"""Django system checks for mistakes that would otherwise show only at run time."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from . import redis_layer


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
        for name in sorted(set(cls.hyper_action_conflicts)):
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
