"""A real ``HttpRequest`` built from the WebSocket handshake, for actions and templates."""

from __future__ import annotations

import io
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest

from .types import Scope

_HTTP_SCHEMES = {"ws": "http", "wss": "https"}


class HandshakeRequest(ASGIRequest):
    """The handshake as Django sees a GET request: path, query, headers, cookies, user, session.

    ``request.scope`` is the socket's own scope and ``request.consumer`` the consumer.
    """

    consumer: Any

    def _get_scheme(self) -> str:
        return _HTTP_SCHEMES.get(self.scope.get("scheme") or "ws", "http")


def build_request(scope: Scope, consumer: Any) -> HttpRequest:
    """Build the request every action of one socket receives."""
    http_scope = dict(scope)
    http_scope["type"] = "http"
    http_scope["method"] = "GET"
    http_scope.setdefault("path", "/")
    request = HandshakeRequest(http_scope, io.BytesIO(b""))
    request.scope = scope
    request.consumer = consumer
    request.user = scope["user"] if "user" in scope else AnonymousUser()
    session = scope.get("session")
    if session is not None:
        request.session = session
    return request
