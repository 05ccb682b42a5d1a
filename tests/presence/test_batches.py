"""Diffs of one group coalesce while they come fast; a lone change goes out at once."""

from __future__ import annotations

import asyncio
from typing import Any

from hyperchannels.presence_batches import Batcher


class Sent:
    def __init__(self) -> None:
        self.diffs: list[tuple[dict[str, Any], str | None]] = []

    async def __call__(self, group: str, diff: dict[str, Any], origin: str | None) -> None:
        self.diffs.append((diff, origin))


async def test_a_lone_change_goes_at_once_and_a_storm_becomes_one_diff() -> None:
    sent = Sent()
    batcher = Batcher(sent, window=0.05)
    await batcher.add("g", {"a": [{}]}, {}, {}, "sa")
    assert sent.diffs == [({"group": "g", "joins": {"a": [{}]}, "leaves": {}, "updates": {}}, "sa")]
    for n in range(100):
        await batcher.add("g", {f"k{n}": [{"n": n}]}, {}, {}, f"s{n}")
    await batcher.add("other", {"x": [{}]}, {}, {}, None)  # another group: not held up
    assert len(sent.diffs) == 2
    await asyncio.sleep(0.08)
    assert len(sent.diffs) == 3
    storm, origin = sent.diffs[2]
    assert len(storm["joins"]) == 100 and origin is None


async def test_the_last_change_of_a_key_wins_within_a_window() -> None:
    sent = Sent()
    batcher = Batcher(sent, window=0.05)
    await batcher.add("g", {"first": [{}]}, {}, {}, None)
    await batcher.add("g", {"a": [{"v": 1}]}, {}, {}, "s1")
    await batcher.add("g", {}, {}, {"a": [{"v": 2}]}, "s1")  # joined then updated: a join
    await batcher.add("g", {"b": [{}]}, {}, {}, "s1")
    await batcher.add("g", {}, {"b": [{}]}, {}, "s1")  # joined then left: a leave (harmless)
    await batcher.add("g", {}, {"c": [{"v": 1}]}, {}, "s1")
    await batcher.add("g", {"c": [{"v": 3}]}, {}, {}, "s1")  # left and came back: an update
    await asyncio.sleep(0.08)
    diff, origin = sent.diffs[1]
    assert diff == {
        "group": "g", "joins": {"a": [{"v": 2}]}, "leaves": {"b": [{}]}, "updates": {"c": [{"v": 3}]}
    }
    assert origin == "s1"  # one socket made every change: its own state covers them


def test_the_state_frame_joins_stored_metas_and_applies_what_was_pushed_meanwhile() -> None:
    import json

    from hyperchannels.tracking import state_frame

    found = {"ann": ['{"name":"Ann"}', '{"name":"Ann","tab":"é"}'], "bob": ['{"name":"Bob"}'], "7": ["{}"]}
    pending = [{"joins": {"cy": [{"name": "Cy"}]}, "leaves": {"bob": []}, "updates": {"7": [{"n": 1.5}]}}]
    frame = json.loads(state_frame("board \u2603", found, pending))
    assert frame == {
        "event": "presence_state",
        "data": {
            "group": "board \u2603",
            "state": {
                "ann": [{"name": "Ann"}, {"name": "Ann", "tab": "é"}],
                "7": [{"n": 1.5}],
                "cy": [{"name": "Cy"}],
            },
        },
    }
