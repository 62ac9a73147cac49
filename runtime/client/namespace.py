"""Class-based client handlers: ``ClientNamespace`` and ``AsyncClientNamespace``.

An event ``foo`` calls the method ``on_foo``; the methods below forward to the client
with this namespace as the default.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

__all__ = ["AsyncClientNamespace", "BaseClientNamespace", "ClientNamespace"]


class BaseClientNamespace:
    def __init__(self, namespace: str | None = None) -> None:
        self.namespace = namespace or "/"
        self.client: Any = None

    def is_asyncio_based(self) -> bool:
        return False

    def _set_client(self, client: Any) -> None:
        self.client = client

    def trigger_event(self, event: str, *args: Any) -> Any:
        raise NotImplementedError

    def _handler(self, event: str) -> Callable[..., Any] | None:
        handler = getattr(self, "on_" + event, None)
        return handler if callable(handler) else None


class ClientNamespace(BaseClientNamespace):
    def trigger_event(self, event: str, *args: Any) -> Any:
        handler = self._handler(event)
        if handler is None:
            return None
        try:
            return handler(*args)
        except TypeError:
            if event != "disconnect":
                raise
            return handler(*args[:-1])  # legacy: no reason argument

    def emit(
        self,
        event: str,
        data: Any = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
    ) -> None:
        self.client.emit(event, data=data, namespace=namespace or self.namespace, callback=callback)

    def send(
        self, data: Any, namespace: str | None = None, callback: Callable[..., Any] | None = None
    ) -> None:
        self.client.send(data, namespace=namespace or self.namespace, callback=callback)

    def call(
        self, event: str, data: Any = None, namespace: str | None = None, timeout: float = 60
    ) -> Any:
        return self.client.call(
            event, data=data, namespace=namespace or self.namespace, timeout=timeout
        )

    def disconnect(self) -> None:
        self.client.disconnect()


class AsyncClientNamespace(BaseClientNamespace):
    def is_asyncio_based(self) -> bool:
        return True

    async def trigger_event(self, event: str, *args: Any) -> Any:
        handler = self._handler(event)
        if handler is None:
            return None
        try:
            result = handler(*args)
            return await result if inspect.isawaitable(result) else result
        except TypeError:
            if event != "disconnect":
                raise
            result = handler(*args[:-1])  # legacy: no reason argument
            return await result if inspect.isawaitable(result) else result

    async def emit(
        self,
        event: str,
        data: Any = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
    ) -> None:
        await self.client.emit(
            event, data=data, namespace=namespace or self.namespace, callback=callback
        )

    async def send(
        self, data: Any, namespace: str | None = None, callback: Callable[..., Any] | None = None
    ) -> None:
        await self.client.send(data, namespace=namespace or self.namespace, callback=callback)

    async def call(
        self, event: str, data: Any = None, namespace: str | None = None, timeout: float = 60
    ) -> Any:
        return await self.client.call(
            event, data=data, namespace=namespace or self.namespace, timeout=timeout
        )

    async def disconnect(self) -> None:
        await self.client.disconnect()
