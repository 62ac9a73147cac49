"""A "null" Socket.IO server: the least work that still answers every scenario.

It exists to measure the load generator's ceiling: run the scenarios against
it and the figures are bounded by the load generator (or by this server, which
does strictly less per message than the load generator does, as both are
Python on one core each). It handles only what the scenarios send: websocket
and polling handshakes, namespace CONNECT, ``echo`` (text and one binary
attachment), ``join`` and ``bcast``, pings' pongs. Not a Socket.IO server.

Prints ``READY {json}`` like server_app.py, so the runner treats it the same.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import socket
import sys
from collections.abc import Callable
from typing import cast
from urllib.parse import parse_qs, urlsplit

import uvloop

from tests.bench import proc
from tests.bench.wire import (
    RECORD_SEP,
    Opcode,
    ReadQueue,
    frame_size,
    next_frame,
    parse_ack_id,
    server_frame,
    server_header,
    split_payload,
    ws_accept,
)

OPEN = (
    b'0{"sid":"null","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}'
)
CONNECTED = b'40{"sid":"nullsid"}'
BINARY_REPLY = b'[{"_placeholder":true,"num":0}]'
_rooms: dict[bytes, set[NullConn]] = {}
_sessions: dict[str, PollSession] = {}


class PollSession:
    """A polling session: queued packets and the GET waiting for them, if any."""

    def __init__(self) -> None:
        self.queue: list[bytes] = []
        self.waiting: NullConn | None = None

    def send(self, packet: bytes) -> None:
        self.queue.append(packet)
        if self.waiting is not None:
            conn, self.waiting = self.waiting, None
            conn.respond(self.flush())

    def flush(self) -> bytes:
        body = RECORD_SEP.join(self.queue)
        self.queue.clear()
        return body


class NullConn(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.rx = ReadQueue()
        self.ws = False
        self.out: list[bytes] = []
        self.pending_bin: bytes | None = None  # ack header waiting for its attachment

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        for members in _rooms.values():
            members.discard(self)

    def data_received(self, data: bytes) -> None:
        src = self.rx.push(data)
        if src is None:
            return
        pos = self._requests(src) if not self.ws else 0
        if self.ws:
            pos = self._frames(src, pos)
            if pos < len(src):
                self.rx.keep(src[pos:], frame_size(src, pos))
        elif pos < len(src):
            self.rx.keep(src[pos:], len(src) - pos + 1)
        if self.out and self.transport is not None:
            self.transport.writelines(self.out)
            self.out.clear()

    # --- HTTP -----------------------------------------------------------------------------

    def _requests(self, src: bytes) -> int:
        """Handle whole requests; return where the unparsed rest (or the websocket) starts."""
        pos = 0
        while True:
            end = src.find(b"\r\n\r\n", pos)
            if end < 0:
                return pos
            lines = src[pos:end].split(b"\r\n")
            method, target, _ = lines[0].split(b" ", 2)
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get(b"content-length", b"0"))
            if len(src) < end + 4 + length:
                return pos
            body = src[end + 4 : end + 4 + length]
            pos = end + 4 + length
            if headers.get(b"upgrade", b"").lower() == b"websocket":
                key = headers[b"sec-websocket-key"]
                self.out.append(
                    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                    b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + ws_accept(key) + b"\r\n\r\n"
                )
                self.out.append(server_frame(Opcode.TEXT, OPEN))
                self.ws = True
                return pos
            self._polling(method, target.decode(), body)

    def respond(self, body: bytes) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n"
        data = head % len(body) + body
        if self.transport is not None:
            self.transport.write(data)

    def _polling(self, method: bytes, target: str, body: bytes) -> None:
        sid = parse_qs(urlsplit(target).query).get("sid", [""])[0]
        if not sid:
            sid = f"s{len(_sessions)}"
            _sessions[sid] = PollSession()
            self.respond(OPEN.replace(b'"null"', b'"%s"' % sid.encode()))
            return
        session = _sessions[sid]
        if method == b"POST":
            for packet in split_payload(body):
                self._packet(packet, session.send)
            self.respond(b"ok")
        elif session.queue:
            self.respond(session.flush())
        else:
            session.waiting = self

    # --- WebSocket ------------------------------------------------------------------------

    def _ws_send(self, packet: bytes) -> None:
        self.out.append(server_frame(Opcode.TEXT, packet))

    def _frames(self, src: bytes, pos: int) -> int:
        while True:
            frame = next_frame(src, pos)
            if frame is None:
                return pos
            first, payload, pos = frame
            opcode = first & 0x0F
            if opcode == Opcode.TEXT:
                self._packet(payload, self._ws_send)
            elif opcode == Opcode.BINARY and self.pending_bin is not None:
                self.out.append(server_frame(Opcode.TEXT, self.pending_bin))
                self.out.append(server_header(Opcode.BINARY, len(payload)))
                self.out.append(payload)
                self.pending_bin = None
            elif opcode == Opcode.CLOSE and self.transport is not None:
                self.transport.close()

    # --- Engine.IO / Socket.IO ------------------------------------------------------------

    def _packet(self, p: bytes, send: Callable[[bytes], None]) -> None:
        if p[:2] == b"42":
            ack_id, end = parse_ack_id(p, 2)
            args = p[end:]
            if args.startswith(b'["echo",'):
                send(b"43%d[%s" % (ack_id, args[8:]))
            elif args.startswith(b'["join",'):
                _rooms.setdefault(b"bench", set()).add(self)
                send(b'43%d["bench"]' % ack_id)
            elif args.startswith(b'["bcast",'):
                count = int(json.loads(args)[1]["n"])
                burst = b"".join(
                    server_frame(Opcode.TEXT, b'42["tick",%d]' % i) for i in range(count)
                )
                for member in _rooms.get(b"bench", ()):
                    if member.transport is not None:
                        member.transport.write(burst)
                send(b"43%d[%d]" % (ack_id, count))
        elif p[:4] == b"451-":
            ack_id, _ = parse_ack_id(p, 4)
            self.pending_bin = b"461-%d%s" % (ack_id, BINARY_REPLY)
        elif p == b"40":
            send(CONNECTED)
        elif p == b"1" and self.transport is not None:
            self.transport.close()


async def serve() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(4096)
    server = await asyncio.get_running_loop().create_server(NullConn, sock=sock)
    info = {
        "impl": "null",
        "pid": os.getpid(),
        "port": sock.getsockname()[1],
        "python": platform.python_version(),
        "executable": sys.executable,
    }
    print("READY " + json.dumps(info), flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    proc.raise_nofile_limit()
    uvloop.run(serve())
