"""Class-based namespaces: ``on_<event>`` methods instead of decorated functions."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any

from runtime.base_server import accepts_positional
from runtime.rooms import Room

if TYPE_CHECKING:
    from runtime.async_server import AsyncServer
    from runtime.server import Server


class BaseServerNamespace:
    """Holds the namespace path and finds ``on_<event>`` methods."""

    def __init__(self, namespace: str | None = None) -> None:
        self.namespace = namespace or "/"

    def is_asyncio_based(self) -> bool:
        return False

    def _handler_for(self, event: str) -> Callable[..., Any] | None:
        handler = getattr(self, "on_" + event, None)
        return handler if callable(handler) else None

    def _dispatch(
        self, event: str, args: tuple[Any, ...]
    ) -> tuple[Callable[..., Any], tuple[Any, ...]] | None:
        """The ``on_<event>`` method and its arguments; None for an unhandled event."""
        handler = self._handler_for(event)
        if handler is None:
            return None
        if event == "disconnect" and not accepts_positional(handler, len(args)):
            args = args[:-1]  # legacy one-argument disconnect handlers
        return handler, args


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
        target = self._dispatch(event, args)
        if target is None:
            return None
        result = target[0](*target[1])
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


class Namespace(BaseServerNamespace):
    """Base class for class-based namespaces of a ``Server`` (sync).

    The helpers below default ``namespace`` to this class's namespace.
    """

    server: Server

    def _set_server(self, server: Server) -> None:
        self.server = server

    def trigger_event(self, event: str, *args: Any) -> Any:
        """Dispatch ``event`` to ``on_<event>``; an unhandled event returns None."""
        target = self._dispatch(event, args)
        return None if target is None else target[0](*target[1])

    def emit(
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
        self.server.emit(
            event,
            data=data,
            to=to,
            room=room,
            skip_sid=skip_sid,
            namespace=namespace or self.namespace,
            callback=callback,
            ignore_queue=ignore_queue,
        )

    def send(
        self,
        data: Any,
        to: Room | Iterable[Room] = None,
        room: Room | Iterable[Room] = None,
        skip_sid: str | Iterable[str] | None = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
        ignore_queue: bool = False,
    ) -> None:
        self.server.send(
            data,
            to=to,
            room=room,
            skip_sid=skip_sid,
            namespace=namespace or self.namespace,
            callback=callback,
            ignore_queue=ignore_queue,
        )

    def call(
        self,
        event: str,
        data: Any = None,
        to: str | None = None,
        sid: str | None = None,
        namespace: str | None = None,
        timeout: float | None = None,
        ignore_queue: bool = False,
    ) -> Any:
        return self.server.call(
            event,
            data=data,
            to=to,
            sid=sid,
            namespace=namespace or self.namespace,
            timeout=timeout,
            ignore_queue=ignore_queue,
        )

    def enter_room(self, sid: str, room: str, namespace: str | None = None) -> None:
        self.server.enter_room(sid, room, namespace=namespace or self.namespace)

    def leave_room(self, sid: str, room: str, namespace: str | None = None) -> None:
        self.server.leave_room(sid, room, namespace=namespace or self.namespace)

    def close_room(self, room: str, namespace: str | None = None) -> None:
        self.server.close_room(room, namespace=namespace or self.namespace)

    def rooms(self, sid: str, namespace: str | None = None) -> list[str]:
        return self.server.rooms(sid, namespace=namespace or self.namespace)

    def get_session(self, sid: str, namespace: str | None = None) -> dict[str, Any]:
        return self.server.get_session(sid, namespace=namespace or self.namespace)

    def save_session(self, sid: str, session: dict[str, Any], namespace: str | None = None) -> None:
        self.server.save_session(sid, session, namespace=namespace or self.namespace)

    @contextmanager
    def session(self, sid: str, namespace: str | None = None) -> Iterator[dict[str, Any]]:
        with self.server.session(sid, namespace=namespace or self.namespace) as data:
            yield data

    def disconnect(self, sid: str, namespace: str | None = None) -> None:
        self.server.disconnect(sid, namespace=namespace or self.namespace)
