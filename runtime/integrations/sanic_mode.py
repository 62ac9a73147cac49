"""``async_mode='sanic'``: ``sio.attach(app)`` on a Sanic application.

One route (GET/POST/OPTIONS of ``/socket.io/``) serves polling and the websocket
handshake: Sanic's router cannot hold an HTTP and a websocket route on one path, so
the handler performs the handshake itself through Sanic's ``WebSocketProtocol``
(the same call Sanic's own websocket routes make). Requests reach the asyncio
Engine.IO edge as ASGI scopes (``bridge``). Sanic's handshake takes no extra
response headers, so the optional ``io`` cookie is only set over polling.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sanic import Request, Sanic
from sanic.response import HTTPResponse
from sanic.server.websockets.impl import WebsocketImplProtocol

from runtime.integrations.bridge import (
    HttpExchange,
    WebSocketExchange,
    body_reader,
    make_scope,
    socketio_route,
)

if TYPE_CHECKING:
    from runtime.async_server import AsyncServer

__all__ = ["attach", "handle"]


def attach(server: AsyncServer, app: Sanic[Any, Any], socketio_path: str = "socket.io") -> None:
    async def socketio_handler(request: Request) -> HTTPResponse | None:
        return await handle(server, request)

    # Sanic sends no response of its own for a handler that may upgrade the connection.
    socketio_handler.is_websocket = True  # type: ignore[attr-defined]
    app.enable_websocket()
    app.add_route(
        socketio_handler,
        socketio_route(socketio_path),
        methods=["GET", "POST", "OPTIONS"],
        name=f"socketio_{abs(hash(socketio_path))}",
    )


class _SanicWebSocket:
    """``FrameworkWebSocket`` over Sanic's websocket implementation."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.ws: WebsocketImplProtocol | None = None

    async def accept(self, headers: Sequence[tuple[str, str]]) -> bool:
        try:
            protocol: Any = self.request.transport.get_protocol()
            self.ws = await protocol.websocket_handshake(self.request)
        except Exception:
            return False
        return True

    async def receive(self) -> str | bytes | None:
        ws = self.ws
        if ws is None:
            return None
        try:
            data = await ws.recv()
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            # Sanic cancels a pending recv when the connection closes
            data = await self._leftover(ws)
        except Exception:  # ConnectionClosed / WebsocketClosed
            data = await self._leftover(ws)
        if data is None:
            return None
        if isinstance(data, bytearray | memoryview):
            return bytes(data)
        return data

    @staticmethod
    async def _leftover(ws: WebsocketImplProtocol) -> Any:
        """The last message, when the close frame came in the same read as it.

        Sanic refuses ``recv()`` once the connection is closed, even with a complete
        message still in its assembler (say a DISCONNECT sent right before the close
        frame); losing it would turn a client disconnect into a transport close.
        """
        try:
            return await ws.assembler.get(0)
        except Exception:
            return None

    async def send(self, data: str | bytes) -> None:
        if self.ws is None:
            raise ConnectionError("websocket not open")
        await self.ws.send(data)

    async def close(self, code: int) -> None:
        if self.ws is not None:
            await self.ws.close(code)


def _scope_of(request: Request, websocket: bool) -> dict[str, Any]:
    ip, port = request.ip, request.port
    return make_scope(
        websocket=websocket,
        method=request.method,
        path=request.path,
        query_string=request.query_string,
        headers=request.headers.items(),
        scheme="https" if request.scheme in ("https", "wss") else "http",
        client=(ip, int(port)) if ip else None,
        server=(request.server_name, request.server_port),
        extra={"sanic.request": request},
    )


def _response(status: int, headers: Sequence[tuple[str, str]], body: bytes) -> HTTPResponse:
    content_type = next((v for k, v in headers if k.lower() == "content-type"), None)
    others = [(k, v) for k, v in headers if k.lower() != "content-type"]
    response = HTTPResponse(body=body, status=status, content_type=content_type)
    for name, value in others:
        response.headers.add(name, value)
    return response


async def handle(server: AsyncServer, request: Request) -> HTTPResponse | None:
    """Serve one request of the Socket.IO path (also ``AsyncServer.handle_request(request)``)."""
    eio = server.eio
    if request.method == "GET" and request.headers.get("upgrade", "").lower() == "websocket":
        socket = _SanicWebSocket(request)
        ws_exchange = WebSocketExchange(socket)
        try:
            await eio.handle_asgi(_scope_of(request, True), ws_exchange.receive, ws_exchange.send)
        finally:
            if socket.ws is not None:  # as Sanic's own websocket routes end
                await socket.ws.close()
        if ws_exchange.accepted:
            return None
        refusal = ws_exchange.refusal
        if refusal is None:
            return _response(400, (), b"")
        return _response(refusal.status, refusal.headers, refusal.body)
    exchange = HttpExchange(body_reader(request.body))
    await eio.handle_asgi(_scope_of(request, False), exchange.receive, exchange.send)
    response = exchange.response
    if response is None:
        return _response(400, (), b"")
    return _response(response.status, response.headers, response.body)
