"""The ``eventlet`` async mode: green threads, on ``eventlet.wsgi`` or ``gunicorn -k eventlet``.

Websockets take over the connection's socket (``environ['eventlet.input']``, or
Gunicorn's); eventlet's green sockets yield instead of blocking. Eventlet is in
maintenance mode upstream; prefer threading or gevent for new deployments.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from runtime.drivers.base import SyncEvent, SyncLock, WebSocket, WSGIEnviron
from runtime.drivers.threading import finish_taken_over, take_over_socket

__all__ = ["EventletDriver", "GreenTask"]

# Imported by name: eventlet is optional, and this module is only loaded for this mode.
eventlet: Any = importlib.import_module("eventlet")
eventlet_wsgi: Any = importlib.import_module("eventlet.wsgi")
green_threading: Any = importlib.import_module("eventlet.green.threading")


class GreenTask:
    """A green thread with ``join()`` (what ``start_background_task`` returns)."""

    def __init__(self, target: Callable[..., Any], args: Any, kwargs: Any) -> None:
        self._thread = eventlet.spawn(target, *args, **kwargs)

    def join(self, timeout: float | None = None) -> Any:
        if timeout is None:
            return self._thread.wait()
        with eventlet.Timeout(timeout, False):
            return self._thread.wait()
        return None


def _finish(kind: str) -> Iterable[bytes]:
    if kind == "eventlet":
        # Tell eventlet.wsgi the socket is done with, its websocket module's way: a
        # sentinel response before eventlet 0.34, a flag on the request's green local since.
        sentinel: Iterable[bytes] | None = getattr(eventlet_wsgi, "ALREADY_HANDLED", None)
        if sentinel is not None:
            return sentinel
        eventlet_wsgi.WSGI_LOCAL.already_handled = True
        return []
    return finish_taken_over(kind)


class EventletDriver:
    """Green threads and the raw-socket websocket."""

    name = "eventlet"
    http_headers: Sequence[tuple[str, str]] = ()

    def spawn(self, target: Callable[..., Any], *args: Any, **kwargs: Any) -> GreenTask:
        return GreenTask(target, args, kwargs)

    def submit(self, target: Callable[..., Any], *args: Any) -> None:
        eventlet.spawn_n(target, *args)

    def sleep(self, seconds: float = 0) -> None:
        eventlet.sleep(seconds)

    def event(self) -> SyncEvent:
        event: SyncEvent = green_threading.Event()
        return event

    def lock(self) -> SyncLock:
        # Held only around bookkeeping that never switches green threads.
        return threading.Lock()

    def defer(self, target: Callable[..., Any], *args: Any) -> None:
        target(*args)  # green sockets here may switch: not safe in the hub

    def accept_websocket(
        self, environ: WSGIEnviron, headers: Sequence[tuple[str, str]], max_message_size: int
    ) -> WebSocket:
        return take_over_socket(
            environ, headers, max_message_size, self.lock(), self.spawn, finish=_finish
        )
