"""The recovery page: a list that a group's broadcasts append to, and a view that broadcasts.

Each test names its own group (``recovery-<name>``), so the daphne process the module shares keeps
their histories apart. The page connects to the socket URL it is given (a dropping proxy in front
of daphne), at once or when the test calls ``window.go()``, with the positions it was rendered at.
"""

from __future__ import annotations

from channels.layers import get_channel_layer
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.html import format_html

from hyperchannels import HTML, abroadcast
from hyperchannels.consumers import HyperConsumer
from hyperchannels.history import positions_now


def group_of(name: str) -> str:
    return f"recovery-{name}"


def stream_of(name: str) -> str:
    """The group a page joins by ``subscribe`` (a signed token), not by its consumer."""
    return f"stream-{name}"


class RecoveryConsumer(HyperConsumer):
    def get_groups(self) -> list[str]:
        return [group_of(self.scope["url_route"]["kwargs"]["name"])]

    async def resync(self, request: HttpRequest, group: str) -> HTML:
        """What the page's list is once its missed pushes can't be replayed."""
        return HTML(format_html("<li>resynced {}</li>", group), target="#items", swap="inner")


def recovery_page(request: HttpRequest, name: str) -> HttpResponse:
    group = group_of(name)
    positions = {g: p.as_json() for g, p in positions_now(get_channel_layer(), [group]).items()}
    context = {
        "name": name,
        "group": group,
        "positions": positions,
        "socket": request.GET.get("socket", f"/ws/recovery/{name}/"),
        "defer": request.GET.get("defer") == "1",
        "stream": stream_of(name) if request.GET.get("stream") == "1" else "",
    }
    return render(request, "browser/recovery.html", context)


async def broadcast_item(request: HttpRequest, name: str) -> HttpResponse:
    """One push to the group (``?stream=1``: the stream's group): an item appended to the list."""
    text = request.GET["text"]
    group = stream_of(name) if request.GET.get("stream") == "1" else group_of(name)
    await abroadcast(group, HTML(format_html("<li>{}</li>", text), target="#items", swap="append"))
    return HttpResponse("sent")


urlpatterns = [
    path("recovery/<slug:name>/", recovery_page),
    path("recovery/<slug:name>/broadcast/", broadcast_item),
]
websocket_urlpatterns = [path("ws/recovery/<slug:name>/", RecoveryConsumer.as_asgi())]
