"""An in-process ASGI websocket peer speaking raw Engine.IO/Socket.IO frames.

It drives an ASGI app directly (no server, no sockets) so server semantics can be
tested with real frames and bounded waits. Interop with real clients lives in
``tests/interop``.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

WAIT = 5.0


class WebSocketPeer:
    """One websocket connection to an ASGI app, at the Engine.IO frame level."""

    def __init__(
        self,
        app: Any,
        query: str = "EIO=4&transport=websocket",
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        self.app = app
        self.scope = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "scheme": "ws",
            "path": "/socket.io/",
            "raw_path": b"/socket.io/",
            "root_path": "",
            "query_string": query.encode(),
            "headers": [(b"host", b"testserver"), (b"upgrade", b"websocket"), *(headers or [])],
            "client": ("203.0.113.7", 50123),
            "server": ("testserver", 80),
            "subprotocols": [],
        }
        self.to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None
        self.sid: str | None = None

    async def open(self) -> dict[str, Any]:
        """Connect at the Engine.IO level and return the OPEN payload."""
        await self.to_app.put({"type": "websocket.connect"})
        self.task = asyncio.ensure_future(self.app(self.scope, self.to_app.get, self.from_app.put))
        accepted = await self.next_message()
        assert accepted["type"] == "websocket.accept", accepted
        frame = await self.recv()
        assert isinstance(frame, str) and frame.startswith("0"), frame
        handshake: dict[str, Any] = json.loads(frame[1:])
        self.sid = handshake["sid"]
        return handshake

    async def next_message(self, timeout: float = WAIT) -> dict[str, Any]:
        return await asyncio.wait_for(self.from_app.get(), timeout)

    async def recv(self, timeout: float = WAIT) -> str | bytes:
        """The next text or binary frame, answering Engine.IO pings on the way."""
        while True:
            message = await self.next_message(timeout)
            if message["type"] == "websocket.close":
                raise ConnectionError(f"closed by server: {message}")
            assert message["type"] == "websocket.send", message
            if message.get("text") is not None:
                text: str = message["text"]
                if text == "2":
                    await self.send("3")
                    continue
                return text
            data: bytes = message["bytes"]
            return data

    async def recv_packet(self, timeout: float = WAIT) -> str:
        frame = await self.recv(timeout)
        assert isinstance(frame, str) and frame.startswith("4"), frame
        return frame[1:]

    async def send(self, frame: str | bytes) -> None:
        if isinstance(frame, bytes):
            await self.to_app.put({"type": "websocket.receive", "bytes": frame})
        else:
            await self.to_app.put({"type": "websocket.receive", "text": frame})

    async def send_packet(self, packet: str) -> None:
        await self.send("4" + packet)

    async def connect_namespace(self, namespace: str = "/", auth: Any = None) -> str:
        """Send CONNECT and return the packet the server answers with."""
        prefix = "" if namespace == "/" else namespace + ","
        body = "" if auth is None else json.dumps(auth)
        await self.send_packet("0" + prefix + body)
        return await self.recv_packet()

    async def close_transport(self) -> None:
        await self.to_app.put({"type": "websocket.disconnect", "code": 1001})
        if self.task is not None:
            await asyncio.wait_for(self.task, WAIT)

    async def expect_closed(self, timeout: float = WAIT) -> dict[str, Any]:
        """Wait until the server closes the websocket; return the close message."""
        while True:
            message = await self.next_message(timeout)
            if message["type"] == "websocket.close":
                return message


def sid_of(connect_reply: str) -> str:
    assert connect_reply.startswith("0"), connect_reply
    body = connect_reply[connect_reply.index("{") :]
    sid: str = json.loads(body)["sid"]
    return sid
