"""One small exception per control signal of the runtime."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from .protocol import default_message, message


class ProtocolError(Exception):
    """A client frame or invocation that ends in an ``error`` frame with ``status``.

    Its message is meant for the browser: only raise it with words chosen for the user.
    """

    def __init__(self, status: int, message: str | None = None) -> None:
        self.status = status
        self.message = message or default_message(status)
        super().__init__(self.message)


class BadRequest(ProtocolError):
    """A malformed frame or arguments that don't fit the action (400)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(400, message)


class UnsupportedReturn(TypeError):
    """An action returned (or yielded) something that is not an action item."""


def error_of(exc: BaseException) -> tuple[int, str] | None:
    """Status and user-facing message of an exception the application raised on purpose."""
    if isinstance(exc, ProtocolError):
        return exc.status, exc.message
    if isinstance(exc, PermissionDenied):
        return 403, str(exc) or message("forbidden")
    if isinstance(exc, Http404):
        return 404, str(exc) or message("not_found")
    if isinstance(exc, ValidationError):
        return 400, "; ".join(str(m) for m in exc.messages) or message("invalid_data")
    return None
