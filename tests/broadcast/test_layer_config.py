"""The redis-py 8 idle-timeout trap: the config helper avoids it and a system check finds it."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from hyperchannels import redis_layer
from hyperchannels.redis_layer import CORE_BACKEND, PUBSUB_BACKEND, redis_channel_layer


def w002(channel_layers: dict[str, Any]) -> list[str]:
    with override_settings(CHANNEL_LAYERS=channel_layers):
        return [m.id for m in run_checks() if m.id == "hyperchannels.W002"]


def test_helper_config_sets_timeouts_above_the_blocking_receive() -> None:
    entry = redis_channel_layer("redis://h:6379/1", capacity=500)
    assert entry["BACKEND"] == CORE_BACKEND
    assert entry["CONFIG"]["capacity"] == 500
    host = entry["CONFIG"]["hosts"][0]
    assert host["address"] == "redis://h:6379/1"
    assert host["socket_timeout"] > redis_layer.BLOCKING_RECEIVE_SECONDS
    assert redis_channel_layer("redis://h", layer="pubsub")["BACKEND"] == PUBSUB_BACKEND


@pytest.mark.parametrize(
    "hosts, warned",
    [
        (["redis://127.0.0.1:6379"], True),
        ([("127.0.0.1", 6379)], True),
        ([{"address": "redis://x"}], True),
        ([{"address": "redis://x", "socket_timeout": 5}], True),
        ([{"address": "redis://x", "socket_timeout": None}], False),
        ([{"address": "redis://x", "socket_timeout": 30}], False),
    ],
)
def test_check_warns_about_core_layers_that_time_out_idle(
    hosts: list[Any], warned: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redis_layer, "redis_major", lambda: 8)
    config = {"default": {"BACKEND": CORE_BACKEND, "CONFIG": {"hosts": hosts}}}
    assert bool(w002(config)) is warned


def test_check_is_quiet_for_the_helper_pubsub_memory_and_old_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redis_layer, "redis_major", lambda: 8)
    assert not w002({"default": redis_channel_layer("redis://x")})
    assert not w002({"default": {"BACKEND": PUBSUB_BACKEND, "CONFIG": {"hosts": ["redis://x"]}}})
    assert not w002({"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}})
    monkeypatch.setattr(redis_layer, "redis_major", lambda: 5)
    assert not w002({"default": {"BACKEND": CORE_BACKEND, "CONFIG": {"hosts": ["redis://x"]}}})
