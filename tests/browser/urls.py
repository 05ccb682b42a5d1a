from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, re_path
from django.views.generic import TemplateView
from django.views.static import serve

from .dom import urlpatterns as dom_urlpatterns
from .recovery import urlpatterns as recovery_urlpatterns

ROOT = Path(__file__).resolve().parent.parent.parent
ALPINE = ROOT / "js" / "node_modules" / "alpinejs" / "dist"


def page(request: HttpRequest, rest: str = "") -> HttpResponse:
    return render(request, "browser/page.html", {"alpine": request.GET.get("alpine") == "1"})


def calls(request: HttpRequest) -> HttpResponse:
    return render(request, "browser/calls.html")


def loaded_js(request: HttpRequest) -> HttpResponse:
    return HttpResponse("window.loadedCount = (window.loadedCount || 0) + 1;", content_type="text/javascript")


urlpatterns = [
    re_path(r"^static/(?P<path>.*)$", serve, {"document_root": ROOT / "hyperchannels" / "static"}),
    re_path(r"^alpine/(?P<path>.*)$", serve, {"document_root": ALPINE}),
    path("assets/loaded.js", loaded_js),
    path("", page),
    path("calls/", calls),
    path("heartbeat/", TemplateView.as_view(template_name="browser/heartbeat.html")),
    re_path(r"^(?P<rest>pushed|landed)/$", page),
]
urlpatterns += dom_urlpatterns
urlpatterns += recovery_urlpatterns
