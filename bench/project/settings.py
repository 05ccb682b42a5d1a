"""Settings of the benchmark server: no debug, no database work, a layer chosen by env."""

from __future__ import annotations

import os

from hyperchannels.redis_layer import redis_channel_layer

SECRET_KEY = "bench-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "channels",
    "hyperchannels",
]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]  # sets Content-Length, as sites do
ROOT_URLCONF = "bench.project.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
TEMPLATES: list[dict[str, object]] = []
USE_TZ = True
_layer = os.environ.get("BENCH_LAYER", "memory")
_redis = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
if _layer in ("core", "pubsub"):
    # The same Redis config for every contender; see hyperchannels.redis_layer for why.
    # A prefix per run: memberships left by killed workers of earlier runs must not count.
    CHANNEL_LAYERS = {
        "default": redis_channel_layer(  # type: ignore[arg-type]
            _redis, layer=_layer, prefix=os.environ.get("BENCH_PREFIX", "bench")
        )
    }
    if os.environ.get("BENCH_PLAIN_REDIS"):  # for comparing configs by hand
        CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [_redis]
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Recovery on (the default, 100) or off (0): the fan-out bench compares both.
# The round trip drives one socket far past the default RATE_LIMIT (50/s, burst 100): the
# bench measures throughput, so it has no rate limit (a socket's limit is docs/security.md's).
HYPERCHANNELS = {"HISTORY_SIZE": int(os.environ.get("BENCH_HISTORY_SIZE", "100")), "RATE_LIMIT": None}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "loggers": {"daphne": {"level": "WARNING"}, "django.channels": {"level": "WARNING"}},
}
