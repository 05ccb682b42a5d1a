"""ASGI app of the access tests run in daphne (settings: tests.access.settings)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.access.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from .consumers import TimedRoomConsumer  # noqa: E402

websocket_app = URLRouter([path("ws/timed/<str:room>/", TimedRoomConsumer.as_asgi())])
application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_app})
