"""``SimpleClient`` / ``AsyncSimpleClient``: one namespace, events pulled with ``receive()``."""

from __future__ import annotations

import asyncio
import builtins
import threading
from types import TracebackType
from typing import Any

from runtime.client.async_client import AsyncClient
from runtime.client.sync_client import Client
from runtime.exceptions import DisconnectedError, SocketIOError, TimeoutError

__all__ = ["AsyncSimpleClient", "SimpleClient"]


class AsyncSimpleClient:
    """python-socketio's ``AsyncSimpleClient``; arguments go to ``AsyncClient``."""

    client_class = AsyncClient

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.client_args = args
        self.client_kwargs = kwargs
        self.client: AsyncClient | None = None
        self.namespace = "/"
        self.connected_event = asyncio.Event()
        self.connected = False
        self.input_event = asyncio.Event()
        self.input_buffer: list[list[Any]] = []

    async def connect(
        self,
        url: Any,
        headers: Any = None,
        auth: Any = None,
        transports: Any = None,
        namespace: str = "/",
        socketio_path: str = "socket.io",
        wait_timeout: float = 5,
    ) -> None:
        if self.connected:
            raise RuntimeError("Already connected")
        self.namespace = namespace
        self.input_buffer = []
        self.input_event.clear()
        client = self.client = self.client_class(*self.client_args, **self.client_kwargs)

        def connect() -> None:
            self.connected = True
            self.connected_event.set()

        def disconnect() -> None:
            self.connected_event.clear()  # a reconnection may follow

        def disconnect_final() -> None:
            self.connected = False
            self.connected_event.set()
            self.input_event.set()  # wake a receive() in progress: it raises

        def on_event(event: str, *args: Any) -> None:
            self.input_buffer.append([event, *args])
            self.input_event.set()

        client.on("connect", connect, namespace)
        client.on("disconnect", disconnect, namespace)
        client.on("__disconnect_final", disconnect_final, namespace)
        client.on("*", on_event, namespace)
        await client.connect(
            url,
            headers=headers,
            auth=auth,
            transports=transports,
            namespaces=[namespace],
            socketio_path=socketio_path,
            wait_timeout=wait_timeout,
        )

    @property
    def sid(self) -> str | None:
        return self.client.get_sid(self.namespace) if self.client else None

    @property
    def transport(self) -> str:
        return self.client.transport() if self.client else ""

    def _client(self) -> AsyncClient:
        if self.client is None or not self.connected:
            raise DisconnectedError()
        return self.client

    async def emit(self, event: str, data: Any = None) -> None:
        while True:
            await self.connected_event.wait()
            client = self._client()
            try:
                return await client.emit(event, data, namespace=self.namespace)
            except SocketIOError:
                await asyncio.sleep(0)  # reconnecting: wait for the connect event

    async def call(self, event: str, data: Any = None, timeout: float = 60) -> Any:
        while True:
            await self.connected_event.wait()
            client = self._client()
            try:
                return await client.call(event, data, namespace=self.namespace, timeout=timeout)
            except TimeoutError:
                raise
            except SocketIOError:
                await asyncio.sleep(0)

    async def receive(self, timeout: float | None = None) -> list[Any]:
        """The next ``[event, *args]`` from the server."""
        while not self.input_buffer:
            try:
                await asyncio.wait_for(self.connected_event.wait(), timeout)
            except builtins.TimeoutError:
                raise TimeoutError() from None
            if not self.connected:
                raise DisconnectedError()
            try:
                await asyncio.wait_for(self.input_event.wait(), timeout)
            except builtins.TimeoutError:
                raise TimeoutError() from None
            self.input_event.clear()
        return self.input_buffer.pop(0)

    async def disconnect(self) -> None:
        if self.connected and self.client is not None:
            await self.client.disconnect()
            self.client = None
            self.connected = False

    async def __aenter__(self) -> AsyncSimpleClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.disconnect()


class SimpleClient:
    """python-socketio's ``SimpleClient``; arguments go to ``Client``."""

    client_class = Client

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.client_args = args
        self.client_kwargs = kwargs
        self.client: Client | None = None
        self.namespace = "/"
        self.connected_event = threading.Event()
        self.connected = False
        self.input_event = threading.Event()
        self.input_buffer: list[list[Any]] = []
        self._lock = threading.Lock()

    def connect(
        self,
        url: Any,
        headers: Any = None,
        auth: Any = None,
        transports: Any = None,
        namespace: str = "/",
        socketio_path: str = "socket.io",
        wait_timeout: float = 5,
    ) -> None:
        if self.connected:
            raise RuntimeError("Already connected")
        self.namespace = namespace
        self.input_buffer = []
        self.input_event.clear()
        client = self.client = self.client_class(*self.client_args, **self.client_kwargs)

        def connect() -> None:
            self.connected = True
            self.connected_event.set()

        def disconnect() -> None:
            self.connected_event.clear()

        def disconnect_final() -> None:
            self.connected = False
            self.connected_event.set()
            self.input_event.set()  # wake a receive() in progress: it raises

        def on_event(event: str, *args: Any) -> None:
            with self._lock:
                self.input_buffer.append([event, *args])
                self.input_event.set()

        client.on("connect", connect, namespace)
        client.on("disconnect", disconnect, namespace)
        client.on("__disconnect_final", disconnect_final, namespace)
        client.on("*", on_event, namespace)
        client.connect(
            url,
            headers=headers,
            auth=auth,
            transports=transports,
            namespaces=[namespace],
            socketio_path=socketio_path,
            wait_timeout=wait_timeout,
        )

    @property
    def sid(self) -> str | None:
        return self.client.get_sid(self.namespace) if self.client else None

    @property
    def transport(self) -> str:
        return self.client.transport() if self.client else ""

    def _client(self) -> Client:
        if self.client is None or not self.connected:
            raise DisconnectedError()
        return self.client

    def emit(self, event: str, data: Any = None) -> None:
        while True:
            self.connected_event.wait()
            client = self._client()
            try:
                return client.emit(event, data, namespace=self.namespace)
            except SocketIOError:
                pass

    def call(self, event: str, data: Any = None, timeout: float = 60) -> Any:
        while True:
            self.connected_event.wait()
            client = self._client()
            try:
                return client.call(event, data, namespace=self.namespace, timeout=timeout)
            except TimeoutError:
                raise
            except SocketIOError:
                pass

    def receive(self, timeout: float | None = None) -> list[Any]:
        """The next ``[event, *args]`` from the server."""
        while True:
            with self._lock:
                if self.input_buffer:
                    return self.input_buffer.pop(0)
                self.input_event.clear()
            if not self.connected_event.wait(timeout):
                raise TimeoutError()
            if not self.connected:
                raise DisconnectedError()
            if not self.input_event.wait(timeout):
                raise TimeoutError()

    def disconnect(self) -> None:
        if self.connected and self.client is not None:
            self.client.disconnect()
            self.client = None
            self.connected = False

    def __enter__(self) -> SimpleClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.disconnect()
