"""Template tags: ``{% load hyperchannels %}``."""

from __future__ import annotations

from django import template
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from ..streams import sign_stream

register = template.Library()


@register.simple_tag
def hyperchannels_script(nonce: str | None = None) -> SafeString:
    """The ``<script type="module">`` that loads the browser client from static files.

    ``nonce`` (a page under a ``script-src 'nonce-...'`` Content-Security-Policy): the tag
    carries it, and the client gives it to the scripts ``load_js`` adds (docs/client.md).
    """
    src = static("hyperchannels/hyperchannels.js")
    if nonce:
        return format_html('<script type="module" src="{}" nonce="{}"></script>', src, nonce)
    return format_html('<script type="module" src="{}"></script>', src)


@register.simple_tag
def hyper_stream(group: str) -> str:
    """A signed token for ``group``, for the page's socket to ``subscribe`` with; it carries the
    group's position, so what is broadcast before the socket subscribes is replayed."""
    return sign_stream(group)


@register.simple_tag
def hyper_positions(*groups: str) -> SafeString:
    """The current positions of ``groups`` as JSON, for ``connect(url, {positions})``: the page
    then resumes from where it was rendered (docs/recovery.md). Empty with recovery off."""
    from channels.layers import get_channel_layer

    from ..history import positions_now, recovery_on

    layer = get_channel_layer()
    positions: dict[str, object] = {}
    if recovery_on() and layer is not None and groups:
        positions = {group: p.as_json() for group, p in positions_now(layer, groups).items()}
    return json_script_value(positions)


_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def json_script_value(value: object) -> SafeString:
    """JSON that can't end a ``<script>`` element (``<``, ``>``, ``&`` escaped as in Django's
    ``json_script``): a JavaScript value inside a module script."""
    import json

    return mark_safe(json.dumps(value, separators=(",", ":")).translate(_SCRIPT_ESCAPES))  # noqa: S308
