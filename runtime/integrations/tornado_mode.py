"""``async_mode='tornado'``: ``get_tornado_handler(sio)``, mounted at ``/socket.io/``.

The handler serves GET (polling, or the websocket handshake), POST and OPTIONS and
hands each request to the asyncio Engine.IO edge as an ASGI scope (``bridge``).
As in python-socketio, websockets use permessage-deflate when the client offers it,
and the Origin check is the server's (``cors_allowed_origins``), not tornado's.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import tornado.web
import tornado.websocket

from runtime.integrations.bridge import (
    HttpExchange,
    WebSocketExchange,
    body_reader,
    make_scope,
)

if TYPE_CHECKING:
    from runtime.async_server import AsyncServer

__all__ = ["make_handler"]


class _TornadoWebSocket:
    """``FrameworkWebSocket`` over a ``WebSocketHandler``.

    Tornado runs the handshake and then its frame loop inside ``WebSocketHandler.get``,
    calling ``open``/``on_message``/``on_close``; the request coroutine awaits
    ``go`` (the edge accepted) before starting it, and ``accept`` waits for ``open``.
    """

    def __init__(self, handler: tornado.websocket.WebSocketHandler) -> None:
        self.handler = handler
        loop = asyncio.get_running_loop()
        self.go: asyncio.Future[None] = loop.create_future()
        self.opened: asyncio.Future[bool] = loop.create_future()
        self.incoming: asyncio.Queue[str | bytes | None] = asyncio.Queue()

    async def accept(self, headers: Sequence[tuple[str, str]]) -> bool:
        for name, value in headers:
            self.handler.add_header(name, value)
        self.go.set_result(None)
        return await self.opened

    def ended(self) -> None:
        if not self.opened.done():
            self.opened.set_result(False)
        self.incoming.put_nowait(None)

    async def receive(self) -> str | bytes | None:
        return await self.incoming.get()

    async def send(self, data: str | bytes) -> None:
        await self.handler.write_message(data, binary=isinstance(data, bytes))

    async def close(self, code: int) -> None:
        self.handler.close(code)


def _host_port(host: str, default: int) -> tuple[str, int | None]:
    """The ``Host`` header as (name, port), IPv6 brackets removed."""
    name, sep, port = host.rpartition(":")
    if sep and port.isdigit():
        return name.strip("[]"), int(port)
    return host.strip("[]"), default


def make_handler(server: AsyncServer) -> type[tornado.websocket.WebSocketHandler]:
    """A ``WebSocketHandler`` subclass bound to ``server``."""

    class SocketIOHandler(tornado.websocket.WebSocketHandler):
        _socket: _TornadoWebSocket | None = None

        def _scope(self, websocket: bool) -> dict[str, Any]:
            request = self.request
            address = getattr(request.connection, "context", None)
            address = getattr(address, "address", None)
            client = (
                (str(address[0]), int(address[1]))
                if isinstance(address, tuple) and len(address) >= 2
                else ((request.remote_ip, 0) if request.remote_ip else None)
            )
            default_port = 443 if request.protocol == "https" else 80
            return make_scope(
                websocket=websocket,
                method=request.method or "GET",
                path=request.path,
                query_string=request.query,
                headers=request.headers.get_all(),
                scheme=request.protocol,
                client=client,
                server=_host_port(request.host, default_port),
                extra={"tornado.handler": self},
            )

        async def get(self, *args: Any, **kwargs: Any) -> None:
            if self.request.headers.get("Upgrade", "").lower() == "websocket":
                await self._websocket(*args, **kwargs)
            else:
                await self._http()

        async def post(self, *args: Any, **kwargs: Any) -> None:
            await self._http()

        async def options(self, *args: Any, **kwargs: Any) -> None:
            await self._http()

        async def _http(self) -> None:
            exchange = HttpExchange(body_reader(self.request.body))
            await server.eio.handle_asgi(self._scope(False), exchange.receive, exchange.send)
            response = exchange.response
            if response is None or self._finished:
                return
            self._write_response(response.status, response.headers, response.body)

        def _write_response(
            self, status: int, headers: Sequence[tuple[str, str]], body: bytes
        ) -> None:
            self.set_status(status)
            self.clear_header("Content-Type")
            seen: set[str] = set()
            for name, value in headers:
                if name.lower() in seen:
                    self.add_header(name, value)
                else:
                    seen.add(name.lower())
                    self.set_header(name, value)
            self.finish(body or None)  # tornado refuses even an empty body on a 204

        async def _websocket(self, *args: Any, **kwargs: Any) -> None:
            socket = self._socket = _TornadoWebSocket(self)
            exchange = WebSocketExchange(socket)
            edge = asyncio.ensure_future(
                server.eio.handle_asgi(self._scope(True), exchange.receive, exchange.send)
            )
            try:
                await asyncio.wait((edge, socket.go), return_when=asyncio.FIRST_COMPLETED)
                if socket.go.done():
                    try:
                        # the handshake, open() and tornado's frame loop, until the close
                        await super().get(*args, **kwargs)
                    finally:
                        socket.ended()
                await edge
            finally:
                if not edge.done():  # this request was cancelled: stop the edge too
                    edge.cancel()
                    with contextlib.suppress(BaseException):
                        await edge
            refusal = exchange.refusal
            if not exchange.accepted and not self._finished:
                if refusal is None:
                    self._write_response(400, (), b"")
                else:
                    self._write_response(refusal.status, refusal.headers, refusal.body)

        def open(self, *args: Any, **kwargs: Any) -> None:
            socket = self._socket
            if socket is not None and not socket.opened.done():
                socket.opened.set_result(True)

        def on_message(self, message: str | bytes) -> None:
            if self._socket is not None:
                self._socket.incoming.put_nowait(message)

        def on_close(self) -> None:
            if self._socket is not None:
                self._socket.ended()

        def check_origin(self, origin: str) -> bool:
            return True  # the Engine.IO core checks Origin against cors_allowed_origins

        def get_compression_options(self) -> dict[str, Any] | None:
            return {}  # permessage-deflate when the client offers it, as python-socketio

        @property
        def max_message_size(self) -> int:
            return server.eio.config.max_http_buffer_size

        def compute_etag(self) -> str | None:
            return None  # long-poll answers must never become 304s

    return SocketIOHandler
