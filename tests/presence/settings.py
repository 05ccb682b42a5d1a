"""Settings of the presence test processes: the broadcast tests' layer choice, and short
presence timings from HYPER_TEST_PRESENCE_TTL / HYPER_TEST_PRESENCE_GRACE."""

import os

from tests.broadcast.settings import *  # noqa: F403

HYPERCHANNELS = {
    "PRESENCE_TTL": float(os.environ.get("HYPER_TEST_PRESENCE_TTL", "30")),
    "PRESENCE_GRACE": float(os.environ.get("HYPER_TEST_PRESENCE_GRACE", "3")),
}
