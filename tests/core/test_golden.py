"""Replay the language-neutral protocol cases against the real consumer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hyperchannels.testing import ActionCommunicator
from tests.app.asgi import websocket_app

GOLDEN = json.loads((Path(__file__).parent.parent / "golden" / "protocol.json").read_text())


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=[c["name"] for c in GOLDEN["cases"]])
async def test_golden_case(case: dict[str, Any]) -> None:
    comm = ActionCommunicator(websocket_app, GOLDEN["path"])
    connected, _ = await comm.connect()
    assert connected
    try:
        for frame in case["send"]:
            if set(frame) == {"raw"}:
                await comm.send_to(text_data=frame["raw"])
            else:
                await comm.send_frame(frame)
        received = [json.loads(await comm.receive_from(timeout=5)) for _ in case["expect"]]
        assert received == case["expect"]
        assert await comm.receive_nothing(timeout=0.05)
    finally:
        await comm.disconnect()
