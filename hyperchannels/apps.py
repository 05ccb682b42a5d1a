"""Django app config: ``INSTALLED_APPS += ["hyperchannels"]``."""

from __future__ import annotations

from django.apps import AppConfig


class HyperchannelsConfig(AppConfig):
    name = "hyperchannels"
    verbose_name = "hyperchannels"

    def ready(self) -> None:
        from . import checks  # registers the system checks

        checks.log_server_limit_warnings()
