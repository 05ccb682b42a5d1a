"""Bind an invocation's ``data`` to an action's keyword parameters, coercing simple types."""

from __future__ import annotations

import inspect
import math
import typing
from collections.abc import Callable
from typing import Any

from .exceptions import BadRequest

CSRF_FIELD = "csrfmiddlewaretoken"
"""Dropped from every invocation's data before binding (docs/actions.md, "Arguments")."""

_TRUE = frozenset({"true", "on", "1", "yes"})
_FALSE = frozenset({"false", "off", "0", "no", ""})


class CoercionError(ValueError):
    """A JSON value that can't become the annotated type."""


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise CoercionError
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            raise CoercionError from None
    raise CoercionError


def _to_float(value: Any) -> float:
    if isinstance(value, bool):
        raise CoercionError
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            raise CoercionError from None
        if not math.isfinite(result):
            raise CoercionError
        return result
    raise CoercionError


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    raise CoercionError


def _to_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise CoercionError


_COERCERS: dict[Any, Callable[[Any], Any]] = {
    int: _to_int,
    float: _to_float,
    bool: _to_bool,
    str: _to_str,
}


def _simple_type(annotation: Any) -> tuple[Any, bool]:
    """The coercible type of an annotation and whether ``None`` is allowed."""
    if annotation in _COERCERS:
        return annotation, False
    args = typing.get_args(annotation)
    if args and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1 and rest[0] in _COERCERS:
            return rest[0], True
    return None, True


class Binder:
    """How one action function is called: its arguments and its kind; built once per function."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self.is_coroutine = inspect.iscoroutinefunction(func)
        """``async def`` returning a value: awaited on the event loop."""
        self.is_generator = inspect.isasyncgenfunction(func) or inspect.isgeneratorfunction(func)
        """Calling it only creates the generator, so it is called on the event loop too."""
        # The first parameter is ``self``: binders are built from the class's function.
        params = list(inspect.signature(func).parameters.values())[1:]
        if not params or params[0].kind not in (
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
        ):
            raise TypeError(
                f"action {func.__qualname__} must take (self, request, ...): "
                f"def {func.__name__}(self, request, **data)"
            )
        self.request_param = params[0].name
        try:
            hints = typing.get_type_hints(func)
        except Exception:  # unresolvable string annotations: bind without coercion
            hints = {}
        self.coercers: dict[str, tuple[Callable[[Any], Any], bool]] = {}
        for param in params[1:]:
            kind, nullable = _simple_type(hints.get(param.name))
            if kind is not None:
                self.coercers[param.name] = (_COERCERS[kind], nullable or param.default is None)
        self.accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params)
        self.names = {
            p.name
            for p in params[1:]
            if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        }
        self.required = [
            p.name
            for p in params[1:]
            if p.default is inspect.Parameter.empty
            and p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        ]
        positional_only = [p.name for p in params[1:] if p.kind is inspect.Parameter.POSITIONAL_ONLY]
        if positional_only:
            raise TypeError(
                f"action {func.__qualname__} has positional-only parameters "
                f"({', '.join(positional_only)}); the invocation's data binds by name"
            )

    def bind(self, data: dict[str, Any]) -> dict[str, Any]:
        """Keyword arguments for the call; ``BadRequest`` when ``data`` doesn't fit."""
        if not data and not self.required:
            return {}
        if CSRF_FIELD in data:  # a {% csrf_token %} field of a Django form: not an argument
            data = {k: v for k, v in data.items() if k != CSRF_FIELD}
        unexpected = sorted(
            {k for k in data if k not in self.names and not self.accepts_any}
            | ({self.request_param} & data.keys())
        )
        if unexpected:
            raise BadRequest("Unexpected argument: " + ", ".join(unexpected))
        missing = [name for name in self.required if name not in data]
        if missing:
            raise BadRequest("Missing argument: " + ", ".join(missing))
        kwargs = dict(data)
        for name, (coerce, nullable) in self.coercers.items():
            if name not in kwargs:
                continue
            value = kwargs[name]
            if value is None and nullable:
                continue
            try:
                kwargs[name] = coerce(value)
            except CoercionError:
                raise BadRequest(f"Invalid value for {name}") from None
        return kwargs
