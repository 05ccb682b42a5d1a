"""Test settings for daphne processes: the layer comes from HYPER_TEST_LAYER and REDIS_URL."""

import os

from hyperchannels.redis_layer import redis_channel_layer
from tests.settings import *  # noqa: F403

_kind = os.environ.get("HYPER_TEST_LAYER", "memory")
if _kind == "memory":
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
else:
    CHANNEL_LAYERS = {
        "default": redis_channel_layer(
            os.environ["REDIS_URL"], layer=_kind, prefix=os.environ.get("HYPER_TEST_PREFIX", "asgi")
        )
    }
