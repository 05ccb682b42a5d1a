"""A client process that sends action frames as fast as it can, reads every answer, and prints
``{"seconds": s, "statuses": {status: count}, "ended": n}`` as JSON (test_daphne_limits).

Run apart from the measuring client, so the flood loads the server, not the measurement.
Usage: ``python -m tests.access.flooder URL ORIGIN COUNT``.
"""

from __future__ import annotations

import json
import sys
import threading
import time

from websockets.sync.client import connect
from websockets.typing import Origin


def main(url: str, origin: str, count: int) -> None:
    statuses: dict[int, int] = {}
    ended = 0
    with connect(url, origin=Origin(origin), max_size=None) as ws:
        ws.recv(timeout=5)  # the opening positions push

        def send() -> None:
            for i in range(count):
                ws.send(json.dumps({"type": "action", "id": f"x{i}", "name": "echo"}))

        started = time.monotonic()
        sender = threading.Thread(target=send)
        sender.start()
        while ended < count:
            frame = json.loads(ws.recv(timeout=60))
            if frame.get("event") == "error":
                status = frame["data"]["status"]
                statuses[status] = statuses.get(status, 0) + 1
                ended += 1
            elif frame.get("event") == "end":
                statuses[200] = statuses.get(200, 0) + 1
                ended += 1
        sender.join()
        seconds = time.monotonic() - started
    print(json.dumps({"seconds": round(seconds, 3), "statuses": statuses, "ended": ended}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
