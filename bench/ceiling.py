"""The machine's ceiling: ``python -m bench.ceiling PORT``.

A ``websockets`` server (its asyncio implementation, on uvloop when installed) answering each
action frame with the same two frames the other contenders send (``toast``, ``end``): no ASGI,
no Django, no Channels. What a WebSocket round trip costs in Python on this machine with the
fastest pure library at hand; every server's figures are read against it.
"""

from __future__ import annotations

import asyncio
import json
import sys

from websockets.asyncio.server import ServerConnection, serve


async def answer(ws: ServerConnection) -> None:
    async for message in ws:
        invocation = json.loads(message)["id"]
        await ws.send(json.dumps({"id": invocation, "event": "toast", "data": {"value": "ok"}}))
        await ws.send(json.dumps({"id": invocation, "event": "end", "data": {}}))


async def run(port: int) -> None:
    async with serve(answer, "127.0.0.1", port, compression=None, max_queue=None) as server:
        await server.serve_forever()


def main() -> None:
    port = int(sys.argv[1])
    try:
        import uvloop
    except ImportError:
        asyncio.run(run(port))
    else:
        uvloop.run(run(port))


if __name__ == "__main__":
    main()
