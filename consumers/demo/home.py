"""Notifications: server-push toasts to a user's tabs, a long job that streams progress, and a
search as you type."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from hyperchannels import HTML, Toast, action
from hyperchannels.consumers import HyperConsumer

from .models import Card
from .preferences import PreferencesActions

logger = logging.getLogger("hyperchannels")
SEARCH_LIMIT = 10


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

    @action
    def search_cards(self, request: HttpRequest, q: str = "") -> HTML:
        """Cards whose title contains ``q``. The page sends it as the user types (debounced, in a
        replace lane), so a slow older answer never overwrites a newer one. Titles are escaped."""
        q = q.strip()
        cards = Card.objects.filter(title__icontains=q).select_related("board")[:SEARCH_LIMIT] if q else []
        items = format_html_join(
            "",
            '<li><a href="/board/{}/">{}</a> <small>{}</small></li>',
            ((c.board.slug, c.title, c.board.slug) for c in cards),
        )
        if q and not items:
            items = format_html("<li>No card matches “{}”</li>", q)
        return HTML(format_html('<ul id="card-results">{}</ul>', items), target="#card-results")
