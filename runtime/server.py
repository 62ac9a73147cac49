"""``Server``: python-socketio's sync server, on the sans-IO core and the WSGI edge.

Every protocol decision lives in ``base_server`` and is shared with ``AsyncServer``;
this class supplies the steps that call handlers and manager methods, and the I/O
of its async mode (threads, gevent or eventlet greenlets, see ``runtime.drivers``).

Threads: engine callbacks run on the WSGI server's request threads (the connect
and disconnect handlers among them); with ``async_handlers`` (the default) each
event handler runs on a pooled worker thread (a greenlet under gevent/eventlet),
so a handler may block, and ``call()`` from a handler waits without stalling its
client. ``emit``/``send``/``call``/``disconnect`` are safe from any thread, binary
(multi-frame) packets included.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from runtime import exceptions
from runtime.base_server import BaseServer, Cancellable, ClientState, make_logger
from runtime.drivers.base import BackgroundTask
from runtime.drivers.registry import get_driver
from runtime.engineio.config import EngineConfig
from runtime.engineio.wsgi_edge import EngineServer
from runtime.engineio.wsgi_io import StartResponse, WSGIEnviron
from runtime.handler_table import Handler
from runtime.manager import BaseManager, Manager
from runtime.rooms import Room
from runtime.socketio.packets import Packet
from runtime.socketio.serializer import Serializer

__all__ = ["Server"]

_ENGINE_LOGGER = logging.getLogger("engineio.server")


class Server(BaseServer):
    """A Socket.IO server for WSGI, API-compatible with ``socketio.Server``."""

    def __init__(
        self,
        client_manager: BaseManager | None = None,
        logger: bool | logging.Logger = False,
        serializer: str | Serializer = "default",
        json: Any = None,
        async_handlers: bool = True,
        always_connect: bool = False,
        namespaces: list[str] | str | None = None,
        **kwargs: Any,
    ) -> None:
        driver = get_driver(kwargs.pop("async_mode", None))
        super().__init__(
            client_manager if client_manager is not None else Manager(),
            logger=logger,
            json=json,
            async_handlers=async_handlers,
            always_connect=always_connect,
            namespaces=namespaces,
            serializer=serializer,
            **kwargs,
        )
        self.async_mode = driver.name
        self.eio: EngineServer = EngineServer(
            EngineConfig.from_kwargs(**self.eio_kwargs),
            self,
            driver,
            logger=make_logger(self.engineio_logger, _ENGINE_LOGGER),
        )
        self._state_lock = driver.lock()

    def is_asyncio_based(self) -> bool:
        return False

    # -- registration --------------------------------------------------------
    def register_namespace(self, namespace_handler: Any) -> None:
        """Register a class-based ``Namespace`` instance."""
        from runtime.namespace import Namespace

        self._register_namespace(namespace_handler, Namespace)

    # -- emitting ------------------------------------------------------------
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
        """Emit ``event`` to one client, a room, a list of rooms, or everyone."""
        namespace = namespace or "/"
        target = to if to is not None else room
        self.logger.info("emitting event %r to %s [%s]", event, target or "all", namespace)
        self.manager.emit(  # type: ignore[attr-defined]
            event,
            data,
            namespace,
            room=target,
            skip_sid=skip_sid,
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
        """Emit the ``message`` event."""
        self.emit(
            "message",
            data,
            to=to,
            room=room,
            skip_sid=skip_sid,
            namespace=namespace,
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
        timeout: float | None = 60,
        ignore_queue: bool = False,
    ) -> Any:
        """Emit to one client and block until its acknowledgement (or ``TimeoutError``)."""
        target = self._call_target(to, sid)
        done = self.eio.driver.event()
        answers: list[tuple[Any, ...]] = []

        def on_ack(*args: Any) -> None:
            if not answers:
                answers.append(args)
                done.set()

        self.emit(
            event,
            data,
            room=target,
            namespace=namespace,
            callback=on_ack,
            ignore_queue=ignore_queue,
        )
        if not done.wait(timeout):
            raise exceptions.TimeoutError()
        return self._call_result(answers[0])

    # -- rooms and sessions --------------------------------------------------
    def enter_room(self, sid: str, room: str, namespace: str | None = None) -> None:
        self.manager.enter_room(sid, namespace or "/", room)  # type: ignore[attr-defined]

    def leave_room(self, sid: str, room: str, namespace: str | None = None) -> None:
        self.manager.leave_room(sid, namespace or "/", room)  # type: ignore[attr-defined]

    def close_room(self, room: str, namespace: str | None = None) -> None:
        self.manager.close_room(room, namespace or "/")  # type: ignore[attr-defined]

    def get_session(self, sid: str, namespace: str | None = None) -> dict[str, Any]:
        return self._get_session(sid, namespace)

    def save_session(self, sid: str, session: dict[str, Any], namespace: str | None = None) -> None:
        self._save_session(sid, session, namespace)

    @contextmanager
    def session(self, sid: str, namespace: str | None = None) -> Iterator[dict[str, Any]]:
        """``with sio.session(sid) as s:`` edits the session and saves it on exit."""
        data = self.get_session(sid, namespace)
        yield data
        self.save_session(sid, data, namespace)

    # -- connections ---------------------------------------------------------
    def disconnect(
        self, sid: str, namespace: str | None = None, ignore_queue: bool = False
    ) -> None:
        """Disconnect ``sid`` from ``namespace``; its disconnect handler gets 'server disconnect'."""
        namespace = namespace or "/"
        # A pub/sub manager forwards the disconnect of a sid living on another node.
        if not ignore_queue and not self.manager.can_disconnect(sid, namespace):
            return
        client = self._disconnect_begin(sid, namespace)
        if client is not None:
            self._leave_namespace(client, namespace, sid, self.reason.SERVER_DISCONNECT)

    def handle_request(
        self, environ: WSGIEnviron, start_response: StartResponse
    ) -> Iterable[bytes]:
        """WSGI entry point for requests under the Socket.IO path."""
        return self.eio.handle_request(environ, start_response)

    def start_background_task(
        self, target: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> BackgroundTask:
        """Run ``target(*args, **kwargs)`` in a thread/greenlet of the async mode; ``join()`` it."""
        return self.eio.driver.spawn(target, *args, **kwargs)

    def sleep(self, seconds: float = 0) -> None:
        self.eio.driver.sleep(seconds)

    def shutdown(self) -> None:
        """Close every connection and stop the engine's timer thread."""
        self.eio.shutdown()

    # -- the calling steps of the shared protocol code (see base_server) -----------
    def _call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> Cancellable:
        return self.eio.call_later(delay, callback, *args)

    def _on_connect_packet(self, client: ClientState, namespace: str, auth: Any) -> None:
        sid = self._connect_begin(client, namespace)
        if sid is None:
            return
        try:
            result = self._call_reserved("connect", namespace, [sid, client.environ], auth)
        except Exception as exc:
            self._connect_end(client, namespace, sid, error=exc)
        else:
            self._connect_end(client, namespace, sid, result)

    def _on_event(self, client: ClientState, packet: Packet) -> None:
        target = self._event_target(client, packet)
        if target is None:
            return
        handler, args = target
        if self.async_handlers:
            self.eio.driver.submit(
                self._run_handler, handler, args, client.eio_sid, packet.namespace, packet.id
            )
        else:
            self._run_handler(handler, args, client.eio_sid, packet.namespace, packet.id)

    def _run_handler(
        self, handler: Handler, args: list[Any], eio_sid: str, namespace: str, ack_id: int | None
    ) -> None:
        try:
            result = handler(*args)
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
            callback(*packet.data)
        except Exception:
            self.logger.exception("ack callback error")

    def _call_reserved(self, event: str, namespace: str, args: list[Any], optional: Any) -> Any:
        target = self._reserved_target(event, namespace, args, optional)
        return None if target is None else target[0](*target[1])

    def _leave_begin(self, client: ClientState, namespace: str, sid: str) -> bool:
        # A server disconnect() and the client's own DISCONNECT may race on two threads.
        with self._state_lock:
            return super()._leave_begin(client, namespace, sid)

    def _leave_namespace(self, client: ClientState, namespace: str, sid: str, reason: str) -> None:
        if not self._leave_begin(client, namespace, sid):
            return
        try:
            self._call_reserved("disconnect", namespace, [sid], reason)
        except Exception:
            self.logger.exception("disconnect handler error")
        self._leave_end(client, namespace, sid, reason)
        self.manager.disconnect(sid, namespace)  # type: ignore[attr-defined]

    def _close_client(self, client: ClientState, reason: str) -> None:
        for namespace, sid in list(client.namespaces.items()):
            self._leave_namespace(client, namespace, sid, reason)
