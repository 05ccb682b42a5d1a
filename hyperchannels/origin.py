"""Refuse sockets opened by pages of other sites (cross-site WebSocket hijacking)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import validate_host

from .types import Scope


def allowed_hosts() -> list[str]:
    """``ALLOWED_HOSTS``, with Django's own loopback defaults under ``DEBUG``."""
    hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:
        hosts = [".localhost", "127.0.0.1", "[::1]"]
    return hosts


def origin_allowed(scope: Scope) -> bool:
    """Whether the handshake's ``Origin`` names one of ``ALLOWED_HOSTS``.

    A handshake without ``Origin`` is not from a browser page (browsers always send it), so
    there is no page to hijack it and it is allowed; authentication still applies.
    """
    origin = None
    for name, value in scope.get("headers", []):
        if name == b"origin":
            origin = value.decode("latin1")
            break
    if origin is None:
        return True
    try:
        parsed = urlsplit(origin)
        host = parsed.hostname
        parsed.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return False
    if not host or parsed.scheme not in ("http", "https"):
        return False
    if ":" in host:
        host = f"[{host}]"
    return validate_host(host, allowed_hosts())
