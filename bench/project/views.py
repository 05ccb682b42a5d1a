"""HTTP-per-action: the same answer from a Django view, one POST per action."""

from __future__ import annotations

import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def action(request: HttpRequest) -> JsonResponse:
    payload = json.loads(request.body or b"{}")
    return JsonResponse({"id": payload.get("id"), "events": [{"event": "toast", "data": {"value": "ok"}}]})
