"""Settings of the daphne process the browser tests drive."""

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.browser"]
ROOT_URLCONF = "tests.browser.urls"
ASGI_APPLICATION = "tests.browser.asgi.application"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
