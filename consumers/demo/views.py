import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from .models import Board, Card
from .preferences import CATALOG, preferences_of

# The board morphs with idiomorph when the repository's client tests installed it (`cd js && npm
# ci`); without it (e.g. the Docker image) patches replace, keeping focus and caret only.
IDIOMORPH = Path(__file__).resolve().parents[2] / "js" / "node_modules" / "idiomorph" / "dist"
IDIOMORPH /= "idiomorph.esm.js"


def idiomorph(request: HttpRequest) -> FileResponse:
    if not IDIOMORPH.is_file():
        raise Http404("idiomorph is not installed")
    return FileResponse(IDIOMORPH.open("rb"), content_type="text/javascript")


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
    context = {
        "board": board,
        "cards": cards,
        "idiomorph": IDIOMORPH.is_file(),
        "tab": uuid.uuid4().hex[:12],  # this page's id: its avatar says "you"
        **_prefs_context(request),
    }
    return render(request, "demo/board.html", context)


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
