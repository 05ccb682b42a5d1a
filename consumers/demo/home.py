"""Notifications: server-push toasts to a user's tabs, and a long job that streams progress."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.html import format_html

from hyperchannels import HTML, Toast, action
from hyperchannels.consumers import HyperConsumer

from .preferences import PreferencesActions

logger = logging.getLogger("hyperchannels")


def progress_html(percent: int, label: str) -> str:
    return format_html(
        '<div id="job"><progress id="job-bar" value="{}" max="100"></progress> '
        '<span id="job-label">{}</span></div>',
        percent,
        label,
    )


class HomeConsumer(PreferencesActions, HyperConsumer):
    """``/ws/home/``: the signed-in home page (its user group brings the notifications)."""

    @action
    def start_job(self, request: HttpRequest, steps: int = 10, seconds: float = 0.3) -> Iterator[Any]:
        """A long export: each step patches the progress bar, then a toast says it's done."""
        if not request.user.is_authenticated:
            raise PermissionDenied("Sign in to run a job")
        steps = max(1, min(steps, 50))
        seconds = max(0.0, min(seconds, 2.0))
        for step in range(1, steps + 1):
            time.sleep(seconds)  # the "work"; runs in a worker thread, not on the event loop
            percent = round(step * 100 / steps)
            logger.info("export for %s: %s%%", request.user, percent)
            yield HTML(progress_html(percent, f"Exporting… {percent}%"), target="#job")
        yield HTML(progress_html(100, "Export finished"), target="#job")
        yield Toast({"message": "Your export is ready", "level": "success"})
