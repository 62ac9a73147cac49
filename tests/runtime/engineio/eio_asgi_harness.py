"""Drive ``AsyncEngineServer.handle_asgi`` in-process with hand-made ASGI callables."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from runtime.engineio.asgi_edge import AsyncEngineServer
from runtime.engineio.config import EngineConfig
from runtime.engineio.http import HttpRequest

WAIT = 5.0  # upper bound for anything the tests wait for


@dataclass
class Recorder:
    """An EngineHandler that records callbacks; optionally echoes or awaits."""

    server: AsyncEngineServer | None = None
    echo: bool = False
    message_delay: float | None = None  # on_message returns a coroutine sleeping this long
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    disconnected: asyncio.Event = field(default_factory=asyncio.Event)
    on_message_hook: Callable[[str, str | bytes], None] | None = None

    def on_connect(self, sid: str, request: HttpRequest) -> None:
        self.calls.append(("connect", sid))
        self.connected.set()

    def on_message(self, sid: str, data: str | bytes) -> Awaitable[None] | None:
        self.calls.append(("message", sid, data))
        if self.on_message_hook is not None:
            self.on_message_hook(sid, data)
        if self.echo and self.server is not None:
            self.server.send(sid, data)
        if self.message_delay is not None:
            return self._slow(sid, data, self.message_delay)
        return None

    async def _slow(self, sid: str, data: str | bytes, delay: float) -> None:
        await asyncio.sleep(delay)
        self.calls.append(("message-done", sid, data))

    def on_disconnect(self, sid: str, reason: str) -> None:
        self.calls.append(("disconnect", sid, reason))
        self.disconnected.set()

    def messages(self, sid: str | None = None) -> list[str | bytes]:
        return [c[2] for c in self.calls if c[0] == "message" and (sid is None or c[1] == sid)]

    def disconnects(self) -> list[tuple[str, str]]:
        return [(c[1], c[2]) for c in self.calls if c[0] == "disconnect"]

    async def wait_disconnects(self, count: int) -> None:
        async def until() -> None:
            while len(self.disconnects()) < count:
                self.disconnected.clear()
                await self.disconnected.wait()

        await asyncio.wait_for(until(), WAIT)


def make_server(
    config: EngineConfig | None = None, **recorder: Any
) -> tuple[AsyncEngineServer, Recorder]:
    handler = Recorder(**recorder)
    server = AsyncEngineServer(config or EngineConfig(), handler)
    handler.server = server
    return server, handler


def http_scope(method: str, query: str, headers: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": "/engine.io/",
        "raw_path": b"/engine.io/",
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(b"host", b"testserver")] + [(k.encode(), v.encode()) for k, v in headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


@dataclass
class HttpResult:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


async def http(
    server: AsyncEngineServer,
    method: str,
    query: str,
    body: bytes | Sequence[bytes] = b"",
    headers: Sequence[tuple[str, str]] = (),
) -> HttpResult:
    chunks = [body] if isinstance(body, bytes) else list(body)
    messages = [
        {"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1}
        for index, chunk in enumerate(chunks)
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await asyncio.Future()  # a client that never disconnects
        raise AssertionError

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await asyncio.wait_for(
        server.handle_asgi(http_scope(method, query, headers), receive, send), WAIT
    )
    start = sent[0]
    assert start["type"] == "http.response.start"
    return HttpResult(
        start["status"],
        {k.decode(): v.decode() for k, v in start["headers"]},
        b"".join(m.get("body", b"") for m in sent[1:]),
    )


async def handshake(server: AsyncEngineServer, headers: Sequence[tuple[str, str]] = ()) -> str:
    result = await http(server, "GET", "EIO=4&transport=polling", headers=headers)
    assert result.status == 200, result
    sid: str = json.loads(result.body[1:])["sid"]
    return sid


class FakeWebSocket:
    """The peer side of one ASGI websocket connection."""

    def __init__(
        self,
        server: AsyncEngineServer,
        query: str,
        headers: Sequence[tuple[str, str]] = (),
        extensions: dict[str, Any] | None = None,
    ) -> None:
        self.to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        scope = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "scheme": "ws",
            "path": "/engine.io/",
            "raw_path": b"/engine.io/",
            "root_path": "",
            "query_string": query.encode(),
            "headers": [(b"host", b"testserver"), (b"upgrade", b"websocket")]
            + [(k.encode(), v.encode()) for k, v in headers],
            "client": ("127.0.0.1", 50001),
            "server": ("testserver", 80),
            "subprotocols": [],
            "extensions": extensions or {},
        }
        self.to_app.put_nowait({"type": "websocket.connect"})
        self.task = asyncio.ensure_future(server.handle_asgi(scope, self.to_app.get, self._send))

    async def _send(self, message: dict[str, Any]) -> None:
        self.from_app.put_nowait(message)

    async def next_message(self) -> dict[str, Any]:
        return await asyncio.wait_for(self.from_app.get(), WAIT)

    async def accepted(self) -> dict[str, Any]:
        message = await self.next_message()
        assert message["type"] == "websocket.accept", message
        return message

    async def frame(self) -> str | bytes:
        message = await self.next_message()
        assert message["type"] == "websocket.send", message
        text: str | None = message.get("text")
        if text is not None:
            return text
        data: bytes = message["bytes"]
        return data

    def send(self, data: str | bytes) -> None:
        key = "text" if isinstance(data, str) else "bytes"
        self.to_app.put_nowait({"type": "websocket.receive", key: data})

    async def disconnect(self, code: int = 1000) -> None:
        self.to_app.put_nowait({"type": "websocket.disconnect", "code": code})
        await asyncio.wait_for(self.task, WAIT)

    async def closed_by_server(self) -> int:
        """Frames until the server closes: returns the close code (and ends the app)."""
        while True:
            message = await self.next_message()
            if message["type"] == "websocket.close":
                await self.disconnect(message.get("code", 1000))
                return int(message.get("code", 1000))


async def ws_session(server: AsyncEngineServer) -> tuple[FakeWebSocket, str]:
    ws = FakeWebSocket(server, "EIO=4&transport=websocket")
    await ws.accepted()
    frame = await ws.frame()
    assert isinstance(frame, str) and frame.startswith("0{")
    sid: str = json.loads(frame[1:])["sid"]
    return ws, sid
