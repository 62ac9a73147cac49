"""A minimal Socket.IO-over-HTTP-long-polling client, as socket.io-client does it.

Two keep-alive HTTP/1.1 connections per client: one always holds a pending
GET (the long poll), the other carries POSTs, at most one in flight; packets
queued while a POST is in flight go out together in the next one.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from typing import cast

from tests.bench.wire import (
    EIO_PATH,
    RECORD_SEP,
    HttpResponseReader,
    http_request,
    parse_ack_id,
    split_payload,
)

ResponseCallback = Callable[[int, bytes], None]


class _HttpConn(asyncio.Protocol):
    def __init__(self, on_response: ResponseCallback, on_lost: Callable[[], None]) -> None:
        self.on_response = on_response
        self._on_lost = on_lost
        self._reader = HttpResponseReader()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        for status, body in self._reader.feed(data):
            self.on_response(status, body)

    def connection_lost(self, exc: Exception | None) -> None:
        self._on_lost()

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class PollingSioClient:
    """EIO4 polling-only session joined to the default namespace."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        loop = asyncio.get_running_loop()
        self.connected: asyncio.Future[None] = loop.create_future()
        self.failed: str | None = None
        self._sid = ""
        self._get: _HttpConn | None = None
        self._post: _HttpConn | None = None
        self._queue: list[bytes] = []
        self._post_busy = False
        self._closing = False
        self._next_id = 0

    async def connect(self, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(timeout):
            first: asyncio.Future[tuple[int, bytes]] = loop.create_future()

            def once(status: int, body: bytes) -> None:
                if not first.done():
                    first.set_result((status, body))

            _, self._get = await loop.create_connection(
                lambda: _HttpConn(once, self._lost), self.host, self.port
            )
            self._get.write(http_request("GET", self.host, self.port, EIO_PATH + "polling"))
            status, body = await first
            if status != 200 or not body.startswith(b"0"):
                raise ConnectionError(f"polling handshake failed: {status} {body[:200]!r}")
            self._sid = json.loads(body[1:])["sid"]
            _, self._post = await loop.create_connection(
                lambda: _HttpConn(self._on_post_response, self._lost), self.host, self.port
            )
            self._get.on_response = self._on_get_response
            self.send_packet(b"40")
            self._poll()
            await self.connected

    # --- sending --------------------------------------------------------------------------

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def send_packet(self, packet: bytes) -> None:
        self._queue.append(packet)
        if not self._post_busy:
            self._flush()

    def _flush(self) -> None:
        if self._post is None or not self._queue:
            return
        body = RECORD_SEP.join(self._queue)
        self._queue.clear()
        self._post_busy = True
        target = f"{EIO_PATH}polling&sid={self._sid}"
        self._post.write(http_request("POST", self.host, self.port, target, body))

    def _poll(self) -> None:
        if self._get is not None and not self._closing:
            target = f"{EIO_PATH}polling&sid={self._sid}"
            self._get.write(http_request("GET", self.host, self.port, target))

    def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        if self._post is not None:
            self._queue.append(b"1")  # Engine.IO CLOSE, so the server frees the session now
            if not self._post_busy:
                self._flush()
        loop = asyncio.get_running_loop()
        for conn in (self._get, self._post):
            if conn is not None:
                loop.call_later(0.2, conn.close)

    # --- receiving ------------------------------------------------------------------------

    def _lost(self) -> None:
        if not self._closing:
            self._fail("connection lost")

    def _fail(self, why: str) -> None:
        self.failed = why
        if not self.connected.done():
            self.connected.set_exception(ConnectionError(why))
        self._closing = True
        for conn in (self._get, self._post):
            if conn is not None:
                conn.close()

    def _on_post_response(self, status: int, body: bytes) -> None:
        self._post_busy = False
        if self._closing:
            return
        if status != 200:
            self._fail(f"POST answered {status}: {body[:200]!r}")
            return
        if self._queue and not self._closing:
            self._flush()

    def _on_get_response(self, status: int, body: bytes) -> None:
        if self._closing:
            return
        if status != 200:
            self._fail(f"GET answered {status}: {body[:200]!r}")
            return
        for p in split_payload(body):
            eio = p[0]
            if eio == 0x34:
                sio = p[1]
                if sio == 0x33:
                    ack_id, end = parse_ack_id(p, 2)
                    self.on_ack(ack_id, p[end:])
                elif sio == 0x30:
                    if not self.connected.done():
                        self.connected.set_result(None)
                elif sio == 0x34 or sio == 0x31:
                    self._fail(f"namespace refused or closed: {p[:200]!r}")
                    return
            elif eio == 0x32:
                self.send_packet(b"3")
            elif eio == 0x31:
                self._fail("server closed the session")
                return
        self._poll()

    def on_ack(self, ack_id: int, args: bytes) -> None:
        """Scenario hook."""
