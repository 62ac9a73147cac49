"""A server-side websocket over the raw socket of a WSGI request (RFC 6455).

WSGI has no websocket: threaded servers (Werkzeug, Gunicorn's ``gthread``) and the
green servers expose the connection's socket in the environ, and the application
takes it over. The handshake answer is written here (no extensions, version 13);
incoming whole data frames are decoded by ``wssplit``, the rest by ``wsproto``;
outgoing frames are built by ``wsframes``, all of a batch in one ``send`` call, so
the writer never touches wsproto's state.

Writes never block the caller for long: on Linux a write is first tried without
waiting (``MSG_DONTWAIT``); what the socket cannot take at once is handed to a
background task that finishes it with blocking writes, while later writes queue
behind it. A slow reader therefore costs a task only while it is behind.

Under gevent the edge defers its writes to the hub (``SyncDriver.defer``), which runs
them once the emitting greenlet yields, with every frame queued by then: a loop of
emits costs one ``send`` per socket, not one per packet. A write there must never
wait, so gevent sockets get a ``send_nowait`` that fails instead of switching.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import socket
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from wsproto.connection import Connection, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Ping, TextMessage

from runtime.drivers.base import BackgroundTask, SyncLock, WebSocketUnavailableError, WSGIEnviron
from runtime.drivers.wsframes import PONG, close_frame, encode_frames, frame_header
from runtime.drivers.wssplit import FrameSplitter, Raw

__all__ = [
    "RawWebSocket",
    "accept_key",
    "encode_frames",
    "handshake_response",
    "socket_from_environ",
]

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_DONTWAIT = getattr(socket, "MSG_DONTWAIT", 0)
_RECV_SIZE = 65536


def accept_key(key: str) -> str:
    """``Sec-WebSocket-Accept`` for a client's ``Sec-WebSocket-Key``."""
    digest = hashlib.sha1(key.encode("ascii") + _GUID).digest()
    return base64.b64encode(digest).decode("ascii")


