"""In-process peers for WSGI apps, speaking raw Engine.IO/Socket.IO frames.

No server and no network: a polling request is a direct call of the WSGI app with
a hand-made environ, and a websocket runs over ``socket.socketpair()``, whose
server end sits in the environ as ``werkzeug.socket`` (as Werkzeug puts it), so
the app takes it over exactly as under a real server. The client end speaks
RFC 6455 through wsproto. Every wait is bounded.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from wsproto.connection import Connection, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Ping, TextMessage

WAIT = 5.0
CLIENT_ADDR = "203.0.113.7"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def make_environ(
    method: str = "GET",
    query: str = "",
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    path: str = "/socket.io/",
) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": CLIENT_ADDR,
        "REMOTE_PORT": "50123",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if body or method == "POST":
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["CONTENT_TYPE"] = "text/plain;charset=UTF-8"
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


class Response:
    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.code = int(status.split()[0])
        self.headers = {name.lower(): value for name, value in headers}
        self.body = body

    def packets(self) -> list[str]:
        return self.body.decode().split("\x1e") if self.body else []


def call_app(app: WSGIApp, environ: dict[str, Any]) -> Response:
    captured: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured[:] = [status, headers]
        return lambda data: None

    body = b"".join(app(environ, start_response))
    return Response(captured[0], captured[1], body)


def call_in_thread(app: WSGIApp, environ: dict[str, Any], timeout: float = WAIT) -> Response:
    """Call the app from another thread (a long-poll blocks), with a bounded wait."""
    result: list[Response | BaseException] = []

    def run() -> None:
        try:
            result.append(call_app(app, environ))
        except BaseException as exc:
            result.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    if not result:
        raise TimeoutError(f"no response within {timeout} s")
    outcome = result[0]
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


class PollingPeer:
    """One Engine.IO session over long-polling, driven by direct app calls."""

    def __init__(self, app: WSGIApp, headers: dict[str, str] | None = None) -> None:
        self.app = app
        self.headers = headers or {}
        self.sid = ""

    def open(self) -> dict[str, Any]:
        response = call_app(
            self.app, make_environ("GET", "EIO=4&transport=polling", b"", self.headers)
        )
        assert response.code == 200, (response.status, response.body)
        packet = response.packets()[0]
        assert packet.startswith("0"), packet
        handshake: dict[str, Any] = json.loads(packet[1:])
        self.sid = handshake["sid"]
        return handshake

    def post(self, *packets: str) -> Response:
        body = "\x1e".join(packets).encode()
        return call_app(
            self.app,
            make_environ("POST", f"EIO=4&transport=polling&sid={self.sid}", body, self.headers),
        )

    def get(self, timeout: float = WAIT) -> list[str]:
        environ = make_environ("GET", f"EIO=4&transport=polling&sid={self.sid}", b"", self.headers)
        response = call_in_thread(self.app, environ, timeout)
        assert response.code == 200, (response.status, response.body)
        return response.packets()

    def send_packet(self, packet: str) -> None:
        assert self.post("4" + packet).code == 200

    def recv_packets(self, timeout: float = WAIT) -> list[str]:
        """The Socket.IO packets of the next poll (PINGs answered on the way)."""
        while True:
            packets = self.get(timeout)
            found = [p[1:] for p in packets if p.startswith("4")]
            if "2" in packets:
                self.post("3")
            if found:
                return found


class WebSocketPeer:
    """One websocket connection to a WSGI app, at the Engine.IO frame level."""

    def __init__(
        self,
        app: WSGIApp,
        query: str = "EIO=4&transport=websocket",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.app = app
        self.server_sock, self.sock = socket.socketpair()
        key = base64.b64encode(os.urandom(16)).decode()
        all_headers = {
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": key,
            "Sec-WebSocket-Version": "13",
            **(headers or {}),
        }
        self.environ = make_environ("GET", query, b"", all_headers)
        self.environ["werkzeug.socket"] = self.server_sock
        self.conn = Connection(ConnectionType.CLIENT)
        self.refusal: Response | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.pending: list[str | bytes] = []
        self.closed: CloseConnection | None = None
        self.sid: str | None = None

    def _serve(self) -> None:
        captured: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc: Any = None) -> Any:
            captured[:] = [status, headers]
            return lambda data: None

        try:
            body = b"".join(self.app(self.environ, start_response))
            if captured:  # refused with a plain HTTP response
                self.refusal = Response(captured[0], captured[1], body)
                self.server_sock.close()
        except ConnectionError:
            pass  # how the app tells Werkzeug it took the socket over
        except BaseException as exc:
            self.error = exc

    def start(self) -> None:
        """Send the handshake; return once the server answered with 101."""
        self.thread.start()
        self.sock.settimeout(WAIT)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(65536)
            if not chunk:
                self.thread.join(WAIT)
                raise ConnectionError(f"refused: {self.refusal and self.refusal.body!r}")
            data += chunk
        head, rest = data.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head
        if rest:
            self.conn.receive_data(rest)

    def open(self) -> dict[str, Any]:
        """Connect at the Engine.IO level and return the OPEN payload."""
        self.start()
        frame = self.recv()
        assert isinstance(frame, str) and frame.startswith("0"), frame
        handshake: dict[str, Any] = json.loads(frame[1:])
        self.sid = handshake["sid"]
        return handshake

    def _next_frame(self, timeout: float) -> str | bytes | None:
        deadline = time.monotonic() + timeout
        parts: list[Any] = []
        while True:
            for event in self.conn.events():
                if isinstance(event, TextMessage | BytesMessage):
                    parts.append(event.data)
                    if event.message_finished:
                        first = parts[0]
                        whole = "".join(parts) if isinstance(first, str) else b"".join(parts)
                        self.pending.append(whole)
                        parts = []
                elif isinstance(event, Ping):
                    self.sock.sendall(self.conn.send(event.response()))
                elif isinstance(event, CloseConnection):
                    self.closed = event
                    with contextlib.suppress(Exception):  # answer it, as a browser does
                        self.sock.sendall(self.conn.send(event.response()))
                    return None
            if self.pending:
                return self.pending.pop(0)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no frame from the server")
            self.sock.settimeout(remaining)
            data = self.sock.recv(65536)
            self.conn.receive_data(data or None)

    def recv(self, timeout: float = WAIT) -> str | bytes:
        """The next text or binary frame, answering Engine.IO pings on the way."""
        deadline = time.monotonic() + timeout
        while True:
            frame = self._next_frame(max(deadline - time.monotonic(), 0.0))
            if frame is None:
                raise ConnectionError(f"closed by server: {self.closed}")
            if frame == "2":
                self.send("3")
                continue
            return frame

    def recv_packet(self, timeout: float = WAIT) -> str:
        frame = self.recv(timeout)
        assert isinstance(frame, str) and frame.startswith("4"), frame
        return frame[1:]

    def send(self, frame: str | bytes) -> None:
        event = TextMessage(frame) if isinstance(frame, str) else BytesMessage(frame)
        self.sock.sendall(self.conn.send(event))

    def send_packet(self, packet: str) -> None:
        self.send("4" + packet)

    def connect_namespace(self, namespace: str = "/", auth: Any = None) -> str:
        prefix = "" if namespace == "/" else namespace + ","
        body = "" if auth is None else json.dumps(auth)
        self.send_packet("0" + prefix + body)
        return self.recv_packet()

    def close_transport(self) -> None:
        """Close the websocket from the client side and wait for the app to finish."""
        with contextlib.suppress(Exception):
            self.sock.sendall(self.conn.send(CloseConnection(1000)))
        self.sock.settimeout(WAIT)
        with contextlib.suppress(OSError, TimeoutError):
            while self.closed is None and self._next_frame(WAIT) is not None:
                pass
        self.sock.close()
        self.thread.join(WAIT)
        assert not self.thread.is_alive(), "the app did not finish after the websocket closed"

    def expect_closed(self, timeout: float = WAIT) -> CloseConnection:
        """Wait until the server closes the websocket; return its close event."""
        deadline = time.monotonic() + timeout
        while self.closed is None:
            self._next_frame(max(deadline - time.monotonic(), 0.0))
        return self.closed


def wait_for(condition: Callable[[], Any], timeout: float = WAIT, what: str = "condition") -> Any:
    """Poll ``condition`` until truthy (a bounded wait, for work on other threads)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)
