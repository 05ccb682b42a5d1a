"""A consumer whose actions make frames of a chosen size, served by a real daphne in test_limits."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.core.limits_settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.http import HttpRequest  # noqa: E402
from django.urls import path  # noqa: E402

from hyperchannels import HTML, Signal, Toast, abroadcast, action  # noqa: E402
from hyperchannels.consumers import HyperConsumer  # noqa: E402

GROUP = "limits"


class LimitsConsumer(HyperConsumer):
    def get_groups(self) -> list[str]:
        return [GROUP]

    @action
    def html(self, request: HttpRequest, size: int) -> HTML:
        """An ``HTML`` reply whose content is ``size`` bytes."""
        return HTML("x" * size, target="#big")

    @action
    def nan(self, request: HttpRequest) -> Signal:
        return Signal("v", float("nan"))

    @action
    async def shout(self, request: HttpRequest, size: int) -> Toast:
        """Broadcast ``size`` bytes of HTML to every socket, then say how many frames went."""
        sent = await abroadcast(GROUP, HTML("y" * size, target="#big"))
        return Toast(sent)

    @action
    def received(self, request: HttpRequest, text: str) -> Toast:
        return Toast(len(text))


application = ProtocolTypeRouter(
    {"http": django_asgi_app, "websocket": URLRouter([path("ws/limits/", LimitsConsumer.as_asgi())])}
)
