"""ASGI app of the benchmark server, routed the way the README tells users to."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.project.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

from .consumers import BareBench, HyperBench  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            URLRouter(
                [
                    path("ws/hyper/", HyperBench.as_asgi()),
                    path("ws/bare/", BareBench.as_asgi()),
                ]
            )
        ),
    }
)
