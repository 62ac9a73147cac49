"""Polling over one kept-alive HTTP/1.1 connection, in every server mode.

HTTP/1.1 clients (Node's agent, httpx, urllib3) reuse a connection unless the
response says ``Connection: close``. A server that closes it silently makes the
next request race the close, and a lost POST is a lost packet. So: a response
either says ``close`` and the connection then ends, or the connection serves the
next request. (uWSGI closes after every response; the gevent_uwsgi mode says so.)
"""

from __future__ import annotations

import socket

import h11
import pytest
from interop_harness import Server, ServerPool
from test_interop_heartbeat import parse_handshake

pytestmark = [pytest.mark.interop, pytest.mark.timeout(120)]

READ_TIMEOUT = 10.0  # seconds: a bound, not a pause; a healthy server answers at once
EXCHANGES = 3  # POSTs after the handshake, each on the connection while it stays open


@pytest.fixture
def server(servers: ServerPool, server_impl: str, server_mode: str) -> Server:
    return servers.get(server_impl, profile="fast", mode=server_mode)


class Connection:
    """One TCP connection to the server, HTTP/1.1 spoken with h11."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=READ_TIMEOUT)
        self.http = h11.Connection(h11.CLIENT)

    def exchange(self, method: str, target: str, body: bytes = b"") -> tuple[h11.Response, bytes]:
        headers = [("Host", "127.0.0.1"), ("Content-Length", str(len(body)))]
        request = self.http.send(h11.Request(method=method, target=target, headers=headers))
        request += self.http.send(h11.Data(data=body)) + self.http.send(h11.EndOfMessage())
        try:
            self.sock.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pytest.fail(f"{method} {target}: the server had closed the connection unannounced")
        response: h11.Response | None = None
        chunks: list[bytes] = []
        while True:
            event = self.http.next_event()
            if event is h11.NEED_DATA:
                data = self.sock.recv(65536)
                assert data or response is not None, (
                    f"{method} {target}: the server closed the connection unannounced"
                )
                self.http.receive_data(data)
            elif isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                assert response is not None
                if self.http.our_state is h11.DONE and self.http.their_state is h11.DONE:
                    self.http.start_next_cycle()
                return response, b"".join(chunks)

    def closed_by_server(self) -> bool:
        return self.sock.recv(1) == b""

    def close(self) -> None:
        self.sock.close()


def says_close(response: h11.Response) -> bool:
    return any(
        name.lower() == b"connection" and b"close" in value.lower()
        for name, value in response.headers
    )


@pytest.mark.interop_core
def test_polling_connection_is_kept_or_closed_as_announced(server: Server) -> None:
    conn = Connection(server.port)
    try:
        response, body = conn.exchange("GET", "/socket.io/?EIO=4&transport=polling")
        assert response.status_code == 200, body
        sid = parse_handshake(body.decode())["sid"]
        target = f"/socket.io/?EIO=4&transport=polling&sid={sid}"
        for _ in range(EXCHANGES):
            if says_close(response):
                assert conn.closed_by_server(), "said Connection: close, kept it open"
                return
            # not announced: the same connection must serve the next request
            response, body = conn.exchange("POST", target, b"3")  # a PONG
            assert (response.status_code, body) == (200, b"ok")
    finally:
        conn.close()
