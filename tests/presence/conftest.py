"""Presence tests use the broadcast tests' layers (in-memory, core Redis, pubsub Redis)."""

from tests.broadcast.conftest import layer, private_redis  # noqa: F401
