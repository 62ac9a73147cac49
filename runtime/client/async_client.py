"""``AsyncClient``: python-socketio's asyncio Socket.IO client.

Protocol decisions live in ``ClientConnection`` (sans-IO); the engine edge is
``AsyncEngine``. Received events run one at a time, in order, in a dispatcher task,
so a handler may ``await client.call(...)``: acks are matched by the reader itself.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from runtime import exceptions
from runtime.client.backoff import ReconnectPolicy
from runtime.client.connection import (
    AckReceived,
    ClientConnection,
    EventReceived,
    NamespaceConnected,
    NamespaceDisconnected,
    NamespaceRejected,
    ack_args,
    emit_args,
)
from runtime.client.engine_async import AsyncEngine
from runtime.client.handlers import HandlerRegistry
from runtime.exceptions import RemoteProtocolError
from runtime.socketio.jsonmod import JsonModule
from runtime.socketio.serializer import Serializer, get_serializer

__all__ = ["AsyncClient", "Reason"]

logger = logging.getLogger("runtime.client")

Job = Callable[[], Awaitable[None]]


class Reason:
    """python-socketio's client disconnect reasons (``Client.reason``)."""

    CLIENT_DISCONNECT = "client disconnect"
    SERVER_DISCONNECT = "server disconnect"
    TRANSPORT_ERROR = "transport error"


_EIO_OPTIONS = ("request_timeout", "http_session", "ssl_verify", "websocket_extra_options")
_IGNORED_EIO_OPTIONS = ("timestamp_requests", "engineio_logger", "logger", "json")


