"""The bench app for the slow-reader bench: the bench project's application, and a line on
stderr each time the server closes a WebSocket (the client's port, the code, the wall time).

The line is how the bench learns when the slow socket was closed without that socket reading
anything: the close frame waits behind megabytes the client has not read, and daphne drops
the connection ``CLOSE_GRACE_SECONDS`` later. It is noted at daphne's ``serverClose`` (what
the consumer's close becomes), so the ``send`` the consumer gets, and with it the outbox's
view of daphne's buffer, is daphne's own.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from daphne.ws_protocol import WebSocketProtocol

from bench.project.asgi import application

_server_close = WebSocketProtocol.serverClose


def _noting_server_close(self: Any, code: int | None = None) -> None:
    port = self.client_addr[1] if self.client_addr else None
    print(json.dumps({"closed_port": port, "code": code, "at": time.time()}), file=sys.stderr, flush=True)
    _server_close(self, code)


WebSocketProtocol.serverClose = _noting_server_close

__all__ = ["application"]
