"""ASGI app of the presence benchmark: sockets in one group that track themselves on demand."""

import os
from urllib.parse import parse_qs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.project.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.http import HttpRequest  # noqa: E402
from django.urls import path  # noqa: E402

from hyperchannels import Toast, abroadcast, action  # noqa: E402
from hyperchannels.consumers import HyperConsumer  # noqa: E402

GROUP = "bench-presence"


class PresenceBench(HyperConsumer):
    groups = [GROUP]

    @action
    async def start(self, request: HttpRequest) -> None:
        """Track this socket under the ``key`` of its URL."""
        key = parse_qs(self.scope["query_string"].decode())["key"][0]
        await self.track(GROUP, {"name": key}, key)

    @action
    async def shout(self, request: HttpRequest, text: str) -> None:
        """A broadcast to the whole group: the fan-out a presence diff is compared with."""
        await abroadcast(GROUP, Toast(text))


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter([path("ws/presence/", PresenceBench.as_asgi())]),
    }
)
