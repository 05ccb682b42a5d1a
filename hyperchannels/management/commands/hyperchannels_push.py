"""``manage.py hyperchannels_push``: push items to a group or a user from a shell or cron."""

from __future__ import annotations

import json
from typing import Any

from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...actions import HTML, Redirect, Signal, Toast
from ...broadcasting import broadcast
from ...exceptions import BroadcastError
from ...groups import user_group
from ...protocol import SWAPS

IN_MEMORY_REFUSAL = (
    "the channel layer is the in-memory one, which only reaches sockets of its own process: "
    "this command runs in a process of its own, so no socket would receive the push. "
    "Configure a Redis layer (the example project: run the demo with REDIS_URL set, and this "
    "command with the same REDIS_URL)."
)


class Command(BaseCommand):
    help = "Push a toast, an HTML patch, signals or a redirect to a group's or a user's sockets."

    from_shell = False

    def run_from_argv(self, argv: list[str]) -> None:
        """Run from a shell: a process with no sockets, so an in-memory layer can reach none.

        ``call_command`` from inside a server process (a view, a test) skips this and may use
        the in-memory layer: there the sockets share the process.
        """
        self.from_shell = True
        super().run_from_argv(argv)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("group", nargs="?", help="the group to push to (or use --user)")
        parser.add_argument("--user", help="a username or primary key: push to every tab of that user")
        parser.add_argument("--toast", help="a toast message (text, or JSON for an object payload)")
        parser.add_argument("--html", help="HTML content to patch (with --target and --swap)")
        parser.add_argument("--target", help="CSS selector of the element --html patches")
        parser.add_argument("--swap", default="outer", choices=SWAPS)
        parser.add_argument(
            "--signal",
            action="append",
            default=[],
            metavar="NAME=JSON",
            help="set an Alpine signal; may be repeated",
        )
        parser.add_argument("--redirect", help="navigate the receiving pages to this URL")

    def handle(self, *args: Any, **options: Any) -> None:
        group = self._group(options["group"], options["user"])
        items = self._items(options)
        if not items:
            raise CommandError("nothing to push: give --toast, --html, --signal or --redirect")
        if self.from_shell and isinstance(get_channel_layer(), InMemoryChannelLayer):
            raise CommandError(IN_MEMORY_REFUSAL)
        try:
            frames = broadcast(group, *items)
        except BroadcastError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"pushed {frames} event(s) to {group}")

    def _group(self, group: str | None, user: str | None) -> str:
        if (group is None) == (user is None):
            raise CommandError("give either a GROUP or --user")
        if group is not None:
            return group
        assert user is not None
        model = get_user_model()
        found = model._default_manager.filter(**{model.USERNAME_FIELD: user}).first()
        if found is None and user.isdigit():
            found = model._default_manager.filter(pk=int(user)).first()
        if found is None:
            raise CommandError(f"no user {user!r}")
        return user_group(found)

    def _items(self, options: dict[str, Any]) -> list[Any]:
        items: list[Any] = []
        if options["toast"] is not None:
            items.append(Toast(_json_or_text(options["toast"])))
        if options["html"] is not None:
            if not options["target"]:
                raise CommandError("--html needs --target")
            items.append(HTML(options["html"], target=options["target"], swap=options["swap"]))
        for signal in options["signal"]:
            name, sep, raw = signal.partition("=")
            if not sep or not name:
                raise CommandError(f"--signal takes NAME=JSON, not {signal!r}")
            items.append(Signal(name, _json_or_text(raw)))
        if options["redirect"]:
            items.append(Redirect(options["redirect"]))
        return items


def _json_or_text(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw
