"""Fixtures for broadcast tests: a real Redis and each channel layer in turn."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from channels.layers import get_channel_layer
from django.test import override_settings

from hyperchannels.redis_layer import redis_channel_layer
from tests.conftest import require
from tests.redis_server import PrivateRedis

LAYERS = ["memory", "core", "pubsub"]


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    require(shutil.which("redis-server") is not None, "redis-server is not installed")
    with PrivateRedis() as server:
        yield server


def layer_settings(kind: str, url: str | None, prefix: str) -> dict[str, Any]:
    if kind == "memory":
        return {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    assert url is not None
    entry = redis_channel_layer(url, layer=kind, prefix=prefix)  # type: ignore[arg-type]
    return {"default": entry}


@pytest.fixture(params=LAYERS)
async def layer(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """Run the test with CHANNEL_LAYERS set to the in-memory, core Redis or pubsub Redis layer."""
    kind: str = request.param
    url = request.getfixturevalue("redis_url") if kind != "memory" else None
    prefix = f"hypertest-{uuid.uuid4().hex[:8]}"
    with override_settings(CHANNEL_LAYERS=layer_settings(kind, url, prefix)):
        yield kind
        channel_layer = get_channel_layer()
        if kind != "memory" and channel_layer is not None:
            await channel_layer.flush()
