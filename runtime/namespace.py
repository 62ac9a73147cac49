"""Class-based namespaces: ``on_<event>`` methods instead of decorated functions."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from runtime.base_server import accepts_positional
from runtime.rooms import Room

if TYPE_CHECKING:
    from runtime.async_server import AsyncServer


class BaseServerNamespace:
    """Holds the namespace path and finds ``on_<event>`` methods."""

    def __init__(self, namespace: str | None = None) -> None:
        self.namespace = namespace or "/"

    def is_asyncio_based(self) -> bool:
        return False

    def _handler_for(self, event: str) -> Callable[..., Any] | None:
        handler = getattr(self, "on_" + event, None)
        return handler if callable(handler) else None


class AsyncNamespace(BaseServerNamespace):
    """Base class for class-based namespaces of an ``AsyncServer``.

    Handlers may be plain methods or coroutines. The helpers below default
    ``namespace`` to this class's namespace.
    """

    server: AsyncServer

    def is_asyncio_based(self) -> bool:
        return True

    def _set_server(self, server: AsyncServer) -> None:
        self.server = server

    async def trigger_event(self, event: str, *args: Any) -> Any:
        """Dispatch ``event`` to ``on_<event>``; an unhandled event returns None."""
        handler = self._handler_for(event)
        if handler is None:
            return None
        if event == "disconnect" and not accepts_positional(handler, len(args)):
            args = args[:-1]  # legacy one-argument disconnect handlers
        result = handler(*args)
        if inspect.isawaitable(result):
            result = await result
        return result

    async def emit(
        self,
        event: str,
        data: Any = None,
        to: Room | Iterable[Room] = None,
        room: Room | Iterable[Room] = None,
        skip_sid: str | Iterable[str] | None = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
        ignore_queue: bool = False,
    ) -> None:
        await self.server.emit(
            event,
            data=data,
            to=to,
            room=room,
            skip_sid=skip_sid,
            namespace=namespace or self.namespace,
            callback=callback,
            ignore_queue=ignore_queue,
        )

    async def send(
        self,
        data: Any,
        to: Room | Iterable[Room] = None,
        room: Room | Iterable[Room] = None,
        skip_sid: str | Iterable[str] | None = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
        ignore_queue: bool = False,
    ) -> None:
        await self.server.send(
            data,
            to=to,
            room=room,
            skip_sid=skip_sid,
            namespace=namespace or self.namespace,
            callback=callback,
            ignore_queue=ignore_queue,
        )

    async def call(
        self,
        event: str,
        data: Any = None,
        to: str | None = None,
        sid: str | None = None,
        namespace: str | None = None,
        timeout: float | None = None,
        ignore_queue: bool = False,
    ) -> Any:
        return await self.server.call(
            event,
            data=data,
            to=to,
            sid=sid,
            namespace=namespace or self.namespace,
            timeout=timeout,
            ignore_queue=ignore_queue,
        )

    async def enter_room(self, sid: str, room: str, namespace: str | None = None) -> None:
        await self.server.enter_room(sid, room, namespace=namespace or self.namespace)

    async def leave_room(self, sid: str, room: str, namespace: str | None = None) -> None:
        await self.server.leave_room(sid, room, namespace=namespace or self.namespace)

    async def close_room(self, room: str, namespace: str | None = None) -> None:
        await self.server.close_room(room, namespace=namespace or self.namespace)

    def rooms(self, sid: str, namespace: str | None = None) -> list[str]:
        return self.server.rooms(sid, namespace=namespace or self.namespace)

    async def get_session(self, sid: str, namespace: str | None = None) -> dict[str, Any]:
        return await self.server.get_session(sid, namespace=namespace or self.namespace)

    async def save_session(
        self, sid: str, session: dict[str, Any], namespace: str | None = None
    ) -> None:
        await self.server.save_session(sid, session, namespace=namespace or self.namespace)

    @asynccontextmanager
    async def session(
        self, sid: str, namespace: str | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        async with self.server.session(sid, namespace=namespace or self.namespace) as data:
            yield data

    async def disconnect(self, sid: str, namespace: str | None = None) -> None:
        await self.server.disconnect(sid, namespace=namespace or self.namespace)
