"""ASGI app of the shutdown tests (settings: tests.shutdown.settings)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.shutdown.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from .consumers import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {"http": django_asgi_app, "websocket": AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns))}
)
