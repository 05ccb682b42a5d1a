"""Settings of the shutdown test processes: the layer from HYPER_TEST_LAYER and REDIS_URL, and a
long presence TTL, so a leave seen soon after a shutdown can only come from an untrack."""

from tests.broadcast.settings import *  # noqa: F403

HYPERCHANNELS = {"PRESENCE_TTL": 120, "PRESENCE_GRACE": 0.5}
