"""One socket's action round trips in process: the bench application driven by a fake ASGI
server (no network, no server framing), so what is measured is the application's own work.

``python -m bench.inprocess PATH ACTIONS`` opens one socket on ``PATH`` (``/ws/hyper/``,
``/ws/raw/`` or ``/ws/bare/`` of ``bench.project.asgi``), sends ``ACTIONS`` action frames one
after another (the next when the previous one's ``end`` arrives), checks that each was
answered with a ``toast`` and an ``end``, and prints ``{"path", "actions", "seconds"}``.
``bench/instructions.py`` runs it under valgrind to count instructions per action.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.project.settings")

SCOPE_HEADERS = [(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1")]


def _scope(path: str) -> dict[str, Any]:
    return {
        "type": "websocket",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": SCOPE_HEADERS,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "scheme": "ws",
        "subprotocols": [],
        "asgi": {"version": "3.0"},
    }


async def round_trips(path: str, actions: int) -> float:
    """Seconds taken by ``actions`` sequential round trips on one socket; ``RuntimeError`` if
    an answer is not ``toast`` then ``end`` of the frame sent."""
    from bench.project.asgi import application

    frames = [
        json.dumps({"type": "action", "id": str(i), "name": "toast"}, separators=(",", ":"))
        for i in range(actions)
    ]
    incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    accepted = asyncio.Event()
    done = asyncio.Event()
    state: dict[str, Any] = {"answered": 0, "toasts": 0, "connected": False, "error": None}

    async def receive() -> dict[str, Any]:
        if not state["connected"]:
            state["connected"] = True
            return {"type": "websocket.connect"}
        return await incoming.get()

    async def send(message: dict[str, Any]) -> None:
        try:
            check(message)
        except RuntimeError as exc:
            state["error"] = str(exc)
            done.set()
            raise

    def check(message: dict[str, Any]) -> None:
        if message["type"] == "websocket.accept":
            accepted.set()
            return
        if message["type"] != "websocket.send":
            raise RuntimeError(f"unexpected {message['type']}")
        frame = json.loads(message["text"])
        if "id" not in frame:
            return  # a push (positions)
        if frame["id"] != str(state["answered"]):
            raise RuntimeError(f"an answer to {frame['id']!r} while {state['answered']} ran")
        if frame["event"] == "toast":
            state["toasts"] += 1
        elif frame["event"] == "end" and state["toasts"] == state["answered"] + 1:
            state["answered"] += 1
            if state["answered"] == actions:
                done.set()
            else:
                incoming.put_nowait({"type": "websocket.receive", "text": frames[state["answered"]]})
        else:
            raise RuntimeError(f"unexpected answer {frame}")

    app = asyncio.create_task(application(_scope(path), receive, send))
    await asyncio.wait_for(accepted.wait(), 10)
    await asyncio.sleep(0.05)  # the opening pushes
    started = time.perf_counter()
    incoming.put_nowait({"type": "websocket.receive", "text": frames[0]})
    await asyncio.wait_for(done.wait(), 600)
    seconds = time.perf_counter() - started
    if state["error"] is not None:
        app.cancel()
        raise RuntimeError(state["error"])
    incoming.put_nowait({"type": "websocket.disconnect", "code": 1000})
    await asyncio.wait_for(app, 10)
    return seconds


def main() -> None:
    import django

    django.setup()
    path, actions = sys.argv[1], int(sys.argv[2])
    seconds = asyncio.run(round_trips(path, actions))
    print(json.dumps({"path": path, "actions": actions, "seconds": seconds}))


if __name__ == "__main__":
    main()
