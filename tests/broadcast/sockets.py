"""An open ``ActionCommunicator`` on the broadcast tests' application, closed afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from hyperchannels.testing import ActionCommunicator
from tests.broadcast.asgi import websocket_app


@asynccontextmanager
async def socket(
    path: str, headers: list[tuple[bytes, bytes]] | None = None
) -> AsyncIterator[ActionCommunicator]:
    comm = ActionCommunicator(websocket_app, path, headers=headers)
    connected, code = await comm.connect(timeout=5)
    assert connected, code
    try:
        yield comm
    finally:
        await comm.disconnect(timeout=5)
