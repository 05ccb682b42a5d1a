"""Settings of hyperchannels: ``settings.HYPERCHANNELS`` over the defaults."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "MAX_FRAME_BYTES": 1_048_576,
    "MAX_CONCURRENT_ACTIONS": 16,
    "USER_GROUPS": True,
    "STREAM_MAX_AGE": None,
    "SYNC_THREADS": 32,
    "BROADCAST_TIMEOUT": 5.0,
}


def get_setting(name: str) -> Any:
    """One setting, read each time so tests can override ``HYPERCHANNELS``."""
    if name not in DEFAULTS:
        raise KeyError(f"unknown hyperchannels setting {name!r}")
    configured: dict[str, Any] = getattr(settings, "HYPERCHANNELS", None) or {}
    return configured.get(name, DEFAULTS[name])
