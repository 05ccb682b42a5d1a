from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .models import Board, Card
from .preferences import CATALOG, preferences_of


def _prefs_context(request: HttpRequest) -> dict[str, object]:
    if not request.user.is_authenticated:
        return {"theme": "light"}
    prefs = preferences_of(request.user)
    return {"theme": prefs.theme, "cart": [CATALOG[i] for i in prefs.cart], "catalog": CATALOG}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    context = {**_prefs_context(request), "redis_url": settings.REDIS_URL}
    return render(request, "demo/home.html", context)


def board(request: HttpRequest, slug: str) -> HttpResponse:
    board, _ = Board.objects.get_or_create(slug=slug)
    cards = Card.objects.filter(board=board)
    return render(request, "demo/board.html", {"board": board, "cards": cards, **_prefs_context(request)})


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
