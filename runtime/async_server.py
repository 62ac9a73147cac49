"""``AsyncServer``: python-socketio's asyncio server, on the sans-IO core.

The engine edge calls ``on_connect`` / ``on_message`` / ``on_disconnect``
synchronously; whatever must be awaited (a connect handler, an inline event
handler) is returned as an awaitable, which the edge awaits before reading that
session's next message. Emits never await I/O: frames are queued and flushed
by the edge.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable
from contextlib import asynccontextmanager
from typing import Any

from runtime import exceptions
from runtime.base_server import BaseServer, Cancellable, ClientState, make_logger
from runtime.eager import start_eagerly
from runtime.engineio.asgi_edge import AsyncEngineServer
from runtime.engineio.config import EngineConfig
from runtime.handler_table import Handler
from runtime.integrations import attach, check_async_mode, handle_framework_request
from runtime.manager import AsyncManager, BaseManager
from runtime.rooms import Room
from runtime.socketio.packets import Packet

_ENGINE_LOGGER = logging.getLogger("engineio.server")


class AsyncServer(BaseServer):
    """A Socket.IO server for asyncio (ASGI), API-compatible with ``socketio.AsyncServer``."""

    def __init__(
        self,
        client_manager: BaseManager | None = None,
        logger: bool | logging.Logger = False,
        json: Any = None,
        async_handlers: bool = True,
        namespaces: list[str] | str | None = None,
        **kwargs: Any,
    ) -> None:
        async_mode = kwargs.pop("async_mode", None)
        if async_mode is not None:
            check_async_mode(async_mode)  # unknown: ValueError; library missing: names it
        super().__init__(
            client_manager if client_manager is not None else AsyncManager(),
            logger=logger,
            json=json,
            async_handlers=async_handlers,
            namespaces=namespaces,
            **kwargs,
        )
        # None: asgi until attach() / get_tornado_handler() names the framework
        self.async_mode: str = async_mode or "asgi"
        self._async_mode_explicit = async_mode is not None
        self.eio: AsyncEngineServer = AsyncEngineServer(
            EngineConfig.from_kwargs(**self.eio_kwargs),
            self,
            logger=make_logger(self.engineio_logger, _ENGINE_LOGGER),
        )
        self._tasks: set[asyncio.Task[Any]] = set()

    def is_asyncio_based(self) -> bool:
        return True

    # -- registration --------------------------------------------------------
    def register_namespace(self, namespace_handler: Any) -> None:
        """Register a class-based ``AsyncNamespace`` instance."""
        from runtime.namespace import AsyncNamespace

        self._register_namespace(namespace_handler, AsyncNamespace)

    # -- emitting ------------------------------------------------------------
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
        """Emit ``event`` to one client, a room, a list of rooms, or everyone."""
        namespace = namespace or "/"
        target = to if to is not None else room
        self.logger.info("emitting event %r to %s [%s]", event, target or "all", namespace)
        await self.manager.emit(  # type: ignore[attr-defined]
            event,
            data,
            namespace,
            room=target,
            skip_sid=skip_sid,
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
        """Emit the ``message`` event."""
        await self.emit(
            "message",
            data,
            to=to,
            room=room,
            skip_sid=skip_sid,
            namespace=namespace,
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
        timeout: float | None = 60,
        ignore_queue: bool = False,
    ) -> Any:
        """Emit to one client and wait for its acknowledgement."""
        target = self._call_target(to, sid)
        future: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()

        def on_ack(*args: Any) -> None:
            if not future.done():
                future.set_result(args)

        await self.emit(
            event,
            data,
            room=target,
            namespace=namespace,
            callback=on_ack,
            ignore_queue=ignore_queue,
        )
        try:
            args = await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise exceptions.TimeoutError() from None
        return self._call_result(args)

    # -- rooms and sessions --------------------------------------------------
    async def enter_room(self, sid: str, room: str, namespace: str | None = None) -> None:
        await self.manager.enter_room(sid, namespace or "/", room)  # type: ignore[attr-defined]

    async def leave_room(self, sid: str, room: str, namespace: str | None = None) -> None:
        await self.manager.leave_room(sid, namespace or "/", room)  # type: ignore[attr-defined]

    async def close_room(self, room: str, namespace: str | None = None) -> None:
        await self.manager.close_room(room, namespace or "/")  # type: ignore[attr-defined]

    async def get_session(self, sid: str, namespace: str | None = None) -> dict[str, Any]:
        return self._get_session(sid, namespace)

    async def save_session(
        self, sid: str, session: dict[str, Any], namespace: str | None = None
    ) -> None:
        self._save_session(sid, session, namespace)

    @asynccontextmanager
    async def session(
        self, sid: str, namespace: str | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """``async with sio.session(sid) as s:`` edits the session and saves it on exit."""
        data = await self.get_session(sid, namespace)
        yield data
        await self.save_session(sid, data, namespace)

    # -- connections ---------------------------------------------------------
    async def disconnect(
        self, sid: str, namespace: str | None = None, ignore_queue: bool = False
    ) -> None:
        """Disconnect ``sid`` from ``namespace``; its disconnect handler gets 'server disconnect'."""
        namespace = namespace or "/"
        # A pub/sub manager forwards the disconnect of a sid living on another node.
        if not ignore_queue and not await self.manager.can_disconnect(sid, namespace):  # type: ignore[misc]
            return
        client = self._disconnect_begin(sid, namespace)
        if client is not None:
            await self._leave_namespace(client, namespace, sid, self.reason.SERVER_DISCONNECT)

    async def handle_request(self, *args: Any) -> Any:
        """Serve a request of the Socket.IO path.

        ASGI ``(scope, receive, send)``, or an aiohttp/Sanic request (returns the response).
        """
        if len(args) == 1:
            return await handle_framework_request(self, args[0])
        scope, receive, send = args
        await self.eio.handle_asgi(scope, receive, send)
        return None

    def attach(self, app: Any, socketio_path: str = "socket.io") -> None:
        """Serve Socket.IO on an ``aiohttp.web.Application`` or a Sanic app, at ``/socketio_path/``."""
        attach(self, app, socketio_path)

    def start_background_task(
        self, target: Callable[..., Coroutine[Any, Any, Any]], *args: Any, **kwargs: Any
    ) -> asyncio.Task[Any]:
        """Run ``target(*args, **kwargs)`` as an asyncio task and return it."""
        return self._keep(asyncio.ensure_future(target(*args, **kwargs)))

    async def sleep(self, seconds: float = 0) -> None:
        await asyncio.sleep(seconds)

    async def shutdown(self) -> None:
        """Close every connection and stop the engine's background work."""
        await self.eio.shutdown()
        close = getattr(self.manager, "close", None)
        if close is not None:
            # Pub/sub managers say goodbye to the cluster and close their broker links.
            await close()

    # -- the awaiting steps of the shared protocol code (see base_server) ----------
    def _call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> Cancellable:
        return asyncio.get_running_loop().call_later(delay, callback, *args)

    async def _on_connect_packet(self, client: ClientState, namespace: str, auth: Any) -> None:
        sid = self._connect_begin(client, namespace)
        if sid is None:
            return
        try:
            result = await self._call_reserved("connect", namespace, [sid, client.environ], auth)
        except Exception as exc:
            self._connect_end(client, namespace, sid, error=exc)
        else:
            self._connect_end(client, namespace, sid, result)

    def _on_event(self, client: ClientState, packet: Packet) -> Awaitable[None] | None:
        target = self._event_target(client, packet)
        if target is None:
            return None
        handler, call_args = target
        namespace = packet.namespace
        if not inspect.iscoroutinefunction(handler):
            # A plain function runs right here: no task needed, order preserved.
            try:
                result = handler(*call_args)
            except Exception:
                self.logger.exception("event handler error")
                return None
            if inspect.isawaitable(result):
                return self._finish(result, client.eio_sid, namespace, packet.id)
            if packet.id is not None:
                self._send_ack(client.eio_sid, namespace, packet.id, result)
            return None
        run = self._run_handler(handler, call_args, client.eio_sid, namespace, packet.id)
        if self.async_handlers:
            # Each handler runs on its own, but one that never waits needs no task.
            task = start_eagerly(run)
            if task is not None:
                self._keep(task)
            return None
        return run

    async def _run_handler(
        self, handler: Handler, args: list[Any], eio_sid: str, namespace: str, ack_id: int | None
    ) -> None:
        try:
            result = handler(*args)
            if inspect.isawaitable(result):
                result = await result
        except Exception:
            self.logger.exception("event handler error")
            return
        if ack_id is not None:
            self._send_ack(eio_sid, namespace, ack_id, result)

    async def _finish(
        self, pending: Awaitable[Any], eio_sid: str, namespace: str, ack_id: int | None
    ) -> None:
        try:
            result = await pending
        except Exception:
            self.logger.exception("event handler error")
            return
        if ack_id is not None:
            self._send_ack(eio_sid, namespace, ack_id, result)

    def _on_ack(self, client: ClientState, packet: Packet) -> None:
        callback = self._ack_callback(client, packet)
        if callback is None:
            return
        try:
            result = callback(*packet.data)
        except Exception:
            self.logger.exception("ack callback error")
            return
        if inspect.iscoroutine(result):
            task = start_eagerly(result)
            if task is not None:
                self._keep(task)
        elif inspect.isawaitable(result):
            self._keep(asyncio.ensure_future(result))

    async def _call_reserved(
        self, event: str, namespace: str, args: list[Any], optional: Any
    ) -> Any:
        target = self._reserved_target(event, namespace, args, optional)
        if target is None:
            return None
        result = target[0](*target[1])
        if inspect.isawaitable(result):
            result = await result
        return result

    async def _leave_namespace(
        self, client: ClientState, namespace: str, sid: str, reason: str
    ) -> None:
        if not self._leave_begin(client, namespace, sid):
            return
        try:
            await self._call_reserved("disconnect", namespace, [sid], reason)
        except Exception:
            self.logger.exception("disconnect handler error")
        self._leave_end(client, namespace, sid, reason)
        await self.manager.disconnect(sid, namespace)  # type: ignore[attr-defined]

    async def _close_client(self, client: ClientState, reason: str) -> None:
        for namespace, sid in list(client.namespaces.items()):
            await self._leave_namespace(client, namespace, sid, reason)

    def _keep(self, task: asyncio.Future[Any]) -> asyncio.Task[Any]:
        # Hold a reference so the task is not garbage-collected mid-flight.
        assert isinstance(task, asyncio.Task)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task
