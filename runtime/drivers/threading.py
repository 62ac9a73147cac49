"""The ``threading`` async mode: any multi-threaded WSGI server.

Websockets take over the raw socket that Werkzeug (``werkzeug.socket``) and Gunicorn
(``gunicorn.socket``) put in the environ; the request's thread becomes the reader.
Event handlers run on a pool of reusable daemon threads that grows when every
worker is busy and shrinks when workers stay idle, instead of a new thread per
event: as many handlers as python-socketio can run at once, without the cost of
starting a thread for each.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from runtime.drivers.base import (
    SyncEvent,
    SyncLock,
    WebSocket,
    WebSocketUnavailableError,
    WSGIEnviron,
)

__all__ = ["ThreadingDriver", "WorkerPool", "finish_taken_over", "take_over_socket"]

# Idle pool workers exit after this long without work.
IDLE_WORKER_SECONDS = 30.0


class _Thread(threading.Thread):
    def __init__(self, target: Callable[..., Any], args: Any, kwargs: Any) -> None:
        super().__init__(target=target, args=args, kwargs=kwargs, daemon=True)


class WorkerPool:
    """Reusable daemon threads; a job never waits for another to finish."""

    def __init__(self, idle_seconds: float = IDLE_WORKER_SECONDS) -> None:
        self._idle_seconds = idle_seconds
        self._jobs: deque[tuple[Callable[..., Any], tuple[Any, ...]]] = deque()
        self._cond = threading.Condition(threading.Lock())
        self._idle = 0  # workers waiting for a job
        self._workers = 0

    @property
    def size(self) -> int:
        return self._workers

    def submit(self, target: Callable[..., Any], *args: Any) -> None:
        with self._cond:
            self._jobs.append((target, args))
            if self._idle > len(self._jobs) - 1:
                self._cond.notify()
                return
            self._workers += 1
        threading.Thread(target=self._work, daemon=True, name="socketio-worker").start()

    def _work(self) -> None:
        jobs = self._jobs
        cond = self._cond
        while True:
            with cond:
                if not jobs:
                    self._idle += 1
                    deadline = time.monotonic() + self._idle_seconds
                    while not jobs:
                        remaining = deadline - time.monotonic()
                        if (remaining <= 0 or not cond.wait(remaining)) and not jobs:
                            self._idle -= 1
                            self._workers -= 1
                            return
                    self._idle -= 1
                target, args = jobs.popleft()
            with contextlib.suppress(Exception):  # a job logs its own errors
                target(*args)
            del target, args


def finish_taken_over(kind: str) -> Iterable[bytes]:
    """End a WSGI request whose socket the application took over.

    Werkzeug treats a ``ConnectionError`` as a dropped connection and Gunicorn's
    workers treat ``StopIteration`` as "close this connection"; both then write
    nothing more on the socket.
    """
    if kind == "werkzeug":
        raise ConnectionError("websocket closed")
    if kind == "gunicorn":
        raise StopIteration
    return []


class ThreadingDriver:
    """Threads and the raw-socket websocket."""

    name = "threading"
    http_headers: Sequence[tuple[str, str]] = ()

    def __init__(self) -> None:
        self._pool = WorkerPool()

    def spawn(self, target: Callable[..., Any], *args: Any, **kwargs: Any) -> threading.Thread:
        thread = _Thread(target, args, kwargs)
        thread.start()
        return thread

    def submit(self, target: Callable[..., Any], *args: Any) -> None:
        self._pool.submit(target, *args)

    def sleep(self, seconds: float = 0) -> None:
        time.sleep(seconds)

    def event(self) -> SyncEvent:
        return threading.Event()

    def lock(self) -> SyncLock:
        return threading.Lock()

    def defer(self, target: Callable[..., Any], *args: Any) -> None:
        target(*args)  # threads have no loop to defer to

    def accept_websocket(
        self, environ: WSGIEnviron, headers: Sequence[tuple[str, str]], max_message_size: int
    ) -> WebSocket:
        return take_over_socket(environ, headers, max_message_size, self.lock(), self.spawn)


def take_over_socket(
    environ: WSGIEnviron,
    headers: Sequence[tuple[str, str]],
    max_message_size: int,
    lock: SyncLock,
    spawn: Callable[..., Any],
    finish: Callable[[str], Iterable[bytes]] | None = None,
    send_nowait: Callable[[Any], Callable[[bytes], int]] | None = None,
) -> WebSocket:
    """Answer the handshake on the request's raw socket and wrap it (needs wsproto).

    ``finish(kind)`` ends the WSGI request afterwards (``finish_taken_over`` by default);
    ``send_nowait(sock)`` gives the socket's non-waiting send (see ``drivers.rawws``).
    """
    try:
        from runtime.drivers.rawws import RawWebSocket, handshake_response, socket_from_environ
    except ImportError as exc:
        raise WebSocketUnavailableError(
            "the websocket transport of this async mode needs wsproto: pip install wsproto"
        ) from exc
    sock, kind = socket_from_environ(environ)
    answer = handshake_response(environ, headers)  # ValueError before anything is written
    sock.sendall(answer)
    end = finish if finish is not None else finish_taken_over
    nowait = send_nowait(sock) if send_nowait is not None else None
    return RawWebSocket(sock, max_message_size, lock, spawn, lambda: end(kind), nowait)
