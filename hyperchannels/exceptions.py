"""The exceptions of hyperchannels, in one module."""

from __future__ import annotations

from .protocol import Status, default_message


class ProtocolError(Exception):
    """A client frame or invocation that ends in an ``error`` frame with ``status``.

    Its message is meant for the browser: only raise it with words chosen for the user.
    """

    def __init__(self, status: int, message: str | None = None) -> None:
        self.status = status
        self.message = message or default_message(status)
        super().__init__(self.message)


class FrameError(ProtocolError):
    """A client frame the server refuses; ``id`` is the frame's id when it had a valid one."""

    def __init__(self, status: int, message: str | None = None, id: str | None = None) -> None:
        super().__init__(status, message)
        self.id = id


class BadRequest(ProtocolError):
    """A malformed frame or arguments that don't fit the action (400)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(Status.BAD_REQUEST, message)


class UnsupportedReturn(TypeError):
    """An action returned (or yielded) something that is not an action item."""


class BroadcastError(Exception):
    """The channel layer could not take a broadcast (Redis down or too slow)."""
