"""What a client may call: the ``@action`` marker and each consumer class's action registry.

What an action returns (the items) lives in ``items``; this module re-exports them so
``from hyperchannels.actions import action, HTML, Toast`` works as documented
(docs/actions.md, "@action").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

from django.core.exceptions import ImproperlyConfigured

from .binding import Binder
from .items import HTML, ActionItem, Actions, Delete, Event, History, LoadJS, Redirect, Signal, Signals, Toast

__all__ = [
    "HTML",
    "ActionItem",
    "Actions",
    "Delete",
    "Event",
    "History",
    "LoadJS",
    "Redirect",
    "Signal",
    "Signals",
    "Toast",
    "ActionSpec",
    "action",
    "action_spec",
    "collect_actions",
]

F = TypeVar("F", bound=Callable[..., Any])

MARK_ATTR = "hyper_action"
"""The attribute ``@action`` sets on a function: its ``ActionSpec``."""


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """What ``@action`` says of one method: the name the client calls it by, and who may call it
    (docs/security.md, "Who may act")."""

    name: str
    login_required: bool = False
    """An anonymous socket gets 401 and the method does not run."""
    permissions: tuple[str, ...] = ()
    """A user without every one of these (``user.has_perm``) gets 403 and the method does not run."""


def _permissions(permission: str | Iterable[str] | None) -> tuple[str, ...]:
    if permission is None:
        return ()
    try:
        names = (permission,) if isinstance(permission, str) else tuple(permission)
    except TypeError:
        raise TypeError(
            f"@action(permission=...) takes a permission name or a list of them, not {permission!r}"
        ) from None
    for name in names:
        if not isinstance(name, str) or name.count(".") != 1 or "" in name.split("."):
            raise TypeError(
                f"@action(permission=...) takes \"app_label.codename\" strings (one or a list), not {name!r}"
            )
    if not names:
        raise TypeError("@action(permission=...) got an empty list: name at least one permission, or drop it")
    return names


@overload
def action(func: F, /) -> F: ...
@overload
def action(
    name: str | None = None,
    /,
    *,
    login_required: bool = False,
    permission: str | Iterable[str] | None = None,
) -> Callable[[F], F]: ...
def action(
    arg: Any = None,
    /,
    *,
    login_required: bool = False,
    permission: str | Iterable[str] | None = None,
) -> Any:
    """Mark a consumer method as callable from the socket, under its own or a given name.

    Only methods marked this way are ever reachable by a client. ``@action``, ``@action("name")``
    and ``@action("name", login_required=True, permission="app.codename")`` all work; a bad
    option is a ``TypeError`` when the class is written, never at a call.
    """
    if callable(arg):
        setattr(arg, MARK_ATTR, ActionSpec(arg.__name__))
        return arg
    if arg is not None and (not isinstance(arg, str) or not arg):
        raise TypeError("@action takes a non-empty action name, or no argument")
    if not isinstance(login_required, bool):
        raise TypeError(f"@action(login_required=...) takes True or False, not {login_required!r}")
    permissions = _permissions(permission)

    def mark(func: F) -> F:
        setattr(func, MARK_ATTR, ActionSpec(arg or func.__name__, login_required, permissions))
        return func

    return mark


def action_spec(obj: object) -> ActionSpec | None:
    """The ``ActionSpec`` of a function marked with ``@action``, else ``None``."""
    spec = getattr(obj, MARK_ATTR, None)
    return spec if isinstance(spec, ActionSpec) else None


@dataclass(frozen=True, slots=True)
class Registry:
    """One consumer class's actions: runtime name -> attribute name and binder."""

    attributes: dict[str, str]
    binders: dict[str, Binder]
    conflicts: list[str]
    """Runtime names two methods of one class claim (reported by a system check)."""
    specs: dict[str, ActionSpec] = field(default_factory=dict)
    """Runtime name -> what its ``@action`` said (who may call it)."""


def collect_actions(cls: type, reserved: Iterable[str] = ()) -> Registry:
    """The actions of ``cls``, checked when the class is defined.

    Raises ``ImproperlyConfigured`` for an ``@action`` method whose attribute name is one of
    ``reserved`` (a method the runtime or Channels calls, such as ``send``: the action would
    replace it) and for one that can't take ``(self, request)``.
    """
    reserved = set(reserved)
    attributes: dict[str, str] = {}
    specs: dict[str, ActionSpec] = {}
    conflicts: list[str] = []
    for klass in reversed(cls.__mro__):
        claimed: set[str] = set()
        for attribute, value in vars(klass).items():
            # Redefining a method without @action takes its action away.
            for name in [n for n, a in attributes.items() if a == attribute]:
                del attributes[name]
            spec = action_spec(value)
            if spec is None:
                continue
            if attribute in reserved:
                raise ImproperlyConfigured(
                    f"{klass.__module__}.{klass.__qualname__}.{attribute} is an @action, but "
                    f"{attribute}() is a method the consumer itself needs. Name the method "
                    f'otherwise and keep the action\'s name: @action("{spec.name}") '
                    f"def {attribute}_action(self, request, ...)."
                )
            if spec.name in claimed:
                conflicts.append(spec.name)
            claimed.add(spec.name)
            attributes[spec.name] = attribute
            specs[spec.name] = spec
    binders: dict[str, Binder] = {}
    for name, attribute in attributes.items():
        func = getattr(cls, attribute)
        try:
            binders[name] = Binder(func)
        except TypeError as exc:
            raise ImproperlyConfigured(f"{cls.__module__}.{cls.__qualname__}: {exc}") from None
    return Registry(attributes, binders, conflicts, {name: specs[name] for name in attributes})
