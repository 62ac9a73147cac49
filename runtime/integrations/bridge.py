"""ASGI messages over a framework's own request objects (aiohttp, tornado, sanic).

The asyncio Engine.IO edge (``AsyncEngineServer.handle_asgi``) already does all the
I/O work around the sans-IO core; a framework mode only has to present its request
as an ASGI scope with ``receive``/``send``. ``HttpExchange`` does that for a plain
request (the response is captured, the framework writes it), ``WebSocketExchange``
for a websocket handshake, over a ``FrameworkWebSocket`` the mode implements.
No Engine.IO logic lives here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Protocol

from runtime.engineio.asgi_io import Message, Scope
from runtime.engineio.http import HttpResponse

__all__ = [
    "FrameworkWebSocket",
    "HttpExchange",
    "WebSocketExchange",
    "make_scope",
    "socketio_route",
]

_DISCONNECT: Message = {"type": "websocket.disconnect", "code": 1006}


def socketio_route(socketio_path: str) -> str:
    """The route python-socketio registers: ``/socket.io/`` for ``socketio_path='socket.io'``."""
    return "/" + socketio_path.strip("/") + "/"


def make_scope(
    *,
    websocket: bool,
    method: str,
    path: str,
    query_string: str,
    headers: Iterable[tuple[str, str]],
    scheme: str,
    client: tuple[str, int] | None,
    server: tuple[str, int | None] | None,
    extra: dict[str, Any] | None = None,
) -> Scope:
    """An ASGI ``http`` or ``websocket`` scope from a framework's parsed request."""
    scope: Scope = {
        "type": "websocket" if websocket else "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method.upper(),
        "scheme": scheme,
        "path": path,
        "raw_path": path.encode("latin-1", "replace"),
        "query_string": query_string.encode("latin-1", "replace"),
        "root_path": "",
        "headers": [
            (name.lower().encode("latin-1", "replace"), value.encode("latin-1", "replace"))
            for name, value in headers
        ],
        "client": client,
        "server": server,
    }
    if websocket:
        # A refused handshake then gets the core's HTTP answer (status and body).
        scope["extensions"] = {"websocket.http.response": {}}
    if extra:
        scope.update(extra)
    return scope


def _decode_headers(raw: Iterable[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw]


class HttpExchange:
    """``receive``/``send`` for one plain HTTP request; the response is kept for the framework.

    ``read`` returns the next body chunk, ``b""`` at the end.
    """

    def __init__(self, read: Callable[[], Awaitable[bytes]]) -> None:
        self._read = read
        self._ended = False
        self.status: int | None = None  # None: the edge wrote nothing (the client went away)
        self.headers: list[tuple[str, str]] = []
        self.body = b""

    @property
    def response(self) -> HttpResponse | None:
        if self.status is None:
            return None
        return HttpResponse(self.status, tuple(self.headers), self.body)

    async def receive(self) -> Message:
        if self._ended:
            return {"type": "http.disconnect"}
        chunk = await self._read()
        if not chunk:
            self._ended = True
        return {"type": "http.request", "body": chunk, "more_body": bool(chunk)}

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.status = int(message["status"])
            self.headers = _decode_headers(message.get("headers") or ())
        elif kind == "http.response.body":
            self.body += message.get("body") or b""


def body_reader(body: bytes) -> Callable[[], Awaitable[bytes]]:
    """A ``read`` for a body the framework has already read in full."""
    chunks = [body] if body else []

    async def read() -> bytes:
        return chunks.pop() if chunks else b""

    return read


class FrameworkWebSocket(Protocol):
    """A framework's server-side websocket, as ``WebSocketExchange`` drives it.

    One task reads (``receive``) while another writes (``send``, ``close``).
    """

    async def accept(self, headers: Sequence[tuple[str, str]]) -> bool:
        """Complete the handshake with extra response ``headers``; False if it failed."""
        ...

    async def receive(self) -> str | bytes | None:
        """The next message; None once the connection is closed."""
        ...

    async def send(self, data: str | bytes) -> None:
        """Send one text (str) or binary (bytes) message; raises once the peer is gone."""
        ...

    async def close(self, code: int) -> None:
        """Start the closing handshake."""
        ...


class WebSocketExchange:
    """``receive``/``send`` of an ASGI websocket scope over a ``FrameworkWebSocket``."""

    def __init__(self, socket: FrameworkWebSocket) -> None:
        self.socket = socket
        self.accepted = False
        self.refusal: HttpResponse | None = None  # the handshake was refused with this
        self._connected = False
        self._ended = False
        self._refusal_status = 403
        self._refusal_headers: tuple[tuple[str, str], ...] = ()

    async def receive(self) -> Message:
        if not self._connected:
            self._connected = True
            return {"type": "websocket.connect"}
        if not self.accepted or self._ended:
            return _DISCONNECT
        data = await self.socket.receive()
        if data is None:
            self._ended = True
            return _DISCONNECT
        if isinstance(data, str):
            return {"type": "websocket.receive", "text": data}
        return {"type": "websocket.receive", "bytes": data}

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "websocket.send":
            text = message.get("text")
            await self.socket.send(text if text is not None else message.get("bytes") or b"")
        elif kind == "websocket.accept":
            headers = _decode_headers(message.get("headers") or ())
            self.accepted = await self.socket.accept(headers)
        elif kind == "websocket.close":
            if self.accepted:
                await self.socket.close(int(message.get("code", 1000)))
            elif self.refusal is None:
                self.refusal = HttpResponse(403)
        elif kind == "websocket.http.response.start":
            self._refusal_status = int(message["status"])
            self._refusal_headers = tuple(_decode_headers(message.get("headers") or ()))
        elif kind == "websocket.http.response.body":
            body = message.get("body") or b""
            self.refusal = HttpResponse(self._refusal_status, self._refusal_headers, body)
