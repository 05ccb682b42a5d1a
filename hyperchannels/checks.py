"""Django system checks for mistakes that would otherwise show only at run time."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register


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
