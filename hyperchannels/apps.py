"""Django app config: ``INSTALLED_APPS += ["hyperchannels"]``."""

from __future__ import annotations

from django.apps import AppConfig


class HyperchannelsConfig(AppConfig):
    name = "hyperchannels"
    verbose_name = "hyperchannels"

    def ready(self) -> None:
        # checks registers the system checks; closing connects user_logged_out (CLOSE_ON_LOGOUT)
        from . import checks, closing  # noqa: F401

        checks.log_server_limit_warnings()
