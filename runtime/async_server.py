"""``AsyncServer``: python-socketio's asyncio server, on the sans-IO core.

The engine edge calls ``on_connect`` / ``on_message`` / ``on_disconnect``
synchronously; whatever must be awaited (a connect handler, an inline event
handler) is returned as an awaitable, which the edge awaits before reading that
session's next message. Emits never await I/O: frames are queued and flushed
by the edge.
"""

from __future__ import annotations

import asyncio
import builtins
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable
from contextlib import asynccontextmanager
from typing import Any

from runtime import exceptions
from runtime.base_server import (
    BaseServer,
    ClientState,
    Handler,
    accepts_positional,
    build_environ,
    make_logger,
)
from runtime.eager import start_eagerly
from runtime.engineio.asgi_edge import AsyncEngineServer
from runtime.engineio.config import EngineConfig
from runtime.engineio.http import HttpRequest
from runtime.exceptions import RemoteProtocolError
from runtime.manager import AsyncManager, BaseManager
from runtime.rooms import Room
from runtime.socketio.packets import Packet, PacketType

_ENGINE_LOGGER = logging.getLogger("engineio.server")
_ASYNC_MODES = ("asgi",)


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
        always_connect = kwargs.pop("always_connect", False)
        serializer = kwargs.pop("serializer", "default")
        engineio_logger = kwargs.pop("engineio_logger", False)
        async_mode = kwargs.pop("async_mode", None)
        self.attachment_timeout: float = kwargs.pop("attachment_timeout", 60.0)
        if async_mode is not None and async_mode not in _ASYNC_MODES:
            raise ValueError("Invalid async_mode specified")
        super().__init__(
            client_manager if client_manager is not None else AsyncManager(),
            logger=logger,
            json=json,
            async_handlers=async_handlers,
            always_connect=always_connect,
            namespaces=namespaces,
            serializer=serializer,
        )
        self.async_mode = "asgi"
        self.eio = AsyncEngineServer(
            EngineConfig.from_kwargs(**kwargs),
            self,
            logger=make_logger(engineio_logger, _ENGINE_LOGGER),
        )
        self._tasks: set[asyncio.Task[Any]] = set()

    def is_asyncio_based(self) -> bool:
        return True

    # -- registration --------------------------------------------------------
    def register_namespace(self, namespace_handler: Any) -> None:
        """Register a class-based ``AsyncNamespace`` instance."""
        from runtime.namespace import AsyncNamespace

        if not isinstance(namespace_handler, AsyncNamespace):
            raise ValueError("Not an AsyncNamespace instance")
        namespace_handler._set_server(self)
        self.namespace_handlers[namespace_handler.namespace] = namespace_handler

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
        if to is None and sid is None:
            raise ValueError("Cannot use call() to broadcast.")
        if not self.async_handlers:
            raise RuntimeError("Cannot use call() when async_handlers is False.")
        future: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()

        def on_ack(*args: Any) -> None:
            if not future.done():
                future.set_result(args)

        await self.emit(
            event,
            data,
            room=to if to is not None else sid,
            namespace=namespace,
            callback=on_ack,
            ignore_queue=ignore_queue,
        )
        try:
            args = await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise exceptions.TimeoutError() from None
        if not args:
            return None
        return args[0] if len(args) == 1 else args

    # -- rooms and sessions --------------------------------------------------
    async def enter_room(self, sid: str, room: str, namespace: str | None = None) -> None:
        await self.manager.enter_room(sid, namespace or "/", room)  # type: ignore[attr-defined]

    async def leave_room(self, sid: str, room: str, namespace: str | None = None) -> None:
        await self.manager.leave_room(sid, namespace or "/", room)  # type: ignore[attr-defined]

    async def close_room(self, room: str, namespace: str | None = None) -> None:
        await self.manager.close_room(room, namespace or "/")  # type: ignore[attr-defined]

    async def get_session(self, sid: str, namespace: str | None = None) -> dict[str, Any]:
        namespace = namespace or "/"
        found = self.sid_and_client(sid, namespace)
        if found is None:
            raise KeyError("Session not found")
        return found[1].session.setdefault(namespace, {})

    async def save_session(
        self, sid: str, session: dict[str, Any], namespace: str | None = None
    ) -> None:
        namespace = namespace or "/"
        found = self.sid_and_client(sid, namespace)
        if found is None:
            raise KeyError("Session not found")
        found[1].session[namespace] = session

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
        found = self.sid_and_client(sid, namespace)
        if found is None or not self.manager.is_connected(sid, namespace):
            return
        eio_sid, client = found
        self.send_packet(eio_sid, Packet(PacketType.DISCONNECT, namespace))
        await self._leave_namespace(client, namespace, sid, self.reason.SERVER_DISCONNECT)

    def transport(self, sid: str, namespace: str | None = None) -> str:
        found = self.sid_and_client(sid, namespace or "/")
        if found is None:
            raise KeyError("Session not found")
        transport: str = self.eio.transport(found[0])
        return transport

    async def handle_request(self, scope: Any, receive: Any, send: Any) -> None:
        """ASGI entry point for requests under the Socket.IO path."""
        await self.eio.handle_asgi(scope, receive, send)

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

    # -- engine callbacks (EngineHandler) --------------------------------------
    def on_connect(self, sid: str, request: HttpRequest) -> None:
        if not self.manager_initialized:
            self.manager_initialized = True
            self.manager.initialize()
        environ = build_environ(request, request.extra)
        self.clients[sid] = ClientState(sid, self.serializer.decoder(), request, environ)
        self.environ[sid] = environ

    def on_message(self, sid: str, data: str | bytes) -> Awaitable[None] | None:
        client = self.clients.get(sid)
        if client is None:
            return None
        try:
            packet = client.decoder.feed(data)
        except RemoteProtocolError as exc:
            self.logger.warning("closing %s: invalid Socket.IO packet: %s", sid, exc.message)
            self.eio.close(sid, "parse error")
            return None
        if packet is None:
            if client.decoder.pending and client.attachment_timer is None:
                client.attachment_timer = asyncio.get_running_loop().call_later(
                    self.attachment_timeout, self._attachments_overdue, client
                )
            return None
        if client.attachment_timer is not None:
            client.attachment_timer.cancel()
            client.attachment_timer = None
        kind = packet.type
        if kind is PacketType.EVENT or kind is PacketType.BINARY_EVENT:
            return self._on_event(client, packet)
        if kind is PacketType.ACK or kind is PacketType.BINARY_ACK:
            return self._on_ack(client, packet)
        if kind is PacketType.CONNECT:
            return self._on_connect_packet(client, packet.namespace, packet.data)
        if kind is PacketType.DISCONNECT:
            ns_sid = client.namespaces.get(packet.namespace)
            if ns_sid is None:
                return None
            return self._leave_namespace(
                client, packet.namespace, ns_sid, self.reason.CLIENT_DISCONNECT
            )
        self.logger.warning("closing %s: unexpected %s packet from a client", sid, kind.name)
        self.eio.close(sid, "parse error")
        return None

    def _attachments_overdue(self, client: ClientState) -> None:
        client.attachment_timer = None
        if client.decoder.pending and self.clients.get(client.eio_sid) is client:
            self.logger.warning(
                "closing %s: binary attachments did not arrive within %ss",
                client.eio_sid,
                self.attachment_timeout,
            )
            self.eio.close(client.eio_sid, "parse error")

    def on_disconnect(self, sid: str, reason: str) -> Awaitable[None] | None:
        client = self.clients.pop(sid, None)
        self.environ.pop(sid, None)
        if client is not None and client.attachment_timer is not None:
            client.attachment_timer.cancel()
        if client is None or not client.namespaces:
            return None
        return self._close_client(client, reason)

    # -- packet handling -------------------------------------------------------
    def send_frames(self, eio_sid: str, frames: list[str | bytes]) -> None:
        if len(frames) == 1:
            self.eio.send(eio_sid, frames[0])
        else:
            self.eio.send_many(eio_sid, frames)

    def send_packet(self, eio_sid: str, packet: Packet) -> None:
        self.send_frames(eio_sid, self.serializer.encode(packet))

    async def _on_connect_packet(self, client: ClientState, namespace: str, auth: Any) -> None:
        eio_sid = client.eio_sid
        if not self.namespace_allowed(namespace):
            self.logger.info("%s tried to connect to unknown namespace %s", eio_sid, namespace)
            self.send_packet(
                eio_sid,
                Packet(PacketType.CONNECT_ERROR, namespace, {"message": "Invalid namespace"}),
            )
            return
        sid = self.manager.connect(eio_sid, namespace)
        if sid is None:
            self.send_packet(
                eio_sid,
                Packet(PacketType.CONNECT_ERROR, namespace, {"message": "Unable to connect"}),
            )
            return
        client.namespaces[namespace] = sid
        if self.always_connect:
            self.send_packet(eio_sid, Packet(PacketType.CONNECT, namespace, {"sid": sid}))
        refusal: dict[str, Any] | None = None
        try:
            accepted = await self._call_reserved("connect", namespace, [sid, client.environ], auth)
            if accepted is False:
                refusal = {"message": "Connection rejected by server"}
        except exceptions.ConnectionRefusedError as exc:
            refusal = exc.error_args
        except builtins.ConnectionRefusedError:
            refusal = {"message": "Connection refused by server"}
        except Exception:
            self.logger.exception("connect handler error")
            refusal = {"message": "Internal server error"}
        if refusal is not None:
            client.namespaces.pop(namespace, None)
            client.session.pop(namespace, None)
            self.manager.basic_disconnect(sid, namespace)
            kind = PacketType.DISCONNECT if self.always_connect else PacketType.CONNECT_ERROR
            self.send_packet(eio_sid, Packet(kind, namespace, refusal))
            return
        if not self.always_connect:
            self.send_packet(eio_sid, Packet(PacketType.CONNECT, namespace, {"sid": sid}))
        self.logger.info("%s connected to namespace %s as %s", eio_sid, namespace, sid)

    def _on_event(self, client: ClientState, packet: Packet) -> Awaitable[None] | None:
        namespace = packet.namespace
        sid = client.namespaces.get(namespace)
        if sid is None:
            self.logger.info(
                "%s sent an event to unconnected namespace %s", client.eio_sid, namespace
            )
            return None
        event, *args = packet.data
        self.logger.info("received event %r from %s [%s]", event, sid, namespace)
        handler, call_args = self.find_handler(namespace, event, sid, args)
        if handler is None:
            ns_obj, prefix = self.find_namespace_handler(namespace)
            if ns_obj is None:
                return None
            handler, call_args = ns_obj.trigger_event, [event, *prefix, sid, *args]
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

    def _send_ack(self, eio_sid: str, namespace: str, ack_id: int, result: Any) -> None:
        self.send_frames(
            eio_sid, self.serializer.encode_ack(namespace, ack_id, self.ack_args(result))
        )

    def _on_ack(self, client: ClientState, packet: Packet) -> Awaitable[None] | None:
        sid = client.namespaces.get(packet.namespace)
        if sid is None or packet.id is None:
            return None
        callback = self.manager._pop_callback(sid, packet.id)
        if callback is None:
            return None
        try:
            result = callback(*packet.data)
        except Exception:
            self.logger.exception("ack callback error")
            return None
        if inspect.iscoroutine(result):
            task = start_eagerly(result)
            if task is not None:
                self._keep(task)
        elif inspect.isawaitable(result):
            self._keep(asyncio.ensure_future(result))
        return None

    async def _call_reserved(
        self, event: str, namespace: str, args: list[Any], optional: Any
    ) -> Any:
        """Call a connect/disconnect handler; ``optional`` (auth, reason) only if it takes it."""
        sid = args[0]
        handler, call_args = self.find_handler(namespace, event, sid, args[1:])
        if handler is None:
            ns_obj, prefix = self.find_namespace_handler(namespace)
            method = getattr(ns_obj, "on_" + event, None) if ns_obj is not None else None
            if method is None:
                return None
            handler, call_args = method, [*prefix, *args]
        if accepts_positional(handler, len(call_args) + 1):
            call_args.append(optional)
        result = handler(*call_args)
        if inspect.isawaitable(result):
            result = await result
        return result

    async def _leave_namespace(
        self, client: ClientState, namespace: str, sid: str, reason: str
    ) -> None:
        if client.namespaces.get(namespace) != sid:
            return
        self.manager.pre_disconnect(sid, namespace)
        self.logger.info("%s disconnected from namespace %s (%s)", sid, namespace, reason)
        try:
            await self._call_reserved("disconnect", namespace, [sid], reason)
        except Exception:
            self.logger.exception("disconnect handler error")
        client.namespaces.pop(namespace, None)
        client.session.pop(namespace, None)
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
