"""Settings of browser-test daphne workers that share a Redis channel layer: the layer kind
(``core`` or ``pubsub``) from HYPER_TEST_LAYER, Redis from REDIS_URL, the key prefix from
HYPER_TEST_PREFIX (one per test, so workers of other tests never share its groups)."""

import os

from hyperchannels.redis_layer import redis_channel_layer
from tests.browser.settings import *  # noqa: F403

CHANNEL_LAYERS = {
    "default": redis_channel_layer(
        os.environ["REDIS_URL"],
        layer=os.environ.get("HYPER_TEST_LAYER", "core"),  # type: ignore[arg-type]
        prefix=os.environ.get("HYPER_TEST_PREFIX", "asgi"),
    )
}
