"""The pages and the consumer of the DOM tests (tests/browser/test_dom.py): morphing, the swap
lifecycle, Back/Forward, CSP, deep signals. Morph libraries come from js/node_modules (npm
devDependencies of js/package.json), served under /node_modules/."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, re_path
from django.utils.html import escape
from django.views.static import serve

from hyperchannels import HTML, History, LoadJS, Signal, Signals, abroadcast, action
from hyperchannels.consumers import HyperConsumer

GROUP = "browser-dom"
NODE_MODULES = Path(__file__).resolve().parent.parent.parent / "js" / "node_modules"
MORPHS = {
    "idiomorph": "import { Idiomorph } from '/node_modules/idiomorph/dist/idiomorph.esm.js';"
    " window.Idiomorph = Idiomorph;",
    "morphdom": "import morphdom from '/node_modules/morphdom/dist/morphdom-esm.js';"
    " window.morphdom = morphdom;",
}


def cards_html(titles: list[str]) -> str:
    return "".join(
        f'<li id="card-{i}"><input id="card-{i}-title" name="title" value="{escape(t)}"></li>'
        for i, t in enumerate(titles, 1)
    )


def dom_page(request: HttpRequest, rest: str = "") -> HttpResponse:
    """``?morph=alpine|idiomorph|morphdom`` (none by default), ``alpine=1``, ``strict=1``."""
    morph = request.GET.get("morph", "")
    context = {
        "morph": morph,
        "morph_js": MORPHS.get(morph, ""),
        "alpine": request.GET.get("alpine") == "1" or morph == "alpine",
        "strict": request.GET.get("strict") == "1",
        "cards": cards_html(["one", "two"]),
        "content": "page two" if rest == "two" else "home",
    }
    return render(request, "browser/dom.html", context)


def csp_page(request: HttpRequest) -> HttpResponse:
    """A page under a strict nonce policy: only scripts carrying this response's nonce run."""
    nonce = secrets.token_urlsafe(16)
    response = render(request, "browser/csp.html", {"nonce": nonce, "meta": request.GET.get("meta") == "1"})
    response["Content-Security-Policy"] = f"script-src 'nonce-{nonce}'"
    return response


def csp_js(request: HttpRequest, name: str) -> HttpResponse:
    return HttpResponse(f"window.ran = [...(window.ran || []), {name!r}];", content_type="text/javascript")


class DomConsumer(HyperConsumer):
    def get_groups(self) -> list[str]:
        return [GROUP]

    @action
    async def add_card(self, request: HttpRequest, titles: list[str]) -> None:
        """Bob's new card: every page on the group gets the whole list again (``inner``)."""
        await abroadcast(
            GROUP, HTML(cards_html(titles), target="#cards", swap="inner"), exclude=self.channel_name
        )

    @action
    async def panel(self, request: HttpRequest, label: str) -> HTML:
        content = (
            f'<div id="panel" x-data="{{ open: false, count: 0 }}"><p id="label">{escape(label)}</p>'
            '<button id="toggle" @click="open = !open; count++">toggle</button>'
            '<span id="state" x-text="open + \' \' + count"></span></div>'
        )
        return HTML(content, target="#panel", swap="outer")

    @action
    async def lifecycle(self, request: HttpRequest) -> HTML:
        return HTML(
            '<p id="new" hyper-view-transition-name="hero">new</p>',
            target="#box",
            swap="inner",
            swap_delay=300,
            settle_delay=300,
        )

    @action
    async def missing(self, request: HttpRequest) -> HTML:
        return HTML("<p>x</p>", target="#nowhere")

    @action
    async def invalid(self, request: HttpRequest) -> HTML:
        form = (
            '<form id="box"><input name="first" required>'
            '<ul class="errorlist"><li>This field is required.</li></ul>'
            '<textarea name="body"></textarea></form>'
        )
        return HTML(form, target="#box", focus="first-invalid")

    @action
    async def navigate(self, request: HttpRequest) -> list[Any]:
        return [HTML("page two", target="#main", swap="inner"), History(push_url="/dom/two/")]

    @action
    async def load(self, request: HttpRequest, name: str) -> LoadJS:
        return LoadJS(f"/dom/js/{name}.js")

    @action
    async def signals(self, request: HttpRequest, step: int) -> list[Any]:
        if step == 1:
            return [Signal("stats", {"present": 2, "by": {"ann": 3}}), Signals({"$board": {"theme": "dark"}})]
        return [Signal("stats", {"by": {"bob": 5}}), Signals({"$board": {"name": "Sprint"}})]


urlpatterns = [
    re_path(r"^node_modules/(?P<path>.*)$", serve, {"document_root": NODE_MODULES}),
    path("dom/", dom_page),
    re_path(r"^dom/(?P<rest>two)/$", dom_page),
    path("dom/csp/", csp_page),
    re_path(r"^dom/js/(?P<name>[a-z]+)\.js$", csp_js),
]
