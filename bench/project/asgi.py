"""ASGI app of the benchmark server, routed the way the README tells users to."""

import json
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.project.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

from .consumers import BareBench, HyperBench  # noqa: E402


async def raw_floor(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
    """The floor: daphne and a bare ASGI app giving the same two frames; no Channels at all."""
    await receive()  # type: ignore[operator]
    await send({"type": "websocket.accept"})  # type: ignore[operator]
    while True:
        message = await receive()  # type: ignore[operator]
        if message["type"] != "websocket.receive":
            return
        invocation = json.loads(message["text"])["id"]
        await send(
            {
                "type": "websocket.send",
                "text": json.dumps(  # type: ignore[operator]
                    {"id": invocation, "event": "toast", "data": {"value": "ok"}}
                ),
            }
        )
        await send(
            {
                "type": "websocket.send",
                "text": json.dumps(  # type: ignore[operator]
                    {"id": invocation, "event": "end", "data": {}}
                ),
            }
        )


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            URLRouter(
                [
                    path("ws/hyper/", HyperBench.as_asgi()),
                    path("ws/bare/", BareBench.as_asgi()),
                    path("ws/raw/", raw_floor),
                ]
            )
        ),
    }
)
