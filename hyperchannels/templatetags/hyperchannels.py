"""Template tags: ``{% load hyperchannels %}``."""

from __future__ import annotations

from django import template
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString

from ..streams import sign_stream

register = template.Library()


@register.simple_tag
def hyperchannels_script() -> SafeString:
    """The ``<script type="module">`` that loads the browser client from static files."""
    return format_html('<script type="module" src="{}"></script>', static("hyperchannels/hyperchannels.js"))


@register.simple_tag
def hyper_stream(group: str) -> str:
    """A signed token for ``group``, for the page's socket to ``subscribe`` with."""
    return sign_stream(group)
