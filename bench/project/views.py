"""HTTP-per-action: the same answer from a Django view, one POST per action."""

from __future__ import annotations

import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt


def _answer(request: HttpRequest) -> JsonResponse:
    payload = json.loads(request.body or b"{}")
    return JsonResponse({"id": payload.get("id"), "events": [{"event": "toast", "data": {"value": "ok"}}]})


@csrf_exempt
def action(request: HttpRequest) -> JsonResponse:
    """The strict contender: no CSRF check, no user; the least an HTTP action can cost."""
    return _answer(request)


def protected_action(request: HttpRequest) -> JsonResponse:
    """As an HTTP-per-action runtime serves it: CSRF-checked, and it asks who the user is."""
    if request.user.is_authenticated:  # anonymous here: the session is empty, no query
        raise AssertionError("the benchmark client has no session")
    return _answer(request)
