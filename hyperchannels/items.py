"""Action items: what an action returns and a broadcast sends (docs/actions.md, "Items").

Each item knows the one event it becomes (``ActionItem.to_event``); ``Actions`` groups items.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from . import protocol
from .protocol import EventName
from .types import EventData, EventPair


class ActionItem:
    """Base of every item an action returns or a broadcast sends.

    ``to_event()`` gives the event it becomes on the wire (docs/protocol.md, "Event data"):
    the event name and its data, fields that are ``None`` left out.
    """

    event: ClassVar[str]

    def to_event(self) -> EventPair:
        """``(event name, data)`` of this item, before JSON encoding."""
        return self.event, self._data()

    def _data(self) -> EventData:
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)  # type: ignore[arg-type]
            if getattr(self, f.name) is not None
        }


def _non_empty(kind: str, field: str, value: object) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{kind}.{field} must be a non-empty string, not {value!r}")


def _delay(name: str, value: int | None) -> None:
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"HTML.{name} must be an int of milliseconds, not {value!r}")
    if value < 0:
        raise ValueError(f"HTML.{name} must not be negative, not {value}")


@dataclass(frozen=True)
class HTML(ActionItem):
    """Swap ``content`` into the element matching ``target`` (``swap`` says how)."""

    content: str | None = None
    target: str | None = None
    swap: str = protocol.DEFAULT_SWAP
    transition: bool = False
    focus: str | None = None
    swap_delay: int | None = None
    settle_delay: int | None = None
    strict_targets: bool | None = None

    event: ClassVar[str] = EventName.PATCH_HTML

    def __post_init__(self) -> None:
        if self.swap in protocol.SWAP_ALIASES:
            object.__setattr__(self, "swap", protocol.SWAP_ALIASES[self.swap])
        if self.swap not in protocol.SWAPS:
            raise ValueError(
                f"HTML.swap must be one of {', '.join(protocol.SWAPS)} (or an alias: "
                f"{', '.join(protocol.SWAP_ALIASES)}), not {self.swap!r}"
            )
        if self.content is not None and not isinstance(self.content, str):
            raise TypeError(f"HTML.content must be a str, not {type(self.content).__name__}")
        if self.target is not None and not isinstance(self.target, str):
            raise TypeError(f"HTML.target must be a str, not {type(self.target).__name__}")
        _delay("swap_delay", self.swap_delay)
        _delay("settle_delay", self.settle_delay)


@dataclass(frozen=True)
class Delete(ActionItem):
    """Remove the element matching ``target``."""

    target: str
    event: ClassVar[str] = EventName.PATCH_HTML

    def __post_init__(self) -> None:
        _non_empty("Delete", "target", self.target)

    def _data(self) -> EventData:
        return HTML("", target=self.target, swap="delete")._data()


@dataclass(frozen=True)
class Event(ActionItem):
    """Dispatch a DOM ``CustomEvent`` on ``target`` (or ``window``)."""

    name: str
    payload: dict[str, Any] | None = None
    target: str | None = None
    event: ClassVar[str] = EventName.DISPATCH_EVENT

    def __post_init__(self) -> None:
        _non_empty("Event", "name", self.name)


@dataclass(frozen=True)
class Toast(ActionItem):
    """A notification; the page shows ``payload`` however it likes (``hyper:toast``)."""

    payload: Any
    event: ClassVar[str] = EventName.TOAST

    def _data(self) -> EventData:
        """A dict payload is the event's data itself, as HyperDjango sends it, so a page's
        ``hyper:toast`` listener reads ``detail.message`` unchanged; any other payload is
        ``{"value": payload}`` (nothing for ``None``)."""
        if isinstance(self.payload, dict):
            return dict(self.payload)
        return {} if self.payload is None else {"value": self.payload}


@dataclass(frozen=True)
class Redirect(ActionItem):
    """Navigate the page; terminal: nothing after it is delivered."""

    url: str
    replace: bool = False
    event: ClassVar[str] = EventName.REDIRECT

    def __post_init__(self) -> None:
        _non_empty("Redirect", "url", self.url)


@dataclass(frozen=True)
class History(ActionItem):
    """Change the address bar without navigating."""

    push_url: str | None = None
    replace_url: str | None = None
    event: ClassVar[str] = EventName.HISTORY

    def __post_init__(self) -> None:
        if self.push_url is None and self.replace_url is None:
            raise ValueError("History needs push_url or replace_url")


@dataclass(frozen=True)
class LoadJS(ActionItem):
    """Load a module script once per page."""

    src: str
    event: ClassVar[str] = EventName.LOAD_JS

    def __post_init__(self) -> None:
        _non_empty("LoadJS", "src", self.src)


@dataclass(frozen=True)
class Signal(ActionItem):
    """Set one Alpine signal; a ``$name`` goes to ``Alpine.store("hyper")``."""

    name: str
    value: Any
    event: ClassVar[str] = EventName.PATCH_SIGNALS

    def __post_init__(self) -> None:
        _non_empty("Signal", "name", self.name)

    def _data(self) -> EventData:
        # Signal values are data, not optional fields: None clears a signal, so it is kept.
        return {self.name: self.value}


@dataclass(frozen=True)
class Signals(ActionItem):
    """Set several Alpine signals at once."""

    values: dict[str, Any]
    event: ClassVar[str] = EventName.PATCH_SIGNALS

    def __post_init__(self) -> None:
        if not isinstance(self.values, dict):
            raise TypeError(f"Signals takes a dict, not {type(self.values).__name__}")
        for name in self.values:
            _non_empty("Signals", "name", name)

    def _data(self) -> EventData:
        return dict(self.values)


class Actions:
    """Several items as one value; iterating it gives them in order."""

    __slots__ = ("items",)

    def __init__(self, *items: Any) -> None:
        self.items: tuple[Any, ...] = items

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Actions):
            return self.items == other.items
        if isinstance(other, (list, tuple)):
            return list(self.items) == list(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.items)

    def __repr__(self) -> str:
        return f"Actions{self.items!r}"


def iter_flat(values: Iterable[Any]) -> Iterator[Any]:
    """Items of nested lists, tuples and ``Actions``, in order."""
    for value in values:
        if isinstance(value, (list, tuple, Actions)):
            yield from iter_flat(value)
        else:
            yield value
