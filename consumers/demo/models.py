"""The example's data: boards of cards and per-user preferences (who is on a board is presence)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

TITLE_MAX = 80


class Board(models.Model):
    slug = models.SlugField(unique=True)

    def __str__(self) -> str:
        return self.slug

    @property
    def group(self) -> str:
        return f"board-{self.pk}"


class Card(models.Model):
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="cards")
    title = models.CharField(max_length=TITLE_MAX)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title


class Preferences(models.Model):
    """Per-user state that follows the user across tabs: a theme and a small cart."""

    THEMES = ["light", "dark"]
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    theme = models.CharField(max_length=10, default="light")
    cart = models.JSONField(default=list)
