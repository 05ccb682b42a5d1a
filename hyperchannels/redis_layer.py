"""Redis channel-layer configuration that keeps idle sockets up.

redis-py 8 made 5 s its default ``socket_timeout``: exactly channels_redis' blocking-receive
timeout (``BZPOPMIN`` for 5 s). With a plain ``{"hosts": [url]}`` config every idle consumer
on the core layer then dies with ``TimeoutError`` about every 5 s (channels_redis issue 422).
``hyperchannels.checks`` warns (``hyperchannels.W002``) about a layer config that falls into it.
"""

from __future__ import annotations

from typing import Any, Literal

CORE_BACKEND = "channels_redis.core.RedisChannelLayer"
PUBSUB_BACKEND = "channels_redis.pubsub.RedisPubSubChannelLayer"
BLOCKING_RECEIVE_SECONDS = 5  # channels_redis.core.RedisChannelLayer.brpop_timeout
SAFE_SOCKET_TIMEOUT = 15.0


def redis_channel_layer(
    url: str,
    *,
    layer: Literal["core", "pubsub"] = "core",
    socket_timeout: float | None = SAFE_SOCKET_TIMEOUT,
    socket_connect_timeout: float = 2.0,
    **config: Any,
) -> dict[str, Any]:
    """A ``CHANNEL_LAYERS`` entry for Redis at ``url`` that survives idle sockets.

    ``socket_timeout`` stays above the core layer's 5 s blocking receive, so reads don't time
    out while idle, yet a dead Redis is noticed; ``socket_connect_timeout`` makes a refused or
    unreachable Redis fail fast. Other keyword arguments go into ``CONFIG`` (``capacity``,
    ``expiry``, ``group_expiry``, ...).
    """
    host = {
        "address": url,
        "socket_timeout": socket_timeout,
        "socket_connect_timeout": socket_connect_timeout,
    }
    backend = CORE_BACKEND if layer == "core" else PUBSUB_BACKEND
    return {"BACKEND": backend, "CONFIG": {"hosts": [host], **config}}


def redis_major() -> int:
    """The installed redis-py major version, 0 when absent or unreadable."""
    try:
        import redis
    except ImportError:
        return 0
    try:
        return int(str(redis.__version__).split(".")[0])
    except ValueError:
        return 0


def host_times_out_idle(host: Any) -> bool:
    """Whether a ``CONFIG["hosts"]`` entry gets a socket timeout at or below the blocking receive."""
    if isinstance(host, dict):
        if "socket_timeout" not in host:
            return True
        timeout = host["socket_timeout"]
        return timeout is not None and timeout <= BLOCKING_RECEIVE_SECONDS
    return True  # a URL string or (host, port) pair takes redis-py's default
