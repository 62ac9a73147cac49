"""A minimal Socket.IO-over-WebSocket client as a bare ``asyncio.Protocol``.

Hot paths (acks, events) are methods that scenario subclasses override; writes
made while handling one read are coalesced into one ``transport.write``.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from typing import TypeVar, cast

from tests.bench.wire import (
    EIO_PATH,
    WS_ACCEPT,
    Opcode,
    ReadQueue,
    client_frame,
    client_text,
    frame_size,
    next_frame,
    parse_ack_id,
    ws_upgrade_request,
)

_PONG = client_frame(Opcode.TEXT, b"3")
_CLOSE = client_frame(Opcode.CLOSE, b"\x03\xe8")

C = TypeVar("C", bound="WsSioClient")


class ConnectError(ConnectionError):
    """The server refused or broke the WebSocket / Engine.IO / Socket.IO handshake."""


class WsSioClient(asyncio.Protocol):
    """Speaks EIO4 over WebSocket and SIO5 on one namespace (default ``/``).

    ``auth`` is the JSON of the CONNECT packet's auth payload (empty: none).
    """

    def __init__(self, host: str, port: int, namespace: bytes = b"", auth: bytes = b"") -> None:
        loop = asyncio.get_running_loop()
        self.host = host
        self.port = port
        # what follows the packet type: "/ns," outside the default namespace
        self.ns_prefix = namespace + b"," if namespace not in (b"", b"/") else b""
        self._connect_frame = client_frame(Opcode.TEXT, b"40" + self.ns_prefix + auth)
        self.connected: asyncio.Future[float] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.transport: asyncio.Transport | None = None
        self._upgraded = False
        self._head = bytearray()  # the HTTP upgrade response, until complete
        self._rx = ReadQueue()
        self._out: list[bytes] | None = None
        self._frag: list[bytes] = []
        self._frag_op = 0
        self._bin: tuple[int, bytes, int, list[bytes]] | None = None
        self._calls: dict[int, asyncio.Future[bytes]] = {}
        self._next_id = 0

    # --- transport callbacks --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.transport.write(ws_upgrade_request(self.host, self.port, EIO_PATH + "websocket"))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.connected.done():
            self.connected.set_exception(ConnectError(f"connection lost: {exc!r}"))
        if not self.closed.done():
            self.closed.set_result(None)
        for fut in self._calls.values():
            if not fut.done():
                fut.set_exception(ConnectionError("connection lost"))
        self._calls.clear()

    def data_received(self, data: bytes) -> None:
        if not self._upgraded:
            self._head += data
            head_end = self._head.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = bytes(self._head[:head_end])
            if not head.startswith(b"HTTP/1.1 101") or WS_ACCEPT not in head:
                self._fail(f"websocket upgrade refused: {head[:200]!r}")
                return
            self._upgraded = True
            data = bytes(self._head[head_end + 4 :])
            self._head.clear()
        src = self._rx.push(data)
        if src is None:
            return
        out: list[bytes] = []
        self._out = out
        pos = 0
        size = len(src)
        on_text = self._on_text
        while size - pos >= 2:
            length = src[pos + 1]
            if src[pos] == 0x81 and length < 126:  # fast path: small final text frame
                end = pos + 2 + length
                if end > size:
                    break
                on_text(src[pos + 2 : end])
                pos = end
                continue
            frame = next_frame(src, pos)
            if frame is None:
                break
            first, payload, pos = frame
            self._on_frame(first, payload)
        if pos < size:
            self._rx.keep(src[pos:], frame_size(src, pos))
        self._out = None
        if out and self.transport is not None and not self.transport.is_closing():
            if len(out) == 1:
                self.transport.write(out[0])
            else:
                self.transport.writelines(out)  # one writev, no joined copy

    # --- sending --------------------------------------------------------------------------

    def send_raw(self, frames: bytes) -> None:
        """Send already framed bytes (coalesced when called from a read callback)."""
        if self._out is not None:
            self._out.append(frames)
        elif self.transport is not None and not self.transport.is_closing():
            self.transport.write(frames)

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    async def call(self, args_json: bytes, timeout: float) -> bytes:
        """Emit an event with an ack (``args_json`` is the JSON array); return the ack's JSON."""
        ack_id = self.new_id()
        fut: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._calls[ack_id] = fut
        self.send_raw(client_text(b"42%s%d%s" % (self.ns_prefix, ack_id, args_json)))
        async with asyncio.timeout(timeout):
            return await fut

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(_CLOSE)
            self.transport.close()

    # --- hooks for scenarios --------------------------------------------------------------

    def on_ack(self, ack_id: int, args: bytes) -> None:
        fut = self._calls.pop(ack_id, None)
        if fut is not None and not fut.done():
            fut.set_result(args)

    def on_event(self, packet: bytes) -> None:
        """A whole ``42...`` packet."""

    def on_binary_ack(self, ack_id: int, args: bytes, attachments: list[bytes]) -> None:
        self.on_ack(ack_id, args)

    # --- protocol -------------------------------------------------------------------------

    def _fail(self, why: str) -> None:
        if not self.connected.done():
            self.connected.set_exception(ConnectError(why))
        if self.transport is not None:
            self.transport.close()

    def _on_frame(self, first: int, payload: bytes) -> None:
        opcode = first & 0x0F
        if not first & 0x80 or opcode == Opcode.CONTINUATION:  # fragmented message
            if opcode != Opcode.CONTINUATION:
                self._frag_op = opcode
            self._frag.append(payload)
            if not first & 0x80:
                return
            opcode, payload = self._frag_op, b"".join(self._frag)
            self._frag.clear()
        if opcode == Opcode.TEXT:
            self._on_text(payload)
        elif opcode == Opcode.BINARY:
            self._on_binary(payload)
        elif opcode == Opcode.PING:
            self.send_raw(client_frame(Opcode.PONG, payload))
        elif opcode == Opcode.CLOSE:
            self._fail("server closed the websocket")

    def _on_text(self, p: bytes) -> None:
        eio = p[0]
        if eio == 0x34:  # "4" MESSAGE: a Socket.IO packet follows
            sio = p[1]
            if sio == 0x33:  # "3" ACK
                start = p.index(b",", 2) + 1 if p[2:3] == b"/" else 2  # after "/ns,"
                ack_id, end = parse_ack_id(p, start)
                self.on_ack(ack_id, p[end:])
            elif sio == 0x32:  # "2" EVENT
                self.on_event(p)
            elif sio == 0x36:  # "6" BINARY_ACK: 46<n>-<id>[...]
                dash = p.index(b"-", 2)
                ack_id, end = parse_ack_id(p, dash + 1)
                self._bin = (ack_id, p[end:], int(p[2:dash]), [])
            elif sio == 0x30:  # "0" CONNECT accepted
                if not self.connected.done():
                    self.connected.set_result(time.perf_counter())
            elif sio == 0x34:  # "4" CONNECT_ERROR
                self._fail(f"connect error: {p[:200]!r}")
            elif sio == 0x31:  # "1" DISCONNECT
                self._fail("server disconnected the namespace")
        elif eio == 0x32:  # "2" PING
            self.send_raw(_PONG)
        elif eio == 0x30:  # "0" OPEN: join the default namespace
            self.send_raw(self._connect_frame)
        elif eio == 0x31:  # "1" CLOSE
            self._fail("server closed the engine.io session")

    def _on_binary(self, payload: bytes) -> None:
        pending = self._bin
        if pending is None:
            return
        pending[3].append(payload)
        if len(pending[3]) == pending[2]:
            self._bin = None
            self.on_binary_ack(pending[0], pending[1], pending[3])


async def open_ws(factory: Callable[[], C], host: str, port: int, timeout: float) -> C:
    """Connect the client that ``factory`` builds and wait for its namespace CONNECT."""
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(timeout):
        _, proto = await loop.create_connection(factory, host, port)
        try:
            await proto.connected
        except BaseException:
            proto.close()
            raise
    return proto
