"""The ASGI floor: a raw ASGI app doing the least that answers every scenario.

Served by the same uvicorn with the same options as the two real servers, it
shows what uvicorn + ASGI alone cost per connection, per message and per
broadcast delivery: no Socket.IO server on uvicorn can do better than this, so
it tells whether a target is reachable on this stack at all.

It handles only what the scenarios send (like ceiling_server.py): websocket and
polling handshakes, namespace CONNECT, ``echo`` (text and one binary
attachment), ``join``, ``bcast``. It sends no pings. Not a Socket.IO server.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

OPEN = (
    '0{"sid":"floor","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}'
)
CONNECTED = '40{"sid":"floorsid"}'
BINARY_REPLY = '[{"_placeholder":true,"num":0}]'
LONG_POLL_S = 25.0
_room: set[Send] = set()
_sessions: dict[str, _PollSession] = {}


class _PollSession:
    def __init__(self) -> None:
        self.queue: list[str] = []
        self.ready = asyncio.Event()

    def send(self, packet: str) -> None:
        self.queue.append(packet)
        self.ready.set()


async def _handle(packet: str, reply: Callable[[str], Awaitable[None]], send: Send | None) -> str:
    """One Engine.IO packet; returns the pending binary ack header, if any."""
    if packet.startswith("42"):
        bracket = packet.index("[")
        ack_id, args = packet[2:bracket], packet[bracket:]
        if args.startswith('["echo",'):
            await reply(f"43{ack_id}[{args[8:]}")
        elif args.startswith('["join",') and send is not None:
            _room.add(send)
            await reply(f'43{ack_id}["bench"]')
        elif args.startswith('["bcast",'):
            count = min(int(json.loads(args)[1]["n"]), 10_000)
            for i in range(count):
                frame = {"type": "websocket.send", "text": f'42["tick",{i}]'}
                for member in list(_room):
                    await member(frame)
            await reply(f"43{ack_id}[{count}]")
    elif packet.startswith("451-"):
        return f"461-{packet[4 : packet.index('[')]}{BINARY_REPLY}"
    elif packet == "40":
        await reply(CONNECTED)
    return ""


async def _websocket(receive: Receive, send: Send) -> None:
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.send", "text": OPEN})

    async def reply(packet: str) -> None:
        await send({"type": "websocket.send", "text": packet})

    pending = ""
    try:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is not None:
                pending = await _handle(text, reply, send)
            elif pending and message.get("bytes") is not None:
                await reply(pending)
                await send({"type": "websocket.send", "bytes": message["bytes"]})
                pending = ""
    finally:
        _room.discard(send)


async def _respond(send: Send, body: str) -> None:
    raw = body.encode()
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(raw)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": raw})


async def _polling(scope: Scope, receive: Receive, send: Send) -> None:
    sid = parse_qs(scope["query_string"].decode()).get("sid", [""])[0]
    if not sid:
        sid = f"f{len(_sessions)}"
        _sessions[sid] = _PollSession()
        await _respond(send, OPEN.replace('"floor"', f'"{sid}"'))
        return
    session = _sessions[sid]
    if scope["method"] == "POST":
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break

        async def reply(packet: str) -> None:
            session.send(packet)

        for packet in body.decode().split("\x1e"):
            await _handle(packet, reply, None)
        await _respond(send, "ok")
        return
    if not session.queue:
        session.ready.clear()
        try:
            await asyncio.wait_for(session.ready.wait(), LONG_POLL_S)
        except TimeoutError:
            session.queue.append("6")  # NOOP
    body_text = "\x1e".join(session.queue)
    session.queue.clear()
    await _respond(send, body_text)


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "websocket":
        await _websocket(receive, send)
    elif scope["type"] == "http":
        await _polling(scope, receive, send)
