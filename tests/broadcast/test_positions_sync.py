"""Positions read from sync code (a view rendering ``{% hyper_positions %}``, ``sign_stream``)
on a thread with no event loop, the first thing the process asks of its layer's history: a
worker that has served no socket yet renders its first page this way (docs/recovery.md)."""

from __future__ import annotations

import uuid

import pytest
from channels.layers import get_channel_layer
from django.test import override_settings

from hyperchannels.history import positions_now
from tests.broadcast.conftest import layer_settings


@pytest.mark.parametrize("kind", ["core", "pubsub"])
def test_positions_now_from_a_thread_without_a_loop_before_any_async_use(kind: str, redis_url: str) -> None:
    prefix = f"hypersync-{uuid.uuid4().hex[:8]}"
    with override_settings(CHANNEL_LAYERS=layer_settings(kind, redis_url, prefix)):
        layer = get_channel_layer()
        first = positions_now(layer, ["sync-group"])["sync-group"]
        assert first.seq == 0 and first.epoch
        assert positions_now(layer, ["sync-group"])["sync-group"] == first  # the same history
