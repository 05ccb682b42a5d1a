"""The test settings with frame limits taken from the environment, for daphne subprocesses."""

import os

from tests.settings import *  # noqa: F403

HYPERCHANNELS = {
    name: int(os.environ[f"TEST_{name}"])
    for name in ("MAX_FRAME_BYTES", "MAX_SERVER_FRAME_BYTES")
    if f"TEST_{name}" in os.environ
}
