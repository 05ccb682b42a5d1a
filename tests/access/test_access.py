"""Who may act, closing and revoking, user-bound stream tokens, the rate limit (docs/security.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import AnonymousUser, Permission, User
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.test import override_settings

from hyperchannels import (
    Toast,
    abroadcast,
    aclose_group,
    aclose_user_sockets,
    action,
    arevoke,
    close_group,
    sign_stream,
)
from hyperchannels.actions import action_spec
from hyperchannels.testing import ActionCommunicator
from tests.access.consumers import GuardedConsumer

pytestmark = pytest.mark.django_db(transaction=True)

APP = GuardedConsumer.as_asgi()


def as_user(user: Any) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await APP({**scope, "user": user}, receive, send)

    return app


@asynccontextmanager
async def socket(user: Any = None) -> AsyncIterator[ActionCommunicator]:
    comm = ActionCommunicator(as_user(user or AnonymousUser()), "/ws/guarded/")
    connected, code = await comm.connect(timeout=5)
    assert connected, code
    try:
        yield comm
    finally:
        await comm.disconnect(timeout=5)


async def closed_with(comm: ActionCommunicator) -> int | None:
    """The close code the server sent next (frames before it are skipped)."""
    while True:
        message = await comm.receive_output(5)
        if message["type"] == "websocket.close":
            return message.get("code")  # type: ignore[no-any-return]


async def revoked(comm: ActionCommunicator) -> Any:
    """The next protocol push that is not ``positions``."""
    while True:
        event, data = await comm.receive_protocol_push()
        if event != "positions":
            return event, data


async def stays_open(comm: ActionCommunicator) -> bool:
    """Open: a ping is still answered (a closed socket would send its close first)."""
    return await comm.ping() == [("end", {})]


@sync_to_async
def make_user(name: str, *codenames: str) -> User:
    user = User.objects.create_user(name, password="pw")
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return User.objects.get(pk=user.pk)  # a fresh object: no cached permissions


@pytest.fixture(autouse=True)
def forget_calls() -> None:
    GuardedConsumer.ran.clear()


async def test_login_required_refuses_an_anonymous_socket_with_401_and_never_runs() -> None:
    async with socket() as comm:
        assert await comm.call("mine") == [("error", {"status": 401, "message": "Login required"})]
        assert await comm.call("open") == [("toast", {"value": "open"}), ("end", {})]
    ann = await make_user("ann")
    async with socket(ann) as comm:
        assert await comm.call("mine") == [("toast", {"value": "ann"}), ("end", {})]
    assert GuardedConsumer.ran == ["open", "mine"]


async def test_permission_needs_every_named_permission_else_403() -> None:
    nobody = await make_user("nobody")
    viewer = await make_user("viewer", "view_user")
    editor = await make_user("editor", "view_user", "change_user")
    forbidden = [("error", {"status": 403, "message": "Forbidden"})]
    async with socket() as comm:
        assert await comm.call("see_users") == forbidden
    async with socket(nobody) as comm:
        assert await comm.call("see_users") == forbidden
        assert await comm.call("edit_users") == forbidden
    async with socket(viewer) as comm:
        assert await comm.call("see_users") == [("toast", {"value": "seen"}), ("end", {})]
        assert await comm.call("edit_users") == forbidden
    async with socket(editor) as comm:
        assert await comm.call("edit_users") == [("toast", {"value": "edited"}), ("end", {})]
    assert GuardedConsumer.ran == ["see_users", "edit_users"]


def test_action_options_are_checked_when_the_class_is_written() -> None:
    def method(self: Any, request: Any) -> None: ...

    spec = action_spec(action("named", login_required=True, permission="a.b")(method))
    assert spec is not None
    assert (spec.name, spec.login_required, spec.permissions) == ("named", True, ("a.b",))
    spec = action_spec(action(permission=("a.b", "c.d"))(method))
    assert spec is not None and spec.permissions == ("a.b", "c.d") and not spec.login_required
    for bad in ["nodot", "a.b.c", ".b", 5, [], ["a.b", None]]:
        with pytest.raises(TypeError, match="permission"):
            action(permission=bad)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="login_required"):
        action(login_required="yes")  # type: ignore[call-overload]


async def test_close_group_closes_every_socket_of_the_group_with_its_code() -> None:
    async with socket() as a, socket() as b:
        await aclose_group("room", 4321)
        assert await closed_with(a) == 4321
        assert await closed_with(b) == 4321
    async with socket() as c:
        await aclose_group("elsewhere")
        assert await stays_open(c)
        await aclose_group("room")
        assert await closed_with(c) == 4000
    with pytest.raises(ValueError, match="close code"):
        await aclose_group("room", 1006)


async def test_close_group_inside_a_transaction_waits_for_the_commit() -> None:
    def rolled_back() -> None:
        try:
            with transaction.atomic():
                close_group("room")
                raise RuntimeError("rollback")
        except RuntimeError:
            pass

    def committed() -> None:
        with transaction.atomic():
            close_group("room", 4001)

    async with socket() as comm:
        await sync_to_async(rolled_back)()
        assert await stays_open(comm)
        await sync_to_async(committed)()
        assert await closed_with(comm) == 4001


async def test_a_users_sockets_close_with_4401_on_demand_and_on_logout() -> None:
    ann, bob = await make_user("ann"), await make_user("bob")
    async with socket(ann) as one, socket(ann) as two, socket(bob) as other:
        await aclose_user_sockets(ann)
        assert await closed_with(one) == 4401
        assert await closed_with(two) == 4401
        assert await stays_open(other)
    async with socket(ann) as tab:
        await sync_to_async(user_logged_out.send)(sender=User, request=None, user=ann)
        assert await closed_with(tab) == 4401
    with override_settings(HYPERCHANNELS={"CLOSE_ON_LOGOUT": False}):
        async with socket(ann) as tab:
            await sync_to_async(user_logged_out.send)(sender=User, request=None, user=ann)
            assert await stays_open(tab)
            assert await tab.call("mine") == [("toast", {"value": "ann"}), ("end", {})]


async def test_revoke_takes_sockets_out_of_the_group_and_tells_them() -> None:
    ann, bob = await make_user("ann"), await make_user("bob")
    token = await sync_to_async(sign_stream)("board")
    async with socket(ann) as a, socket(bob) as b:
        for comm in (a, b):
            assert (await comm.subscribe(token))[-1][0] == "end"
        await arevoke("board", user=ann)
        assert await revoked(a) == ("revoked", {"group": "board"})
        await abroadcast("board", Toast("after"))
        assert await b.receive_push() == ("toast", {"value": "after"})
        assert await stays_open(a)
        assert a._pushes == type(a._pushes)(), "a revoked socket gets no more of the group's pushes"
        await arevoke("board")
        assert await revoked(b) == ("revoked", {"group": "board"})
        # the server-chosen group is revoked just the same
        await arevoke("room")
        assert await revoked(a) == ("revoked", {"group": "room"})


async def test_a_token_signed_for_a_user_subscribes_only_that_users_sockets() -> None:
    ann, bob = await make_user("ann"), await make_user("bob")
    token = await sync_to_async(sign_stream)("private", user=ann)
    refused = [("error", {"status": 403, "message": "Forbidden"})]
    async with socket(ann) as a, socket(bob) as b, socket() as anonymous:
        assert (await a.subscribe(token))[-1][0] == "end"
        assert await b.subscribe(token) == refused
        assert await anonymous.subscribe(token) == refused
    with pytest.raises(ValueError, match="saved user"):
        await sync_to_async(sign_stream)("private", user=AnonymousUser())


async def test_frames_over_the_rate_limit_get_429_and_do_not_run() -> None:
    with override_settings(HYPERCHANNELS={"RATE_LIMIT": (0.001, 3)}):
        async with socket() as comm:
            ids = [await comm.send_action("open") for _ in range(5)]
            replies = [await comm.receive_until_terminal(i) for i in ids]
            # Pings are not action frames: never limited.
            assert await stays_open(comm)
    assert replies[:3] == [[("toast", {"value": "open"}), ("end", {})]] * 3
    assert replies[3:] == [[("error", {"status": 429, "message": "Too many actions"})]] * 2
    assert GuardedConsumer.ran == ["open"] * 3
