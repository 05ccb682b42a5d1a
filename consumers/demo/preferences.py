"""Multi-tab sync: per-user state changed in one tab follows in the user's other tabs."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.template.loader import render_to_string

from hyperchannels import HTML, Signal, action, send_to_user

from .models import Preferences

CATALOG = {"tea": "Tea", "coffee": "Coffee", "cake": "Cake"}
CART_MAX = 20


def preferences_of(user: AbstractBaseUser) -> Preferences:
    prefs, _ = Preferences.objects.get_or_create(user=user)
    return prefs


def cart_html(prefs: Preferences) -> str:
    return render_to_string("demo/_cart.html", {"cart": [CATALOG[i] for i in prefs.cart], "catalog": CATALOG})


class PreferencesActions:
    """Actions any page's consumer offers a signed-in user; mixed into HyperConsumers."""

    channel_name: str

    def _signed_in(self, request: HttpRequest) -> Any:
        if not request.user.is_authenticated:
            raise PermissionDenied("Sign in to keep preferences")
        return request.user

    def _everywhere(self, user: Any, items: list[Any]) -> list[Any]:
        """Send to the user's other tabs (this one gets the reply), then reply."""
        send_to_user(user, items, exclude=self.channel_name)
        return items

    @action
    def set_theme(self, request: HttpRequest, theme: str) -> list[Any]:
        user = self._signed_in(request)
        if theme not in Preferences.THEMES:
            raise ValidationError(f"Unknown theme {theme!r}")
        prefs = preferences_of(user)
        prefs.theme = theme
        prefs.save(update_fields=["theme"])
        return self._everywhere(user, [Signal("$theme", theme)])

    @action
    def add_to_cart(self, request: HttpRequest, item: str) -> list[Any]:
        user = self._signed_in(request)
        if item not in CATALOG:
            raise ValidationError("No such item")
        prefs = preferences_of(user)
        if len(prefs.cart) >= CART_MAX:
            raise ValidationError(f"The cart holds {CART_MAX} items at most")
        prefs.cart = [*prefs.cart, item]
        prefs.save(update_fields=["cart"])
        return self._everywhere(user, [HTML(cart_html(prefs), target="#cart", swap="outer")])

    @action
    def clear_cart(self, request: HttpRequest) -> list[Any]:
        user = self._signed_in(request)
        prefs = preferences_of(user)
        prefs.cart = []
        prefs.save(update_fields=["cart"])
        return self._everywhere(user, [HTML(cart_html(prefs), target="#cart", swap="outer")])