def handshake_response(environ: WSGIEnviron, headers: Sequence[tuple[str, str]]) -> bytes:
    """The ``101 Switching Protocols`` answer; ``ValueError`` for a bad handshake."""
    if environ.get("HTTP_UPGRADE", "").lower() != "websocket":
        raise ValueError("not a websocket upgrade")
    if environ.get("HTTP_SEC_WEBSOCKET_VERSION", "").strip() != "13":
        raise ValueError("unsupported websocket version")
    key = environ.get("HTTP_SEC_WEBSOCKET_KEY", "").strip()
    try:
        if len(base64.b64decode(key, validate=True)) != 16:
            raise ValueError("bad Sec-WebSocket-Key")
    except (ValueError, TypeError):
        raise ValueError("bad Sec-WebSocket-Key") from None
    lines = [
        "HTTP/1.1 101 Switching Protocols",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Accept: {accept_key(key)}",
    ]
    lines.extend(f"{name}: {value}" for name, value in headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def socket_from_environ(environ: WSGIEnviron) -> tuple[Any, str]:
    """The connection's socket and the server kind ('werkzeug', 'gunicorn', ...)."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        return sock, "werkzeug"
    sock = environ.get("gunicorn.socket")
    if sock is not None:
        return sock, "gunicorn"
    eventlet_input = environ.get("eventlet.input")
    if eventlet_input is not None and hasattr(eventlet_input, "get_socket"):
        return eventlet_input.get_socket(), "eventlet"
    if str(environ.get("SERVER_SOFTWARE", "")).startswith("gevent"):
        # gevent.pywsgi: the socket behind the buffered reader of wsgi.input
        reader = environ.get("wsgi.input")
        reader = getattr(reader, "rfile", reader)
        raw = getattr(reader, "raw", None)
        sock = getattr(raw, "_sock", None)
        if sock is not None:
            return sock, "gevent"
    raise WebSocketUnavailableError(
        "this WSGI server does not expose the connection's socket: run Gunicorn "
        "(--threads, or -k gevent / -k eventlet), Werkzeug, gevent.pywsgi or eventlet.wsgi"
    )


def _send_dontwait(sock: Any) -> Callable[[bytes], int]:
    def send(data: bytes) -> int:
        return int(sock.send(data, _DONTWAIT))

    return send


class RawWebSocket:
    """The websocket of one taken-over connection (see the module docstring)."""

    inline_writes = True

    def __init__(
        self,
        sock: Any,
        max_message_size: int,
        lock: SyncLock,
        spawn: Callable[..., BackgroundTask],
        finish: Callable[[], Iterable[bytes]],
        send_nowait: Callable[[bytes], int] | None = None,
        recv: Callable[[int], bytes] | None = None,
    ) -> None:
        self._sock = sock
        # a buffered reader when the server read ahead of the handshake (gevent-websocket)
        self._recv = recv if recv is not None else sock.recv
        # Sends what the socket takes now; BlockingIOError when it takes nothing.
        self._send_nowait = send_nowait if send_nowait is not None else _send_dontwait(sock)
        # wsproto reads only the rare frames: made on the first one (1.7 KiB a connection)
        self._conn: Connection | None = None
        self._splitter = FrameSplitter(max_message_size)
        self._max = max_message_size
        self._lock = lock  # guards the write state below
        self._spawn = spawn
        self._finish = finish
        self._parts: list[str | bytes] = []
        self._size = 0
        self._inbox: list[str | bytes] = []
        self._ended = False  # no more messages will be received
        self._broken = False  # writing failed: the peer is gone
        self._close_sent = False
        self._draining = False  # a background task is finishing earlier writes
        self._backlog: list[bytes] = []

    # -- reading -----------------------------------------------------------------

    def receive(self) -> str | bytes | None:
        inbox = self._inbox
        while not inbox:
            if self._ended:
                return None
            try:
                data = self._recv(_RECV_SIZE)
            except (OSError, ValueError):  # ValueError: a closed reader
                data = b""
            self._feed(data if data else None)
        return inbox.pop(0)

    def _feed(self, data: bytes | None) -> None:
        if data is None:
            self._feed_wsproto(None)
            return
        for item in self._splitter.feed(data):
            if self._ended:
                return
            if isinstance(item, Raw):
                self._feed_wsproto(item.data)
            else:
                self._inbox.append(item)

    def _feed_wsproto(self, data: bytes | None) -> None:
        conn = self._conn
        if conn is None:  # the splitter hands it whole frames only: a fresh one reads on
            conn = self._conn = Connection(ConnectionType.SERVER)
        try:
            conn.receive_data(data)
        except Exception:  # data after the connection closed
            self._ended = True
            return
        for event in conn.events():
            kind = type(event)
            if kind is TextMessage or kind is BytesMessage:
                assert isinstance(event, TextMessage | BytesMessage)
                self._add_part(event.data, event.message_finished)
            elif kind is Ping:
                assert isinstance(event, Ping)
                self._write(frame_header(PONG, len(event.payload)) + bytes(event.payload))
            elif kind is CloseConnection:
                assert isinstance(event, CloseConnection)
                self._ended = True
                code = int(event.code)
                self.close(1000 if code in (1005, 1006) else code)
                return

    def _add_part(self, data: str | bytes | bytearray, finished: bool) -> None:
        part: str | bytes = data if isinstance(data, str) else bytes(data)
        self._size += len(part)
        if self._size > self._max:
            # Hand over what we have: the core closes the session (message too big).
            finished = True
        self._parts.append(part)
        if not finished:
            return
        parts = self._parts
        self._parts = []
        self._size = 0
        if len(parts) == 1:
            self._inbox.append(parts[0])
        elif isinstance(parts[0], str):
            self._inbox.append("".join(p for p in parts if isinstance(p, str)))
        else:
            self._inbox.append(b"".join(p for p in parts if isinstance(p, bytes)))

    # -- writing -----------------------------------------------------------------

    def send(self, frames: Sequence[str | bytes]) -> bool:
        return self._write(encode_frames(frames))

    def close(self, code: int) -> None:
        with self._lock:
            if self._close_sent:
                return
            self._close_sent = True
        self._write(close_frame(code), closing=True)

    def _write(self, data: bytes, closing: bool = False) -> bool:
        with self._lock:
            if self._broken or (self._close_sent and not closing):
                return False
            if self._draining:
                self._backlog.append(data)
                return True
            try:
                sent = self._send_nowait(data)
            except BlockingIOError:
                sent = 0
            except OSError:
                self._broken = True
                return False
            if sent == len(data):
                return True
            self._draining = True
            self._backlog.append(data[sent:])
        try:
            self._spawn(self._drain)
        except Exception:  # cannot start a task (interpreter shutting down)
            self.abort()
            return False
        return True

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._backlog or self._broken:
                    self._draining = False
                    self._backlog = []
                    return
                chunk = b"".join(self._backlog)
                self._backlog = []
            try:
                self._sock.sendall(chunk)
            except OSError:
                with self._lock:
                    self._broken = True
                    self._draining = False
                    self._backlog = []
                return

    def abort(self) -> None:
        self._ended = True
        self._broken = True
        with contextlib.suppress(OSError, ValueError):
            self._sock.shutdown(socket.SHUT_RDWR)

    def finish(self) -> Iterable[bytes]:
        # The peer has had its close frame; make sure the server sees the connection end.
        with contextlib.suppress(OSError, ValueError):
            self._sock.shutdown(socket.SHUT_RDWR)
        return self._finish()
