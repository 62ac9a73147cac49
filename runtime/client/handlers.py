"""Handler registration and lookup shared by every client (python-socketio's rules)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from runtime.handler_table import EventHandlers

if TYPE_CHECKING:
    from runtime.client.namespace import BaseClientNamespace

__all__ = ["RESERVED_EVENTS", "HandlerRegistry"]

F = TypeVar("F", bound=Callable[..., Any])

# Never routed to a '*' catch-all ("__disconnect_final" is python-socketio's internal
# event: the connection ended and no reconnection follows).
RESERVED_EVENTS = frozenset({"connect", "connect_error", "disconnect", "__disconnect_final"})


class HandlerRegistry(EventHandlers):
    """``on`` / ``event`` / ``register_namespace`` and the resolution order."""

    reserved_events = sorted(RESERVED_EVENTS)

    def __init__(self) -> None:
        self.handlers = {}
        self.namespace_handlers: dict[str, BaseClientNamespace] = {}
        self.namespaces: dict[str, str] = {}

    def is_asyncio_based(self) -> bool:
        raise NotImplementedError

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
