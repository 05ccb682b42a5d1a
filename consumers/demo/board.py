"""The collaborative board: cards in the database, patched into every browser on the board."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.html import escape

from hyperchannels import HTML, Delete, Signal, action, broadcast
from hyperchannels.consumers import HyperConsumer

from .models import TITLE_MAX, Board, Card
from .preferences import PreferencesActions

logger = logging.getLogger("hyperchannels")


def card_html(card: Card) -> str:
    return render_to_string("demo/_card.html", {"card": card})


def cards_html(board: Board) -> str:
    return render_to_string("demo/_cards.html", {"cards": board.cards.all()})


def form_error(message: str = "") -> HTML:
    """The inline error under the board's form (empty: clear it); the message is text, escaped."""
    return HTML(escape(message), target="#form-error", swap="inner")


class InvalidInput(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


def clean_title(title: str) -> str:
    title = title.strip()
    if not title:
        raise InvalidInput("A card needs a title.")
    if len(title) > TITLE_MAX:
        raise InvalidInput(f"A title has at most {TITLE_MAX} characters ({len(title)} given).")
    return title


class BoardConsumer(PreferencesActions, HyperConsumer):
    """``/ws/board/<slug>/?tab=<id>``: every socket on a board is in the board's group and
    present in it (docs/presence.md): a signed-in user is one avatar however many tabs she has
    open; ``tab`` (the page's own id) lets a page tell which avatar is "you"."""

    board: Board

    async def connect(self) -> None:
        slug = self.scope["url_route"]["kwargs"]["slug"]
        self.board, _ = await Board.objects.aget_or_create(slug=slug)
        await super().connect()
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            name = user.get_username()
        else:
            name = f"Guest {self.channel_name[-4:]}"
        tab = parse_qs(self.scope.get("query_string", b"").decode()).get("tab", [""])[0][:32]
        # Closing the socket untracks it; the others see a leave PRESENCE_GRACE seconds later.
        await self.track(self.board.group, {"name": name, "tab": tab})

    def get_groups(self) -> list[str]:
        return [self.board.group]

    def _card(self, card: int) -> Card:
        found = Card.objects.filter(pk=card, board=self.board).first()
        if found is None:
            raise InvalidInput("No such card on this board.")
        return found

    def _to_others(self, *items: Any) -> None:
        broadcast(self.board.group, *items, exclude=self.channel_name)

    def _list_changed(self) -> list[Any]:
        """The whole list, to everyone on the board. Pages with a morph library morph it: a card
        someone is editing keeps its text, focus and caret while the others' cards arrive."""
        items = [
            HTML(cards_html(self.board), target="#cards", swap="inner"),
            Signal("board", {"cards": self.board.cards.count()}),
        ]
        self._to_others(*items)
        return items

    def _guarded(self, change: Any) -> list[Any]:
        try:
            with transaction.atomic():
                return [form_error(), *change()]
        except InvalidInput as invalid:
            return [form_error(invalid.message)]

    @action
    def add(self, request: HttpRequest, title: str) -> list[Any]:
        def change() -> list[Any]:
            top = self.board.cards.aggregate(top=Max("position"))["top"]
            card = Card.objects.create(
                board=self.board, title=clean_title(title), position=0 if top is None else top + 1
            )
            logger.info("card %s added to %s", card.pk, self.board.slug)
            cleared = HTML(render_to_string("demo/_new_title.html"), target="#new-title")
            return [*self._list_changed(), cleared]

        return self._guarded(change)

    @action
    def edit(self, request: HttpRequest, card: int, title: str) -> list[Any]:
        def change() -> list[Any]:
            found = self._card(card)
            found.title = clean_title(title)
            found.save(update_fields=["title"])
            patch = HTML(card_html(found), target=f"#card-{found.pk}")
            self._to_others(patch)
            return [patch]

        return self._guarded(change)

    @action
    def move(self, request: HttpRequest, card: int, direction: str) -> list[Any]:
        def change() -> list[Any]:
            if direction not in ("up", "down"):
                raise InvalidInput("Move a card up or down.")
            found = self._card(card)
            cards = list(self.board.cards.select_for_update())
            index = cards.index(found)
            other = index - 1 if direction == "up" else index + 1
            if 0 <= other < len(cards):
                cards[index], cards[other] = cards[other], cards[index]
                for position, each in enumerate(cards):
                    if each.position != position:
                        each.position = position
                        each.save(update_fields=["position"])
            patch = HTML(cards_html(self.board), target="#cards", swap="inner")
            self._to_others(patch)
            return [patch]

        return self._guarded(change)

    @action(login_required=True)  # an anonymous socket gets 401 (docs/security.md)
    def delete(self, request: HttpRequest, card: int) -> list[Any]:
        def change() -> list[Any]:
            found = self._card(card)
            target = f"#card-{found.pk}"
            found.delete()
            count = Signal("board", {"cards": self.board.cards.count()})
            self._to_others(Delete(target), count)
            return [Delete(target), count]

        return self._guarded(change)

    async def resync(self, request: HttpRequest, group: str) -> HTML | None:
        """The whole list again, for a page whose missed pushes can't be replayed (its socket
        was away longer than the board's history reaches, or Redis lost it). Every other
        reconnect replays exactly what was missed (docs/recovery.md)."""
        if group != self.board.group:
            return None
        return HTML(await sync_to_async(cards_html)(self.board), target="#cards", swap="inner")
