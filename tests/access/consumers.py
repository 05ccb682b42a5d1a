"""Consumers of the access tests: actions guarded by sign-in and permissions."""

from __future__ import annotations

from typing import Any, ClassVar

from hyperchannels import HyperConsumer, Toast, action


class GuardedConsumer(HyperConsumer):
    """Records each call that ran, so a test sees that a refused one never did."""

    groups: ClassVar[list[str]] = ["room"]
    ran: ClassVar[list[str]] = []

    @action
    def open(self, request: Any) -> Toast:
        self.ran.append("open")
        return Toast("open")

    @action(login_required=True)
    async def mine(self, request: Any) -> Toast:
        self.ran.append("mine")
        return Toast(request.user.username)

    @action("see_users", permission="auth.view_user")
    def see(self, request: Any) -> Toast:
        self.ran.append("see_users")
        return Toast("seen")

    @action(permission=["auth.view_user", "auth.change_user"])
    def edit_users(self, request: Any) -> Toast:
        self.ran.append("edit_users")
        return Toast("edited")


class TimedRoomConsumer(HyperConsumer):
    """A room per URL; ``flood`` pushes timestamped frames to it (the slow-reader measure)."""

    def room(self) -> str:
        return f"room-{self.scope['url_route']['kwargs']['room']}"

    async def get_groups(self) -> list[str]:  # type: ignore[override]
        return [self.room()]

    @action
    async def flood(self, request: Any, count: int, size: int) -> Toast:
        """``count`` pushes of about ``size`` bytes, each carrying the wall time it was sent at."""
        import time

        from hyperchannels import abroadcast

        pad = "x" * size
        for n in range(count):
            await abroadcast(self.room(), Toast({"n": n, "t": time.time(), "pad": pad}))
        return Toast("flooded")

    @action
    async def echo(self, request: Any) -> Toast:
        return Toast("echo")
