"""System checks on the frame limits (docs/limits.md): they must be byte counts the server carries.

The test settings install daphne, so ``manage.py runserver`` is daphne's and its caps come from
``DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE``/``DAPHNE_WEBSOCKET_MAX_FRAME_SIZE`` (1 MiB by default).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.test import override_settings

from hyperchannels import checks

MIB = 1024 * 1024


def limit_checks(**overrides: Any) -> dict[str, str]:
    with override_settings(**overrides):
        found = run_checks()
    return {m.id: m.msg for m in found if m.id and m.id[-4:] in ("E002", "W003", "W004")}


def test_the_defaults_agree_with_daphnes_defaults() -> None:
    assert limit_checks() == {}


def test_a_client_limit_above_daphnes_cap_is_a_warning_naming_both() -> None:
    found = limit_checks(HYPERCHANNELS={"MAX_FRAME_BYTES": 4 * MIB})
    assert set(found) == {"hyperchannels.W003"}
    assert "MAX_FRAME_BYTES is 4194304 bytes" in found["hyperchannels.W003"]
    assert "at most 1048576 bytes" in found["hyperchannels.W003"]


def test_a_server_limit_above_daphnes_cap_is_a_warning() -> None:
    found = limit_checks(HYPERCHANNELS={"MAX_SERVER_FRAME_BYTES": 2 * MIB})
    assert set(found) == {"hyperchannels.W004"}
    assert "MAX_SERVER_FRAME_BYTES is 2097152 bytes" in found["hyperchannels.W004"]


def test_raised_daphne_caps_silence_the_warnings() -> None:
    limits = {"MAX_FRAME_BYTES": 4 * MIB, "MAX_SERVER_FRAME_BYTES": 4 * MIB}
    raised = {"DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE": 8 * MIB, "DAPHNE_WEBSOCKET_MAX_FRAME_SIZE": 8 * MIB}
    assert limit_checks(HYPERCHANNELS=limits, **raised) == {}
    unlimited = {"DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE": 0, "DAPHNE_WEBSOCKET_MAX_FRAME_SIZE": 0}
    assert limit_checks(HYPERCHANNELS=limits, **unlimited) == {}


def test_daphnes_frame_cap_limits_client_frames_but_not_what_it_sends() -> None:
    limits = {"MAX_FRAME_BYTES": 4 * MIB, "MAX_SERVER_FRAME_BYTES": 4 * MIB}
    caps = {"DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE": 8 * MIB, "DAPHNE_WEBSOCKET_MAX_FRAME_SIZE": 2 * MIB}
    assert set(limit_checks(HYPERCHANNELS=limits, **caps)) == {"hyperchannels.W003"}


def test_without_daphne_installed_nothing_is_known_about_the_server() -> None:
    apps = [app for app in settings.INSTALLED_APPS if app != "daphne"]
    with override_settings(INSTALLED_APPS=apps):
        assert checks.daphne_caps() is None
        assert limit_checks(HYPERCHANNELS={"MAX_FRAME_BYTES": 64 * MIB}) == {}


@pytest.mark.parametrize("value", [0, -1, "1048576", True, None, 1.5])
def test_a_limit_that_is_not_a_positive_byte_count_is_an_error(value: Any) -> None:
    found = limit_checks(HYPERCHANNELS={"MAX_SERVER_FRAME_BYTES": value})
    assert set(found) == {"hyperchannels.E002"}
    assert "MAX_SERVER_FRAME_BYTES" in found["hyperchannels.E002"]


def test_the_limit_warnings_are_logged_only_inside_a_daphne_process(caplog: pytest.LogCaptureFixture) -> None:
    with override_settings(HYPERCHANNELS={"MAX_FRAME_BYTES": 4 * MIB}):
        checks.log_server_limit_warnings()  # pytest is not daphne: the system checks speak here
    assert not caplog.records
