"""Settings of hyperchannels: ``settings.HYPERCHANNELS`` over the defaults."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.signals import setting_changed

DEFAULTS: dict[str, Any] = {
    "MAX_FRAME_BYTES": 1_048_576,
    "MAX_SERVER_FRAME_BYTES": 1_048_576,
    "MAX_CONCURRENT_ACTIONS": 16,
    "USER_GROUPS": True,
    "STREAM_MAX_AGE": None,
    "SYNC_THREADS": 32,
    "SYNC_THREADS_PER_SOCKET": 4,
    "BROADCAST_TIMEOUT": 5.0,
    "BROADCAST_ON_COMMIT": True,
    "HISTORY_SIZE": 100,
    "HISTORY_TTL": 300,
    "PRESENCE_TTL": 30,
    "PRESENCE_GRACE": 3,
    "RATE_LIMIT": (50, 100),
    "MAX_BUFFERED_BYTES": 8_388_608,
    "CLOSE_ON_LOGOUT": True,
}


_resolved: dict[str, Any] = {}
"""Settings already read; every frame reads some, so they are looked up once."""


def get_setting(name: str) -> Any:
    """One setting; ``override_settings(HYPERCHANNELS=...)`` is seen through ``setting_changed``."""
    try:
        return _resolved[name]
    except KeyError:
        pass
    if name not in DEFAULTS:
        raise KeyError(f"unknown hyperchannels setting {name!r}")
    configured: dict[str, Any] = getattr(settings, "HYPERCHANNELS", None) or {}
    value = _resolved[name] = configured.get(name, DEFAULTS[name])
    return value


def _forget_settings(*, setting: str, **kwargs: Any) -> None:
    if setting == "HYPERCHANNELS":
        _resolved.clear()


setting_changed.connect(_forget_settings)
