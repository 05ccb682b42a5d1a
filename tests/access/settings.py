"""Settings of the access tests' daphne processes: the layer as in the broadcast tests, limits
from the environment (HYPER_TEST_MAX_BUFFERED_BYTES, HYPER_TEST_RATE)."""

import os

from tests.broadcast.settings import *  # noqa: F403

HYPERCHANNELS = {
    "MAX_BUFFERED_BYTES": int(os.environ.get("HYPER_TEST_MAX_BUFFERED_BYTES", 8_388_608)),
    "RATE_LIMIT": tuple(float(x) for x in os.environ.get("HYPER_TEST_RATE", "50,100").split(",")),
}
