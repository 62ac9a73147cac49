"""The ``gevent_uwsgi`` async mode: uWSGI's gevent loop and its websocket support.

Run as ``uwsgi --http :PORT --gevent 1000 --http-websockets --master --wsgi-file app.py``.
Greenlets, events and sleeps are gevent's (see ``GeventDriver``).

uWSGI answers the websocket handshake (``uwsgi.websocket_handshake``) and, with
``--http-websockets``, its HTTP router then passes the connection's bytes through.
The frames themselves are read and written by ``RawWebSocket`` on a gevent socket
over a duplicate of the connection's descriptor, not by uWSGI's ``websocket_send``
/ ``websocket_recv``: in uWSGI 2.0 those can only run on the request's own
greenlet (every emit would have to be handed to it) and ``websocket_recv`` does
not tell a text frame from a binary one, which Engine.IO needs to tell packets
from binary attachments.

Polling responses say ``Connection: close``: uWSGI (its ``--http`` router and
``--http-socket``, with or without ``--http-keepalive``) closes the connection after
each response without saying so, and an HTTP/1.1 client that reuses it races the
close: its next POST or GET fails with "server disconnected" and a packet is lost.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from collections.abc import Iterable, Sequence
from typing import Any

from runtime.drivers.base import WebSocket, WebSocketUnavailableError, WSGIEnviron
from runtime.drivers.gevent import GeventDriver, send_nowait

__all__ = ["GeventUwsgiDriver"]

# Imported by name: ``uwsgi`` exists only inside a uWSGI process, gevent is optional.
uwsgi: Any = importlib.import_module("uwsgi")
gevent_socket: Any = importlib.import_module("gevent.socket")


class GeventUwsgiDriver(GeventDriver):
    """Gevent greenlets, with the websocket handshake done by uWSGI itself."""

    name = "gevent_uwsgi"
    http_headers: Sequence[tuple[str, str]] = (("Connection", "close"),)

    def accept_websocket(
        self, environ: WSGIEnviron, headers: Sequence[tuple[str, str]], max_message_size: int
    ) -> WebSocket:
        from runtime.drivers.rawws import RawWebSocket

        if environ.get("HTTP_UPGRADE", "").lower() != "websocket":
            raise ValueError("not a websocket upgrade")
        key = environ.get("HTTP_SEC_WEBSOCKET_KEY", "").strip()
        if not key:
            raise ValueError("bad Sec-WebSocket-Key")
        # uWSGI's handshake takes no extra headers: ``headers`` (cookies) are not sent.
        try:
            uwsgi.websocket_handshake(key, environ.get("HTTP_ORIGIN", ""))
        except OSError as exc:
            raise WebSocketUnavailableError(
                f"uWSGI refused the websocket handshake ({exc}): run it with --http-websockets"
            ) from exc
        # Our own descriptor: uWSGI closes its one when the request ends.
        sock = gevent_socket.socket(fileno=os.dup(uwsgi.connection_fd()))

        def finish() -> Iterable[bytes]:
            with contextlib.suppress(OSError):
                sock.close()
            return []

        return RawWebSocket(
            sock, max_message_size, self.lock(), self.spawn, finish, send_nowait(sock)
        )
