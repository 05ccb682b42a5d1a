"""``tests.broadcast.settings`` with the core Redis layer's channel ``capacity`` from
HYPER_TEST_CAPACITY (when set): what docs/broadcast.md tells sites with bursty groups to do."""

import os
from typing import Any

from tests.broadcast.settings import *  # noqa: F403
from tests.broadcast.settings import CHANNEL_LAYERS

if os.environ.get("HYPER_TEST_CAPACITY"):
    _entry: Any = CHANNEL_LAYERS["default"]
    _entry["CONFIG"]["capacity"] = int(os.environ["HYPER_TEST_CAPACITY"])