class AsyncClient(HandlerRegistry):
    """An asyncio Socket.IO client with python-socketio's API."""

    reason = Reason

    def __init__(
        self,
        reconnection: bool = True,
        reconnection_attempts: int = 0,
        reconnection_delay: float = 1,
        reconnection_delay_max: float = 5,
        randomization_factor: float = 0.5,
        logger: Any = False,
        serializer: str | Serializer = "default",
        json: JsonModule | None = None,
        handle_sigint: bool = True,
        **eio_kwargs: Any,
    ) -> None:
        super().__init__()
        self.reconnection = reconnection
        self.reconnection_attempts = reconnection_attempts
        self.reconnection_delay = reconnection_delay
        self.reconnection_delay_max = reconnection_delay_max
        self.randomization_factor = randomization_factor
        self.handle_sigint = handle_sigint
        unknown = set(eio_kwargs) - set(_EIO_OPTIONS) - set(_IGNORED_EIO_OPTIONS)
        if unknown:
            raise TypeError(f"unexpected keyword arguments: {sorted(unknown)}")
        self._eio_options = {k: v for k, v in eio_kwargs.items() if k in _EIO_OPTIONS}
        self._serializer = get_serializer(serializer, json)
        self.connection_url: Any = None
        self.connection_headers: Any = None
        self.connection_auth: Any = None
        self.connection_namespace_auth: dict[str, Any] = {}
        self.connection_transports: Any = None
        self.connection_namespaces: list[str] = []
        self.socketio_path: str = "socket.io"
        self.sid: str | None = None
        self.connected = False
        self.namespaces: dict[str, str] = {}
        self.failed_namespaces: list[str] = []
        self.callbacks: dict[tuple[str, int], Callable[..., Any]] = {}
        self._calls: dict[tuple[str, int], asyncio.Future[tuple[Any, ...]]] = {}
        self._conn: ClientConnection | None = None
        self._engine: AsyncEngine | None = None
        self._connect_event: asyncio.Event | None = None
        self._engine_closed: asyncio.Event | None = None
        self._reconnect_task: asyncio.Task[None] | None = None
        self._reconnect_abort: asyncio.Event | None = None
        self._jobs: asyncio.Queue[Job] | None = None
        self._dispatcher: asyncio.Task[None] | None = None

    def is_asyncio_based(self) -> bool:
        return True

    @property
    def policy(self) -> ReconnectPolicy:
        return ReconnectPolicy(
            self.reconnection,
            self.reconnection_attempts,
            self.reconnection_delay,
            self.reconnection_delay_max,
            self.randomization_factor,
        )

    # -- connecting ----------------------------------------------------------------

    async def connect(
        self,
        url: Any,
        headers: Any = None,
        auth: Any = None,
        transports: Any = None,
        namespaces: Any = None,
        socketio_path: str = "socket.io",
        wait: bool = True,
        wait_timeout: float = 1,
        retry: bool = False,
        *,
        namespace_auth: Mapping[str, Any] | None = None,
    ) -> None:
        """Connect; ``url``, ``headers`` and ``auth`` may be (async) callables.

        Beyond python-socketio, ``namespace_auth`` gives some namespaces their own
        auth (a dict or an (async) callable, like ``auth``, evaluated at each
        connection attempt), as socket.io-client does per socket; the others get ``auth``.
        """
        if self.connected:
            raise exceptions.ConnectionError("Already connected")
        if namespaces is None:
            namespaces = [ns for ns in {*self.handlers, *self.namespace_handlers} if ns != "*"]
            namespaces = sorted(namespaces) or ["/"]
        elif isinstance(namespaces, str):
            namespaces = [namespaces]
        if isinstance(transports, str):
            transports = [transports]
        self.connection_url = url
        self.connection_headers = headers
        self.connection_auth = auth
        self.connection_transports = transports
        self.connection_namespaces = list(namespaces)
        unknown = set(namespace_auth or {}) - set(self.connection_namespaces)
        if unknown:
            raise ValueError(f"namespace_auth names namespaces not connected: {sorted(unknown)}")
        self.connection_namespace_auth = dict(namespace_auth or {})
        self.socketio_path = socketio_path
        self.namespaces = {}
        self.failed_namespaces = []
        self._connect_event = connect_event = asyncio.Event()
        self._engine_closed = asyncio.Event()
        conn = self._conn = ClientConnection(self._serializer)
        engine = self._engine = AsyncEngine(
            lambda message: self._on_message(conn, engine, message),
            lambda reason: self._on_engine_close(engine, reason),
            **self._eio_options,
        )
        try:
            await engine.connect(
                await self._real(url), await self._real(headers), transports, socketio_path
            )
        except exceptions.ConnectionError as exc:
            self._engine_closed.set()
            data = exc.args[1] if len(exc.args) > 1 else exc.args[0]
            for namespace in self.connection_namespaces:
                await self._trigger_event("connect_error", namespace, data)
            if retry:
                await self._handle_reconnect()
                if self._engine is not None and self._engine.connected:
                    return
            raise exceptions.ConnectionError(exc.args[0]) from exc
        self.sid = engine.sid
        auth_data = await self._real(auth)
        per_namespace = {
            ns: await self._real(value) for ns, value in self.connection_namespace_auth.items()
        }
        engine.send(conn.connect(self.connection_namespaces, auth_data, per_namespace))
        if wait:
            try:
                while not conn.settled:
                    await asyncio.wait_for(connect_event.wait(), wait_timeout)
                    connect_event.clear()
            except TimeoutError:
                pass
            if set(self.namespaces) != set(self.connection_namespaces):
                await self.disconnect()
                if self.failed_namespaces:
                    raise exceptions.ConnectionError(
                        "One or more namespaces failed to connect: "
                        + ", ".join(self.failed_namespaces)
                    )
                raise exceptions.ConnectionError("Unexpected connection error")
        self.connected = True

    async def _real(self, value: Any) -> Any:
        if not callable(value):
            return value
        result = value()
        return await result if inspect.isawaitable(result) else result

    async def wait(self) -> None:
        """Wait until the connection ends for good (reconnections included)."""
        while True:
            if self._engine_closed is not None:
                await self._engine_closed.wait()
            task = self._reconnect_task
            if task is None:
                if self._engine is not None and self._engine.connected:
                    continue  # a reconnection finished meanwhile
                break
            await asyncio.shield(task)
            if self._engine is None or not self._engine.connected:
                break

    # -- sending -------------------------------------------------------------------

    def _live(self, namespace: str) -> tuple[ClientConnection, AsyncEngine]:
        conn, engine = self._conn, self._engine
        if namespace not in self.namespaces or conn is None or engine is None:
            raise exceptions.BadNamespaceError(f"{namespace} is not a connected namespace.")
        return conn, engine

    async def emit(
        self,
        event: str,
        data: Any = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
    ) -> None:
        namespace = namespace or "/"
        conn, engine = self._live(namespace)
        payloads, ack_id = conn.encode_event(
            namespace, event, emit_args(data), want_ack=callback is not None
        )
        if ack_id is not None and callback is not None:
            self.callbacks[(namespace, ack_id)] = callback
        engine.send(payloads)

    async def send(
        self, data: Any, namespace: str | None = None, callback: Callable[..., Any] | None = None
    ) -> None:
        await self.emit("message", data=data, namespace=namespace, callback=callback)

    async def call(
        self, event: str, data: Any = None, namespace: str | None = None, timeout: float = 60
    ) -> Any:
        """Emit and wait for the ack: one value, a tuple of several, or None."""
        namespace = namespace or "/"
        conn, engine = self._live(namespace)
        payloads, ack_id = conn.encode_event(namespace, event, emit_args(data), want_ack=True)
        assert ack_id is not None
        key = (namespace, ack_id)
        future: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()
        self._calls[key] = future
        engine.send(payloads)
        try:
            args = await asyncio.wait_for(future, timeout)
        except TimeoutError:
            conn.forget_ack(namespace, ack_id)
            raise exceptions.TimeoutError() from None
        finally:
            self._calls.pop(key, None)
        if len(args) > 1:
            return args
        return args[0] if args else None

    # -- disconnecting ---------------------------------------------------------------

    async def disconnect(self) -> None:
        conn, engine = self._conn, self._engine
        if conn is None or engine is None or not engine.connected:
            return
        engine.send(conn.disconnect())
        await engine.disconnect()
        self._connection_lost(self.reason.CLIENT_DISCONNECT, final=True)
        await self._drain()

    async def shutdown(self) -> None:
        """Disconnect, or stop a reconnection loop."""
        if self.connected or (self._engine is not None and self._engine.connected):
            await self.disconnect()
        elif self._reconnect_task is not None and self._reconnect_abort is not None:
            self._reconnect_abort.set()
            await asyncio.shield(self._reconnect_task)
        await self._drain()

    def transport(self) -> str:
        return self._engine.transport if self._engine is not None else ""

    def start_background_task(
        self, target: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any
    ) -> asyncio.Task[Any]:
        return asyncio.ensure_future(target(*args, **kwargs))

    async def sleep(self, seconds: float = 0) -> None:
        await asyncio.sleep(seconds)

    # -- input (runs in the engine's reader) -------------------------------------------

    async def _on_message(
        self, conn: ClientConnection, engine: AsyncEngine, message: str | bytes
    ) -> None:
        try:
            events = conn.receive(message)
        except RemoteProtocolError as exc:
            logger.warning("invalid packet from the server: %s", exc)
            events = []
        for event in events:
            if isinstance(event, EventReceived):
                self._dispatch(self._run_event(conn, engine, event))
            elif isinstance(event, AckReceived):
                key = (event.namespace, event.ack_id)
                future = self._calls.pop(key, None)
                if future is not None:
                    if not future.done():
                        future.set_result(event.args)
                    continue
                callback = self.callbacks.pop(key, None)
                if callback is not None:
                    self._dispatch(self._run_callback(callback, event.args))
            elif isinstance(event, NamespaceConnected):
                self.namespaces[event.namespace] = event.sid
                self._dispatch(self._trigger_job("connect", event.namespace))
                if self._connect_event is not None:
                    self._connect_event.set()
            elif isinstance(event, NamespaceRejected):
                self._on_rejected(event)
            elif isinstance(event, NamespaceDisconnected):
                self._on_server_disconnect(event.namespace, engine)

    def _on_rejected(self, event: NamespaceRejected) -> None:
        namespace = event.namespace
        self.failed_namespaces.append(namespace)
        self.namespaces.pop(namespace, None)
        if namespace == "/":
            self.namespaces = {}
            self.connected = False
        self._dispatch(self._trigger_job("connect_error", namespace, *event.args))
        if self._connect_event is not None:
            self._connect_event.set()

    def _on_server_disconnect(self, namespace: str, engine: AsyncEngine) -> None:
        if not self.connected:
            return
        self._dispatch(self._trigger_job("disconnect", namespace, self.reason.SERVER_DISCONNECT))
        self._dispatch(self._trigger_job("__disconnect_final", namespace))
        self.namespaces.pop(namespace, None)
        if not self.namespaces:
            # Last namespace gone: close the engine too, without reconnecting.
            self.connected = False
            self._dispatch(self._close_engine(engine))

    async def _close_engine(self, engine: AsyncEngine) -> None:
        await engine.disconnect()
        if engine is self._engine:
            self._connection_lost(self.reason.SERVER_DISCONNECT, final=True)

    async def _on_engine_close(self, engine: AsyncEngine, reason: str) -> None:
        if engine is not self._engine:
            return
        will_reconnect = self.reconnection and reason == self.reason.TRANSPORT_ERROR
        self._connection_lost(reason, final=not will_reconnect)
        if will_reconnect and self._reconnect_task is None:
            self._reconnect_task = asyncio.ensure_future(self._handle_reconnect())
        if self._engine_closed is not None:
            self._engine_closed.set()

    def _connection_lost(self, reason: str, *, final: bool) -> None:
        if self.connected:
            for namespace in list(self.namespaces):
                self._dispatch(self._trigger_job("disconnect", namespace, reason))
                if final:
                    self._dispatch(self._trigger_job("__disconnect_final", namespace))
            self.namespaces = {}
            self.connected = False
        self.callbacks = {}
        self.sid = None
        if self._conn is not None:
            self._conn.engine_closed()
        if self._engine_closed is not None:
            self._engine_closed.set()
        self._wake_dispatcher()

    # -- reconnection ----------------------------------------------------------------

    async def _handle_reconnect(self) -> None:
        abort = self._reconnect_abort = asyncio.Event()
        policy = self.policy
        attempts = 0
        try:
            while True:
                delay = policy.next_delay(attempts, random.random())
                logger.info("Connection failed, new attempt in %.02f seconds", delay)
                try:
                    await asyncio.wait_for(abort.wait(), delay)
                except TimeoutError:
                    pass
                else:
                    logger.info("Reconnect task aborted")
                    await self._final_for_all()
                    return
                attempts += 1
                try:
                    await self.connect(
                        self.connection_url,
                        headers=self.connection_headers,
                        auth=self.connection_auth,
                        namespace_auth=self.connection_namespace_auth,
                        transports=self.connection_transports,
                        namespaces=self.connection_namespaces,
                        socketio_path=self.socketio_path,
                        retry=False,
                    )
                except (exceptions.ConnectionError, ValueError):
                    pass
                else:
                    logger.info("Reconnection successful")
                    return
                if policy.gives_up(attempts):
                    logger.info("Maximum reconnection attempts reached, giving up")
                    await self._final_for_all()
                    return
        finally:
            self._reconnect_task = None
            self._wake_dispatcher()

    async def _final_for_all(self) -> None:
        for namespace in self.connection_namespaces:
            self._dispatch(self._trigger_job("__disconnect_final", namespace))
        await self._drain()

    # -- dispatching -----------------------------------------------------------------

    def _dispatch(self, job: Awaitable[None]) -> None:
        """Queue user code; one dispatcher task runs it in order while the client lives."""
        if self._jobs is None:
            self._jobs = asyncio.Queue()

        async def run() -> None:
            await job

        self._jobs.put_nowait(run)
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.ensure_future(self._dispatch_loop(self._jobs))

    def _wake_dispatcher(self) -> None:
        """Let an idle dispatcher notice that the client is done, and end."""
        if self._dispatcher is not None and not self._dispatcher.done():
            self._dispatch(asyncio.sleep(0))

    def _alive(self) -> bool:
        engine = self._engine
        return (engine is not None and engine.connected) or self._reconnect_task is not None

    async def _dispatch_loop(self, jobs: asyncio.Queue[Job]) -> None:
        while not jobs.empty() or self._alive():
            job = await jobs.get()
            try:
                await job()
            except Exception:
                logger.exception("client handler error")
            finally:
                jobs.task_done()

    async def _drain(self) -> None:
        """Wait for queued handlers to run (unless called from one of them)."""
        if self._jobs is not None and asyncio.current_task() is not self._dispatcher:
            await self._jobs.join()

    async def _trigger_job(self, event: str, namespace: str, *args: Any) -> None:
        await self._trigger_event(event, namespace, *args)

    async def _run_event(
        self, conn: ClientConnection, engine: AsyncEngine, event: EventReceived
    ) -> None:
        result = await self._trigger_event(event.event, event.namespace, *event.args)
        if event.ack_id is not None:
            engine.send(conn.encode_ack(event.namespace, event.ack_id, ack_args(result)))

    async def _run_callback(self, callback: Callable[..., Any], args: tuple[Any, ...]) -> None:
        await self._call_user(callback, args)

    async def _call_user(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        """Run user code (the sync ``Client`` overrides this to use its handler thread)."""
        result = fn(*args)
        if inspect.isawaitable(result):
            result = await result
        return result

    async def _trigger_event(self, event: str, namespace: str, *args: Any) -> Any:
        handler, hargs = self._get_event_handler(event, namespace, args)
        if handler is not None:
            try:
                return await self._call_user(handler, hargs)
            except TypeError:
                if event != "disconnect":
                    raise
                # Legacy disconnect handlers take no reason.
                return await self._call_user(handler, hargs[:-1])
        ns_handler, nargs = self._get_namespace_handler(namespace, args)
        if ns_handler is not None:
            return await self._call_user(ns_handler.trigger_event, (event, *nargs))
        return None
