"""The handshake request actions receive, Origin checks and system checks (docs/actions.md)."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from django.core.checks import run_checks
from django.test import override_settings

from hyperchannels import action
from hyperchannels.consumers import HyperConsumer
from hyperchannels.testing import ActionCommunicator
from tests.app.asgi import application, websocket_app


def _signed_in_cookie() -> str:
    user = User.objects.create_user("ann", password="pw")
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}; flavour=mint"


@pytest.mark.django_db(transaction=True)
async def test_request_carries_user_session_path_query_cookies_and_headers() -> None:
    cookie = await sync_to_async(_signed_in_cookie)()
    comm = ActionCommunicator(
        websocket_app,
        "/ws/core/?q=search+me",
        headers=[(b"cookie", cookie.encode()), (b"x-test", b"yes"), (b"host", b"localhost")],
    )
    assert (await comm.connect())[0]
    events = await comm.call("whoami")
    assert events[0] == (
        "patch_signals",
        {
            "path": "/ws/core/",
            "q": "search me",
            "cookie": "mint",
            "header": "yes",
            "user": "ann",
            "is_secure": False,
            "has_scope": True,
            "has_consumer": True,
            "method": "GET",
        },
    )
    # A template rendered with the request sees the user, the path and a CSRF token.
    (event, data), end = await comm.call("context", target="#f")
    assert event == "patch_html" and end == ("end", {})
    assert 'name="csrfmiddlewaretoken"' in data["content"]
    assert '<span id="user">ann</span>' in data["content"]
    assert '<span id="path">/ws/core/</span>' in data["content"]
    await comm.disconnect()


async def test_secure_socket_makes_a_secure_request() -> None:
    comm = ActionCommunicator(websocket_app, "/ws/core/")
    comm.scope["scheme"] = "wss"
    await comm.connect()
    assert (await comm.call("whoami"))[0][1]["is_secure"] is True
    await comm.disconnect()


@pytest.mark.parametrize(
    "origin, accepted",
    [
        (None, True),
        (b"http://localhost", True),
        (b"https://localhost:8443", True),
        (b"http://127.0.0.1:8000", True),
        (b"https://evil.example", False),
        (b"http://localhost.evil.example", False),
        (b"null", False),
        (b"http://localhost:notaport", False),
    ],
)
async def test_consumer_itself_refuses_foreign_origins(origin: bytes | None, accepted: bool) -> None:
    # websocket_app has no AllowedHostsOriginValidator: the consumer checks on its own.
    headers = [(b"origin", origin)] if origin is not None else []
    comm = ActionCommunicator(websocket_app, "/ws/core/", headers=headers)
    connected, code = await comm.connect()
    assert connected is accepted
    if not accepted:
        assert code == 4403
    else:
        await comm.disconnect()


async def test_routing_as_documented_refuses_foreign_origins() -> None:
    comm = ActionCommunicator(application, "/ws/core/", headers=[(b"origin", b"https://evil.example")])
    connected, _ = await comm.connect()
    assert not connected


def test_checks_warn_without_channel_layers() -> None:
    with override_settings(CHANNEL_LAYERS={}):
        ids = [m.id for m in run_checks()]
    assert "hyperchannels.W001" in ids
    assert "hyperchannels.W001" not in [m.id for m in run_checks()]


def test_checks_report_two_actions_with_one_name() -> None:
    class Clash(HyperConsumer):
        @action("save")
        def first(self, request: Any) -> None: ...

        @action("save")
        def second(self, request: Any) -> None: ...

    messages = [m for m in run_checks() if m.id == "hyperchannels.E001"]
    assert any(m.obj is Clash and "'save'" in m.msg for m in messages)
    del Clash


def test_hyperchannels_script_tag_loads_the_shipped_module() -> None:
    from django.template import engines

    html = engines["django"].from_string("{% load hyperchannels %}{% hyperchannels_script %}").render({})
    assert html == '<script type="module" src="/static/hyperchannels/hyperchannels.js"></script>'
