"""The ``gevent`` async mode: greenlets, on ``gevent.pywsgi`` or ``gunicorn -k gevent``.

When gevent-websocket's handler upgraded the request (``environ['wsgi.websocket']``)
its handshake is kept and the frames are ours (``over_gevent_websocket``); otherwise
the raw socket is taken over, as in the threading mode (gevent's sockets yield
instead of blocking). Monkey-patching is not required: the edge only waits on
gevent events, and its lock is never held across a switch.

Emitting from a real OS thread (an unpatched ``threading.Thread``, gevent's
threadpool) is safe: work that must run in the server's hub (a deferred write, a
spawned job) is handed to it with ``run_callback_threadsafe``; queued in the
calling thread's own hub it would never run.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from runtime.drivers.base import SyncEvent, SyncLock, WebSocket, WSGIEnviron
from runtime.drivers.threading import take_over_socket
from runtime.drivers.wsframes import encode_frames

__all__ = ["GeventDriver", "GeventWebSocket", "over_gevent_websocket", "send_nowait"]

# Imported by name: gevent is optional, and this module is only loaded for this mode.
gevent: Any = importlib.import_module("gevent")
gevent_event: Any = importlib.import_module("gevent.event")
# The OS thread's id even under monkey-patching (which makes get_ident a greenlet's).
os_thread_ident: Callable[[], int] = importlib.import_module("gevent.monkey").get_original(
    "_thread", "get_ident"
)


class GeventWebSocket:
    """gevent-websocket's ``environ['wsgi.websocket']`` as the edge's ``WebSocket``."""

    inline_writes = False  # its send may switch greenlets: the edge writes from a greenlet

    def __init__(self, ws: Any) -> None:
        self._ws = ws

    def receive(self) -> str | bytes | None:
        try:
            message = self._ws.receive()
        except Exception:  # geventwebsocket.WebSocketError: the connection broke
            return None
        if isinstance(message, bytearray):
            return bytes(message)
        result: str | bytes | None = message
        return result

    def send(self, frames: Sequence[str | bytes]) -> bool:
        # The whole batch in one write (its send() would make one per frame); nothing
        # else writes on this websocket, and gevent-websocket keeps no write state.
        ws = self._ws
        if ws.closed:
            return False
        try:
            ws.raw_write(encode_frames(frames))
        except Exception:
            return False
        return True

    def close(self, code: int) -> None:
        with contextlib.suppress(Exception):
            self._ws.close(code)

    def abort(self) -> None:
        handler = getattr(self._ws, "handler", None)
        sock = getattr(handler, "socket", None)
        try:
            if sock is not None:
                sock.shutdown(2)
            else:
                self._ws.close(1006)
        except Exception:
            pass

    def finish(self) -> Iterable[bytes]:
        return []


class GeventDriver:
    """Greenlets, gevent events, and gevent-websocket or the raw socket."""

    name = "gevent"
    http_headers: Sequence[tuple[str, str]] = ()

    def __init__(self) -> None:
        # The hub of the thread that made the server: the one its WSGI server runs.
        self._hub: Any = gevent.get_hub()

    def _in_other_thread(self) -> bool:
        return bool(self._hub.thread_ident != os_thread_ident())

    def spawn(self, target: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return gevent.spawn(target, *args, **kwargs)

    def submit(self, target: Callable[..., Any], *args: Any) -> None:
        if self._in_other_thread():
            self._hub.loop.run_callback_threadsafe(gevent.spawn, target, *args)
        else:
            gevent.spawn(target, *args)

    def sleep(self, seconds: float = 0) -> None:
        gevent.sleep(seconds)

    def event(self) -> SyncEvent:
        event: SyncEvent = gevent_event.Event()
        return event

    def lock(self) -> SyncLock:
        # Held only around bookkeeping that never switches greenlets.
        return threading.Lock()

    def defer(self, target: Callable[..., Any], *args: Any) -> None:
        if self._in_other_thread():
            self._hub.loop.run_callback_threadsafe(target, *args)
        else:
            self._hub.loop.run_callback(target, *args)

    def accept_websocket(
        self, environ: WSGIEnviron, headers: Sequence[tuple[str, str]], max_message_size: int
    ) -> WebSocket:
        ws = environ.get("wsgi.websocket")
        if ws is not None:
            return over_gevent_websocket(ws, max_message_size, self.lock(), self.spawn)
        return take_over_socket(
            environ, headers, max_message_size, self.lock(), self.spawn, send_nowait=send_nowait
        )


def send_nowait(sock: Any) -> Callable[[bytes], int]:
    """A gevent socket's send that raises instead of waiting (safe in the hub)."""

    def send(data: bytes) -> int:
        return int(sock.send(data, 0, 0.0))  # gevent's send(data, flags, timeout)

    return send


def over_gevent_websocket(
    ws: Any, max_message_size: int, lock: SyncLock, spawn: Callable[..., Any]
) -> WebSocket:
    """The websocket gevent-websocket accepted, read and written by ``RawWebSocket``.

    gevent-websocket did the handshake; our own frame code then reads its buffered
    reader (which may hold frames read with the request) and writes its socket, so
    writes are deferred and batched as on the raw socket, and reading costs what it
    costs there. Without wsproto, gevent-websocket's own reads and writes are used.
    """
    try:
        from runtime.drivers.rawws import RawWebSocket
    except ImportError:
        return GeventWebSocket(ws)
    handler = ws.handler
    sock = handler.socket

    def finish() -> Iterable[bytes]:
        ws.closed = True  # the close handshake was ours: gevent-websocket must not send another
        return []

    return RawWebSocket(
        sock, max_message_size, lock, spawn, finish, send_nowait(sock), handler.rfile.read1
    )
