"""Handler registration and lookup shared by every client (python-socketio's rules)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, overload

if TYPE_CHECKING:
    from runtime.client.namespace import BaseClientNamespace

__all__ = ["RESERVED_EVENTS", "HandlerRegistry"]

F = TypeVar("F", bound=Callable[..., Any])

# Never routed to a '*' catch-all ("__disconnect_final" is python-socketio's internal
# event: the connection ended and no reconnection follows).
RESERVED_EVENTS = frozenset({"connect", "connect_error", "disconnect", "__disconnect_final"})


class HandlerRegistry:
    """``on`` / ``event`` / ``register_namespace`` and the resolution order."""

    reserved_events = sorted(RESERVED_EVENTS)

    def __init__(self) -> None:
        self.handlers: dict[str, dict[str, Callable[..., Any]]] = {}
        self.namespace_handlers: dict[str, BaseClientNamespace] = {}
        self.namespaces: dict[str, str] = {}

    def is_asyncio_based(self) -> bool:
        raise NotImplementedError

    @overload
    def on(
        self, event: str, handler: None = None, namespace: str | None = None
    ) -> Callable[[F], F]: ...

    @overload
    def on(self, event: str, handler: Callable[..., Any], namespace: str | None = None) -> None: ...

    def on(
        self, event: str, handler: Callable[..., Any] | None = None, namespace: str | None = None
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
        """``@client.event`` or ``@client.event(namespace=...)``: named after the function."""
        if len(args) == 1 and not kwargs and callable(args[0]):
            fn = args[0]
            return self.on(fn.__name__)(fn)

        def set_handler(fn: F) -> F:
            return self.on(fn.__name__, None, *args, **kwargs)(fn)

        return set_handler

    def register_namespace(self, namespace_handler: BaseClientNamespace) -> None:
        from runtime.client.namespace import BaseClientNamespace

        if not isinstance(namespace_handler, BaseClientNamespace):
            raise ValueError("Not a namespace instance")
        if self.is_asyncio_based() != namespace_handler.is_asyncio_based():
            raise ValueError("Not a valid namespace class for this client")
        namespace_handler._set_client(self)
        self.namespace_handlers[namespace_handler.namespace] = namespace_handler

    def get_sid(self, namespace: str | None = None) -> str | None:
        return self.namespaces.get(namespace or "/")

    def _get_event_handler(
        self, event: str, namespace: str, args: tuple[Any, ...]
    ) -> tuple[Callable[..., Any] | None, tuple[Any, ...]]:
        # handlers[ns][event] > handlers[ns]['*'] > handlers['*'][event] > handlers['*']['*']
        if namespace in self.handlers:
            table = self.handlers[namespace]
            if event in table:
                return table[event], args
            if event not in RESERVED_EVENTS and "*" in table:
                return table["*"], (event, *args)
        elif "*" in self.handlers:
            table = self.handlers["*"]
            if event in table:
                return table[event], (namespace, *args)
            if event not in RESERVED_EVENTS and "*" in table:
                return table["*"], (event, namespace, *args)
        return None, args

    def _get_namespace_handler(
        self, namespace: str, args: tuple[Any, ...]
    ) -> tuple[BaseClientNamespace | None, tuple[Any, ...]]:
        if namespace in self.namespace_handlers:
            return self.namespace_handlers[namespace], args
        if "*" in self.namespace_handlers:
            return self.namespace_handlers["*"], (namespace, *args)
        return None, args
