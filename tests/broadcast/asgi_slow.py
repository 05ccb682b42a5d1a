"""ASGI app for relay tests in daphne: rooms whose sockets have a slow custom group handler."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.broadcast.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from .consumers import SlowChatConsumer  # noqa: E402

websocket_app = URLRouter([path("ws/slow/<str:room>/", SlowChatConsumer.as_asgi())])
application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_app})
