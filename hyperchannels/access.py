"""Who may act, and how often: an action's ``login_required`` and ``permission``, and each
socket's rate of action frames (docs/security.md).

Both are checked before the action's method runs; a refused frame never reaches user code.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from . import protocol
from .actions import ActionSpec
from .exceptions import FrameError
from .protocol import Status


def check_login(spec: ActionSpec, user: Any, frame_id: str) -> None:
    """``FrameError`` 401 when the action needs a signed-in user and the socket has none."""
    if spec.login_required and not (user is not None and user.is_authenticated):
        raise FrameError(Status.UNAUTHORIZED, protocol.message("unauthorized"), frame_id)


def has_permissions(spec: ActionSpec, user: Any) -> bool:
    """Whether ``user`` holds every permission the action names (sync: backends query the
    database, so the consumer calls it in a worker thread)."""
    if not spec.permissions:
        return True
    return user is not None and bool(user.has_perms(spec.permissions))


def forbidden(frame_id: str) -> FrameError:
    return FrameError(Status.FORBIDDEN, protocol.message("forbidden"), frame_id)


def rate_setting(value: Any) -> tuple[float, float] | None:
    """``RATE_LIMIT`` checked: ``(per_second, burst)`` with both positive, or ``None`` (no limit)."""
    if value is None:
        return None
    try:
        rate, burst = value
        rate, burst = float(rate), float(burst)
    except (TypeError, ValueError):
        raise ImproperlyConfigured(
            f"HYPERCHANNELS['RATE_LIMIT'] is (per_second, burst) or None, not {value!r}"
        ) from None
    if rate <= 0 or burst < 1:
        raise ImproperlyConfigured(
            f"HYPERCHANNELS['RATE_LIMIT'] needs a positive rate and a burst of at least 1, not {value!r}"
        )
    return rate, burst


class TokenBucket:
    """A socket's allowance of action frames: ``burst`` at once, refilled at ``rate`` per second.

    One float and one clock read per frame; a frame over it costs no more than that.
    """

    __slots__ = ("rate", "burst", "tokens", "stamp")

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = time.monotonic()

    def take(self) -> bool:
        """Spend one token; ``False`` (and nothing spent) when none is left."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def rate_limited(frame_id: str) -> FrameError:
    return FrameError(Status.TOO_MANY, protocol.message("rate_limited"), frame_id)
