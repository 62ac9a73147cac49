"""``on`` / ``event``: the handler table shared by servers and clients.

One implementation with typed overloads, so ``@sio.on("x")`` and ``@sio.event``
keep the decorated function's type under ``mypy --strict``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, overload

__all__ = ["EventHandlers", "Handler"]

Handler = Callable[..., Any]
F = TypeVar("F", bound=Handler)


class EventHandlers:
    """``handlers[namespace][event]``, filled by ``on`` and ``event``."""

    handlers: dict[str, dict[str, Handler]]

    @overload
    def on(
        self, event: str, handler: None = None, namespace: str | None = None
    ) -> Callable[[F], F]: ...

    @overload
    def on(self, event: str, handler: Handler, namespace: str | None = None) -> None: ...

    def on(
        self, event: str, handler: Handler | None = None, namespace: str | None = None
    ) -> Callable[[F], F] | None:
        """Register ``handler`` for ``event``; without ``handler``, a decorator."""
        ns = namespace or "/"

        def set_handler(fn: F) -> F:
            self.handlers.setdefault(ns, {})[event] = fn
            return fn

        if handler is None:
            return set_handler
        set_handler(handler)
        return None

    @overload
    def event(self, handler: F, /) -> F: ...

    @overload
    def event(self, *, namespace: str | None = None) -> Callable[[F], F]: ...

    def event(self, *args: Any, **kwargs: Any) -> Any:
        """``@x.event`` or ``@x.event(namespace=...)``: named after the function."""
        if len(args) == 1 and not kwargs and callable(args[0]):
            fn = args[0]
            return self.on(fn.__name__)(fn)

        def set_handler(fn: F) -> F:
            return self.on(fn.__name__, None, *args, **kwargs)(fn)

        return set_handler
