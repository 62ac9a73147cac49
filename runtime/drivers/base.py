"""The contract between the sync Engine.IO edge and a concurrency library ("async mode").

A ``SyncDriver`` gives the edge what differs between threads and greenlets:

* ``spawn`` (long-lived background work, python-socketio's ``start_background_task``)
  and ``submit`` (a short handler run: a pooled thread, or a greenlet);
* ``event`` / ``lock`` / ``sleep`` of the library;
* ``accept_websocket``: turn a WSGI request into a server-side ``WebSocket``, by
  taking over the connection's raw socket or through the server's own websocket
  support (gevent-websocket, uWSGI).

Locks are only ever held around pure bookkeeping (never around I/O or a handler),
so a plain lock is safe under greenlets too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Protocol

__all__ = [
    "BackgroundTask",
    "MissingDependencyError",
    "SyncDriver",
    "SyncEvent",
    "SyncLock",
    "WSGIEnviron",
    "WebSocket",
    "WebSocketUnavailableError",
]

WSGIEnviron = Mapping[str, Any]


class MissingDependencyError(RuntimeError):
    """An async mode needs a library that is not installed."""


class WebSocketUnavailableError(RuntimeError):
    """The WSGI server gives no way to run a websocket for this request."""


class SyncEvent(Protocol):
    def set(self) -> None: ...

    def clear(self) -> None: ...

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


class SyncLock(Protocol):
    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool: ...

    def release(self) -> None: ...

    def __enter__(self) -> bool: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
        /,
    ) -> None: ...


class BackgroundTask(Protocol):
    """What ``start_background_task`` returns: something to ``join``."""

    def join(self, timeout: float | None = None) -> Any: ...


class WebSocket(Protocol):
    """A server-side websocket after its handshake, as the edge drives it.

    One thread (or greenlet) reads with ``receive``; writes may come from any other
    thread, but never two at once (the edge serialises them).
    """

    @property
    def inline_writes(self) -> bool:
        """True when ``send`` never blocks for long: emitters may write themselves.

        False makes the edge write from a background task instead.
        """
        ...

    def receive(self) -> str | bytes | None:
        """The next whole message; None once the connection is closed."""
        ...

    def send(self, frames: Sequence[str | bytes]) -> bool:
        """Write ``frames`` (text for str, binary for bytes).

        False when the peer is gone. With ``inline_writes``, a write the socket cannot
        take at once is completed by a background task of the websocket itself.
        """
        ...

    def close(self, code: int) -> None:
        """Send a close frame (once); the peer's reply ends ``receive``."""
        ...

    def abort(self) -> None:
        """Drop the connection now: unblocks ``receive`` and any pending write."""
        ...

    def finish(self) -> Iterable[bytes]:
        """What the WSGI application returns (or raises) once the websocket ended."""
        ...


class SyncDriver(Protocol):
    """One concurrency library (see the module docstring)."""

    @property
    def name(self) -> str:
        """The ``async_mode`` name."""
        ...

    @property
    def http_headers(self) -> Sequence[tuple[str, str]]:
        """Headers added to every Engine.IO HTTP (polling) response of this server."""
        ...

    def spawn(self, target: Callable[..., Any], *args: Any, **kwargs: Any) -> BackgroundTask:
        """Start ``target`` in the background (daemon thread or greenlet)."""
        ...

    def submit(self, target: Callable[..., Any], *args: Any) -> None:
        """Run a short job concurrently (an event handler); errors are the job's own."""
        ...

    def sleep(self, seconds: float = 0) -> None: ...

    def event(self) -> SyncEvent: ...

    def lock(self) -> SyncLock: ...

    def defer(self, target: Callable[..., Any], *args: Any) -> None:
        """Run a short ``target`` that never waits, once the caller yields if it can.

        gevent runs it as a callback of its hub, after the current greenlet yields,
        so the writes an emit loop triggers are made once, together; threads (and
        eventlet) run it at once.
        """
        ...

    def accept_websocket(
        self,
        environ: WSGIEnviron,
        headers: Sequence[tuple[str, str]],
        max_message_size: int,
    ) -> WebSocket:
        """Complete the websocket handshake of this WSGI request (with extra ``headers``).

        Raises ``WebSocketUnavailableError`` when the server offers no websocket.
        """
        ...
