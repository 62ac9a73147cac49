"""The sync (WSGI) edge of the Engine.IO server: all the I/O around ``EngineCore``.

Threads (or greenlets, per the ``SyncDriver``) and what each one does:

* the WSGI server's request threads: a polling request runs its callbacks
  (``on_connect`` for a handshake, ``on_message`` for a POST) and a long-poll GET
  waits on its session's event; a websocket request becomes that websocket's reader;
* one timer thread for the whole server, sleeping until ``core.next_deadline()``
  (pings, ping/upgrade timeouts) or the next ``call_later`` callback;
* no writer thread: whoever makes a websocket's queue non-empty writes its frames
  (a write never blocks, see ``drivers.rawws``); under gevent that write is deferred
  to the hub (``SyncDriver.defer``) so that the frames of an emit loop go out in one
  ``send``; with websockets whose write may block (gevent-websocket), a writer task
  runs only while there is output.

One lock guards the core and the edge's bookkeeping. It is never held around I/O
or a callback, so ``send``/``send_many`` are safe from any thread and a message of
several frames (a binary packet) is queued atomically. Callbacks of one session
never run concurrently and run in order: an event arriving while another of the
same session is being handled is queued and run by the thread already handling
that session.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any, Protocol

from runtime.drivers.base import (
    BackgroundTask,
    SyncDriver,
    SyncEvent,
    WebSocket,
    WebSocketUnavailableError,
)
from runtime.engineio.config import EngineConfig
from runtime.engineio.core import AcceptWebSocket, AwaitPoll, EngineCore, Respond, SendStatus
from runtime.engineio.events import (
    CloseWebSocket,
    DisconnectReason,
    EngineEvent,
    MessageReceived,
    OutputReady,
    SessionClosed,
    SessionOpened,
)
from runtime.engineio.http import HttpRequest, HttpResponse
from runtime.engineio.session import Session
from runtime.engineio.wsgi_io import StartResponse, WSGIEnviron, make_request, read_body, respond

__all__ = ["EngineServer", "SyncEngineHandler", "TimerHandle"]

# Timer wake-ups are delayed by this much so that deadlines close together share one.
_TIMER_SLACK = 0.005
# A websocket we closed is dropped if the peer has not answered our close frame by then.
CLOSE_GRACE = 5.0


class SyncEngineHandler(Protocol):
    """What the layer above implements (the sync Socket.IO server)."""

    def on_connect(self, sid: str, request: HttpRequest) -> object: ...

    def on_message(self, sid: str, data: str | bytes) -> object: ...

    def on_disconnect(self, sid: str, reason: str) -> object: ...


class TimerHandle:
    """A ``call_later`` callback; ``cancel()`` it to stop it from running."""

    __slots__ = ("args", "callback", "cancelled", "when")

    def __init__(self, when: float, callback: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.when = when
        self.callback = callback
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class _Socket:
    """One accepted websocket (a session's transport, or its upgrade probe)."""

    __slots__ = (
        "abort_timer",
        "close_code",
        "close_sent",
        "dead",
        "session",
        "transport",
        "writing",
        "ws_id",
    )

    def __init__(self, transport: WebSocket, session: Session, ws_id: int) -> None:
        self.transport = transport
        self.session = session
        self.ws_id = ws_id
        self.writing = False  # a writer is running (at most one per websocket)
        self.dead = False  # nothing more can be written
        self.close_code: int | None = None  # close after the pending frames
        self.close_sent = False
        self.abort_timer: TimerHandle | None = None


class _Link:
    """Edge-side state of a session: callback ordering and its waiting transports."""

    __slots__ = ("backlog", "busy", "poll_event", "ws")

    def __init__(self) -> None:
        self.busy = False  # a callback of this session is running
        self.backlog: deque[EngineEvent] = deque()
        self.poll_event: SyncEvent | None = None  # set when a parked poll should look again
        self.ws: _Socket | None = None


_Pairs = list[tuple[_Link, EngineEvent]]


class EngineServer:
    """An Engine.IO v4 server for WSGI, on threads or greenlets (see the module docstring)."""

    def __init__(
        self,
        config: EngineConfig,
        handler: SyncEngineHandler,
        driver: SyncDriver,
        *,
        logger: logging.Logger | None = None,
        id_factory: Callable[[], str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.driver = driver
        self._handler = handler
        self._log = logger if logger is not None else logging.getLogger("engineio.server")
        self._core = EngineCore(config, id_factory=id_factory, logger=self._log)
        self._clock = clock
        self._lock = driver.lock()
        self._links: dict[str, _Link] = {}
        self._sockets: dict[int, _Socket] = {}
        self._calls: list[tuple[float, int, TimerHandle]] = []
        self._seq = itertools.count()
        self._timer: BackgroundTask | None = None
        self._timer_wakeup = driver.event()
        self._timer_target: float | None = None
        self._timer_generation = 0

    @property
    def core(self) -> EngineCore:
        return self._core

    # -- public API --------------------------------------------------------------

    def send(self, sid: str, data: str | bytes) -> bool:
        """Queue one MESSAGE packet; False if the session is gone. Safe from any thread."""
        ws: _Socket | None = None
        with self._lock:
            status = self._core.send(sid, data)
            if status is SendStatus.WAKE:
                ws = self._wake_locked(sid)
        if ws is not None:
            self._kick(ws)
        return status is not SendStatus.GONE

    def send_many(self, sid: str, messages: Sequence[str | bytes]) -> bool:
        """Queue several MESSAGE packets, contiguous and in order, atomically."""
        ws: _Socket | None = None
        with self._lock:
            status = self._core.send_many(sid, messages)
            if status is SendStatus.WAKE:
                ws = self._wake_locked(sid)
        if ws is not None:
            self._kick(ws)
        return status is not SendStatus.GONE

    def close(self, sid: str, reason: str = DisconnectReason.SERVER_DISCONNECT) -> None:
        """Close a session: CLOSE to the client, end its transport, ``on_disconnect``."""
        with self._lock:
            events = self._core.close(sid, reason, self._clock())
            pairs, kicks = self._apply_locked(events)
        self._run(pairs, kicks)

    def transport(self, sid: str) -> str:
        session = self._core.get(sid)
        if session is None:
            raise KeyError(sid)
        return session.transport.value

    def request(self, sid: str) -> HttpRequest:
        session = self._core.get(sid)
        if session is None:
            raise KeyError(sid)
        return session.request

    def session_ids(self) -> Collection[str]:
        with self._lock:
            return list(self._core.sessions.keys())

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        """Run ``callback(*args)`` on the timer thread after ``delay`` seconds.

        Callbacks must be short: they delay every heartbeat while they run.
        """
        handle = TimerHandle(self._clock() + delay, callback, args)
        with self._lock:
            heapq.heappush(self._calls, (handle.when, next(self._seq), handle))
            self._ensure_timer_locked()
        self._poke_timer()
        return handle

    def shutdown(self) -> None:
        """Close every session ('server disconnect') and stop the timer thread.

        The server stays usable: a later request starts a new timer thread.
        """
        with self._lock:
            events = self._core.close_all(DisconnectReason.SERVER_DISCONNECT, self._clock())
            pairs, kicks = self._apply_locked(events)
            timer = self._timer
            self._timer = None
            self._timer_generation += 1
            self._timer_wakeup.set()
        self._run(pairs, kicks)
        if timer is not None:
            timer.join(5)

    def handle_request(
        self, environ: WSGIEnviron, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Serve one WSGI request routed to the Engine.IO path."""
        if self._timer is None:
            with self._lock:
                self._ensure_timer_locked()
        upgrade = str(environ.get("HTTP_UPGRADE", "")).lower() == "websocket"
        if upgrade and environ.get("REQUEST_METHOD", "GET").upper() == "GET":
            return self._handle_websocket(environ, start_response)
        return self._handle_http(environ, start_response)

    # -- HTTP --------------------------------------------------------------------

    def _respond(self, start_response: StartResponse, response: HttpResponse) -> Iterable[bytes]:
        return respond(start_response, self.driver.http_headers, response)

    def _handle_http(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        body, too_large = b"", False
        if environ.get("REQUEST_METHOD", "GET").upper() == "POST":
            body, too_large = read_body(environ, self.config.max_http_buffer_size)
        request = make_request(environ, body)
        link: _Link | None = None
        with self._lock:
            outcome = self._core.handle_request(request, self._clock(), body_too_large=too_large)
            pairs, kicks = self._apply_locked(outcome.events)
            if isinstance(outcome, AwaitPoll):
                link = self._links.get(outcome.session.sid)
        self._poke_timer()
        self._run(pairs, kicks)
        if isinstance(outcome, Respond):
            return self._respond(start_response, outcome.response)
        if isinstance(outcome, AcceptWebSocket):  # never for plain HTTP
            return self._respond(start_response, HttpResponse(400))
        return self._respond(start_response, self._long_poll(outcome.session, request, link))

    def _long_poll(
        self, session: Session, request: HttpRequest, link: _Link | None
    ) -> HttpResponse:
        event: SyncEvent | None = None
        if link is not None:
            event = link.poll_event
            if event is None:
                event = link.poll_event = self.driver.event()
        while True:
            with self._lock:
                response = self._core.finish_poll(session, request)
                if response is None:
                    if event is None or session.closed:
                        self._core.cancel_poll(session)
                        break
                    event.clear()
            if response is not None:
                return response
            assert event is not None
            # The session's next PING (or its close) always wakes a parked poll.
            event.wait(self.config.ping_interval_seconds + self.config.ping_timeout)
        # cannot happen: a closed session always answers
        return HttpResponse(200, (("Content-Type", "text/plain; charset=UTF-8"),), b"6")

    # -- websocket ---------------------------------------------------------------

    def _handle_websocket(
        self, environ: WSGIEnviron, start_response: StartResponse
    ) -> Iterable[bytes]:
        request = make_request(environ, b"")
        with self._lock:
            outcome = self._core.handle_websocket(request, self._clock())
        self._poke_timer()
        if isinstance(outcome, Respond):
            return self._respond(start_response, outcome.response)
        session, ws_id = outcome.session, outcome.ws_id
        try:
            transport = self.driver.accept_websocket(
                environ, outcome.headers, self.config.max_http_buffer_size
            )
        except (ValueError, WebSocketUnavailableError) as exc:
            self._log.error("websocket refused: %s", exc)
            with self._lock:
                events = [*outcome.events, *self._core.ws_closed(session, ws_id, self._clock())]
                pairs, kicks = self._apply_locked(events)
            self._run(pairs, kicks)
            body = b'{"code":3,"message":"Bad request"}'
            headers = (("Content-Type", "application/json"), ("Content-Length", str(len(body))))
            return self._respond(start_response, HttpResponse(400, headers, body))
        ws = _Socket(transport, session, ws_id)
        with self._lock:
            self._sockets[ws_id] = ws
            if session.ws_id != ws_id or session.closed:
                ws.close_code = 1000  # a close decided meanwhile still applies
            pairs, kicks = self._apply_locked(outcome.events)
            link = self._links.get(session.sid)
            if link is not None:
                link.ws = ws
        try:
            self._run(pairs, kicks)  # on_connect of a new websocket session
            self._kick(ws)  # the OPEN packet and whatever on_connect queued
            self._receive_loop(ws, link)
        finally:
            with self._lock:
                ws.dead = True
                self._sockets.pop(ws_id, None)
                if link is not None and link.ws is ws:
                    link.ws = None
                events = self._core.ws_closed(session, ws_id, self._clock())
                pairs, kicks = self._apply_locked(events)
                if ws.abort_timer is not None:
                    ws.abort_timer.cancel()
            self._run(pairs, kicks)
        return transport.finish()

    def _receive_loop(self, ws: _Socket, link: _Link | None) -> None:
        core = self._core
        lock = self._lock
        session = ws.session
        ws_id = ws.ws_id
        receive = ws.transport.receive
        while True:
            data = receive()
            if data is None:
                return
            with lock:
                events = core.receive_ws(session, ws_id, data, self._clock())
                if len(events) == 1 and type(events[0]) is MessageReceived and link is not None:
                    # the common case: one message of an open session
                    if link.busy:
                        link.backlog.append(events[0])
                        continue
                    link.busy = True
                    pairs: _Pairs = [(link, events[0])]
                    kicks: list[_Socket] = []
                    owned = True
                else:
                    pairs, kicks = self._apply_locked(events)
                    owned = False
            if owned:
                self._drain(link, events[0])  # type: ignore[arg-type]
            else:
                self._run(pairs, kicks)

    def _kick(self, ws: _Socket) -> None:
        """Make sure someone writes ``ws``'s pending frames (or its close)."""
        with self._lock:
            if ws.writing or ws.dead:
                return
            ws.writing = True
        if ws.transport.inline_writes:
            # gevent: from its hub once the caller yields, with all it queued by then
            self.driver.defer(self._write, ws)
        else:
            self.driver.submit(self._write, ws)

    def _write(self, ws: _Socket) -> None:
        # Precondition: ws.writing was set by _kick. One writer per websocket keeps frames in order.
        session = ws.session
        transport = ws.transport
        close_code: int | None = None
        try:
            while True:
                with self._lock:
                    frames = session.take_ws_frames(ws.ws_id)
                    if not frames:
                        if ws.close_code is None or ws.close_sent or ws.dead:
                            ws.writing = False
                            return
                        ws.close_sent = True
                        close_code = ws.close_code
                if not frames:
                    break
                if not transport.send(frames):
                    with self._lock:
                        ws.dead = True
                        ws.writing = False
                    return
            assert close_code is not None
            transport.close(close_code)
            handle = self.call_later(CLOSE_GRACE, transport.abort)
            with self._lock:
                ws.abort_timer = handle
                ws.writing = False
        except Exception:  # the connection broke: the reader will see it end
            self._log.debug("websocket write failed", exc_info=True)
            with self._lock:
                ws.dead = True
                ws.writing = False
            transport.abort()

    # -- events and callbacks ----------------------------------------------------

    def _wake_locked(self, sid: str) -> _Socket | None:
        link = self._links.get(sid)
        if link is None:
            return None
        if link.poll_event is not None:
            link.poll_event.set()
        return link.ws

    def _apply_locked(self, events: Sequence[EngineEvent]) -> tuple[_Pairs, list[_Socket]]:
        """Apply events to the edge's state (lock held); return callbacks and writers to run."""
        pairs: _Pairs = []
        kicks: list[_Socket] = []
        for event in events:
            kind = type(event)
            if kind is MessageReceived:
                link = self._links.get(event.sid)
                if link is not None:
                    pairs.append((link, event))
            elif kind is OutputReady:
                ws = self._wake_locked(event.sid)
                if ws is not None:
                    kicks.append(ws)
            elif kind is CloseWebSocket:
                assert isinstance(event, CloseWebSocket)
                sock = self._sockets.get(event.ws_id)
                if sock is not None:
                    sock.close_code = event.code
                    kicks.append(sock)
            elif kind is SessionOpened:
                link = _Link()
                self._links[event.sid] = link
                pairs.append((link, event))
            elif kind is SessionClosed:
                link = self._links.pop(event.sid, None)
                if link is not None:
                    pairs.append((link, event))
        return pairs, kicks

    def _run(self, pairs: _Pairs, kicks: list[_Socket]) -> None:
        """Outside the lock: start writers, then run callbacks in per-session order."""
        for ws in kicks:
            self._kick(ws)
        for link, event in pairs:
            with self._lock:
                if link.busy:
                    link.backlog.append(event)
                    continue
                link.busy = True
            self._drain(link, event)

    def _drain(self, link: _Link, event: EngineEvent) -> None:
        """Run ``event``'s callback, then the session's queued ones (``link.busy`` held)."""
        while True:
            self._invoke(event)
            with self._lock:
                if not link.backlog:
                    link.busy = False
                    return
                event = link.backlog.popleft()

    def _invoke(self, event: EngineEvent) -> None:
        handler = self._handler
        try:
            if type(event) is MessageReceived:
                handler.on_message(event.sid, event.data)
            elif type(event) is SessionOpened:
                handler.on_connect(event.sid, event.request)
            elif type(event) is SessionClosed:
                handler.on_disconnect(event.sid, event.reason)
        except Exception:
            self._log.exception("engine handler error")

    # -- timer -------------------------------------------------------------------

    def _ensure_timer_locked(self) -> None:
        if self._timer is None:
            self._timer_generation += 1
            self._timer = self.driver.spawn(self._timer_loop, self._timer_generation)

    def _poke_timer(self) -> None:
        """Wake the timer if the earliest deadline moved before its current target."""
        with self._lock:
            target = self._timer_target
            deadline = self._next_deadline_locked()
            if deadline is not None and (target is None or deadline < target):
                self._timer_target = deadline
                self._timer_wakeup.set()

    def _next_deadline_locked(self) -> float | None:
        deadline = self._core.next_deadline()
        calls = self._calls
        while calls and calls[0][2].cancelled:
            heapq.heappop(calls)
        if calls and (deadline is None or calls[0][0] < deadline):
            deadline = calls[0][0]
        return deadline

    def _timer_loop(self, generation: int) -> None:
        core = self._core
        calls = self._calls
        while True:
            due: list[TimerHandle] = []
            with self._lock:
                if generation != self._timer_generation:
                    return
                now = self._clock()
                try:
                    events = core.handle_timer(now)
                except Exception:  # never let one bad session stop every heartbeat
                    self._log.exception("engine timer error")
                    events = []
                while calls and calls[0][0] <= now:
                    handle = heapq.heappop(calls)[2]
                    if not handle.cancelled:
                        due.append(handle)
                pairs, kicks = self._apply_locked(events)
                deadline = self._next_deadline_locked()
                self._timer_target = deadline
                self._timer_wakeup.clear()
            for ws in kicks:
                self._kick(ws)
            if pairs:
                # Disconnect handlers may block: they run off the timer thread.
                self.driver.submit(self._run, pairs, [])
            for handle in due:
                try:
                    handle.callback(*handle.args)
                except Exception:
                    self._log.exception("timer callback error")
            timeout = (
                None if deadline is None else max(0.0, deadline + _TIMER_SLACK - self._clock())
            )
            self._timer_wakeup.wait(timeout)
