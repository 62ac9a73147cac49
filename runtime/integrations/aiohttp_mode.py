"""``async_mode='aiohttp'``: ``sio.attach(app)`` on an ``aiohttp.web.Application``.

Routes GET/POST/OPTIONS of ``/socket.io/`` to the server, as python-socketio does;
each request is handed to the asyncio Engine.IO edge as an ASGI scope (``bridge``).
Websockets are ``aiohttp.web.WebSocketResponse`` with ``max_msg_size`` set to
``max_http_buffer_size``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING

from aiohttp import WSMsgType, web
from multidict import CIMultiDict

from runtime.integrations.bridge import (
    HttpExchange,
    WebSocketExchange,
    make_scope,
    socketio_route,
)

if TYPE_CHECKING:
    from runtime.async_server import AsyncServer

__all__ = ["attach", "handle"]


def attach(server: AsyncServer, app: web.Application, socketio_path: str = "socket.io") -> None:
    route = socketio_route(socketio_path)
    handler = partial(handle, server)
    app.router.add_route("GET", route, handler)
    app.router.add_route("POST", route, handler)
    app.router.add_route("OPTIONS", route, handler)


class _AiohttpWebSocket:
    """``FrameworkWebSocket`` over ``aiohttp.web.WebSocketResponse``."""

    def __init__(self, request: web.Request, max_size: int) -> None:
        self.request = request
        self.ws = web.WebSocketResponse(max_msg_size=max_size)

    async def accept(self, headers: Sequence[tuple[str, str]]) -> bool:
        for name, value in headers:
            self.ws.headers.add(name, value)
        try:
            await self.ws.prepare(self.request)
        except Exception:  # the handshake itself failed (bad headers, client gone)
            return False
        return True

    async def receive(self) -> str | bytes | None:
        while True:
            message = await self.ws.receive()
            if message.type is WSMsgType.TEXT:
                data: str = message.data
                return data
            if message.type is WSMsgType.BINARY:
                raw: bytes = message.data
                return raw
            if message.type in (WSMsgType.PING, WSMsgType.PONG):
                continue  # answered by aiohttp (autoping)
            return None  # CLOSE, CLOSING, CLOSED or ERROR

    async def send(self, data: str | bytes) -> None:
        if isinstance(data, str):
            await self.ws.send_str(data)
        else:
            await self.ws.send_bytes(data)

    async def close(self, code: int) -> None:
        await self.ws.close(code=code)


def _scope_of(request: web.Request, websocket: bool) -> dict[str, object]:
    transport = request.transport
    peer = transport.get_extra_info("peername") if transport is not None else None
    sock = transport.get_extra_info("sockname") if transport is not None else None
    return make_scope(
        websocket=websocket,
        method=request.method,
        path=request.path,
        query_string=request.query_string,
        headers=request.headers.items(),
        scheme=request.scheme,
        client=(peer[0], peer[1]) if isinstance(peer, tuple) else None,
        server=(sock[0], sock[1]) if isinstance(sock, tuple) else None,
        extra={"aiohttp.request": request},
    )


async def handle(server: AsyncServer, request: web.Request) -> web.StreamResponse:
    """Serve one request of the Socket.IO path (also ``AsyncServer.handle_request(request)``)."""
    eio = server.eio
    if request.method == "GET" and request.headers.get("Upgrade", "").lower() == "websocket":
        socket = _AiohttpWebSocket(request, eio.config.max_http_buffer_size)
        ws_exchange = WebSocketExchange(socket)
        await eio.handle_asgi(_scope_of(request, True), ws_exchange.receive, ws_exchange.send)
        if socket.ws.prepared:
            return socket.ws
        refusal = ws_exchange.refusal
        if refusal is None:
            return web.Response(status=400)
        return web.Response(
            status=refusal.status, headers=CIMultiDict(refusal.headers), body=refusal.body
        )
    exchange = HttpExchange(request.content.readany)
    await eio.handle_asgi(_scope_of(request, False), exchange.receive, exchange.send)
    response = exchange.response
    if response is None:  # the client went away before its request was read
        return web.Response(status=400)
    return web.Response(
        status=response.status, headers=CIMultiDict(response.headers), body=response.body
    )
