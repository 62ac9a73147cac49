"""The asyncio/ASGI edge of the Engine.IO server: all the I/O around ``EngineCore``.

What costs a task, a timer or a wake-up here, and what does not:

* one timer task for the whole server (started lazily), sleeping until
  ``core.next_deadline()`` and woken early when an earlier deadline appears;
* a websocket's ASGI coroutine is its receive loop; output is written by a writer
  that exists only while there is output. Writers (and any other work the edge
  starts) run *eagerly*: inline until they first have to wait, so a frame that the
  ASGI server can take at once costs no task at all;
* a long-poll GET awaits one future, resolved when its session gets output;
* ``send`` only appends to the session's queue (no task, no lock, no copy) and wakes
  the transport when the queue goes from empty to non-empty.

Handler callbacks of one session run in order: a callback returning an awaitable is
awaited before the session's next callback; callbacks raised while another is
running (e.g. ``close()`` inside ``on_message``) are queued behind it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Coroutine, Sequence
from typing import Any, Protocol

from runtime.engineio.asgi_io import (
    ClientGone,
    Message,
    Receive,
    Scope,
    Send,
    deny_websocket,
    header_pairs,
    make_request,
    read_body,
    run_eagerly,
    send_response,
)
from runtime.engineio.config import EngineConfig
from runtime.engineio.core import AcceptWebSocket, EngineCore, Respond, SendStatus
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

__all__ = ["AsyncEngineServer", "EngineHandler"]

# Timer wake-ups are delayed by this much so that deadlines close together share one.
_TIMER_SLACK = 0.005


class EngineHandler(Protocol):
    """What the layer above implements (the Socket.IO server)."""

    def on_connect(self, sid: str, request: HttpRequest) -> Awaitable[None] | None: ...

    def on_message(self, sid: str, data: str | bytes) -> Awaitable[None] | None: ...

    def on_disconnect(self, sid: str, reason: str) -> Awaitable[None] | None: ...


class _WebSocket:
    """One accepted websocket (a session's transport, or its upgrade probe)."""

    __slots__ = ("close_code", "close_sent", "closed", "send", "session", "writing", "ws_id")

    def __init__(self, send: Send, session: Session, ws_id: int) -> None:
        self.send = send
        self.session = session
        self.ws_id = ws_id
        self.writing = False  # a writer is running (at most one per websocket)
        self.closed = False  # the peer is gone: nothing more can be written
        self.close_code: int | None = None  # close after the pending frames
        self.close_sent = False


class _Link:
    """Edge-side state of a session: callback ordering and its waiting transports."""

    __slots__ = ("backlog", "busy", "waiter", "ws")

    def __init__(self) -> None:
        self.busy = False  # a callback of this session is running
        self.backlog: deque[EngineEvent] = deque()
        self.waiter: asyncio.Future[None] | None = None  # the parked poll
        self.ws: _WebSocket | None = None


class AsyncEngineServer:
    """An Engine.IO v4 server for asyncio, served through ASGI."""

    def __init__(
        self,
        config: EngineConfig,
        handler: EngineHandler,
        *,
        logger: logging.Logger | None = None,
        id_factory: Callable[[], str] | None = None,
    ) -> None:
        self.config = config
        self._handler = handler
        self._log = logger if logger is not None else logging.getLogger("engineio.server")
        self._core = EngineCore(config, id_factory=id_factory, logger=self._log)
        self._links: dict[str, _Link] = {}
        self._sockets: dict[int, _WebSocket] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer_task: asyncio.Task[None] | None = None
        self._timer_wakeup: asyncio.Future[None] | None = None
        self._timer_target: float | None = None

    @property
    def core(self) -> EngineCore:
        return self._core

    # -- public API --------------------------------------------------------------

    def send(self, sid: str, data: str | bytes) -> bool:
        """Queue one MESSAGE packet; False if the session is gone. Never blocks."""
        status = self._core.send(sid, data)
        if status is SendStatus.WAKE:
            self._wake(sid)
        return status is not SendStatus.GONE

    def send_many(self, sid: str, messages: Sequence[str | bytes]) -> bool:
        """Queue several MESSAGE packets, contiguous and in order."""
        status = self._core.send_many(sid, messages)
        if status is SendStatus.WAKE:
            self._wake(sid)
        return status is not SendStatus.GONE

    def close(self, sid: str, reason: str = DisconnectReason.SERVER_DISCONNECT) -> None:
        """Close a session: CLOSE to the client, end its transport, ``on_disconnect``."""
        if self._core.get(sid) is None:
            return
        events = self._core.close(sid, reason, self._now())
        if events:
            self._deliver_nowait(events)
            self._poke_timer()

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
        return self._core.sessions.keys()

    async def shutdown(self) -> None:
        """Close every session ('server disconnect') and stop the timer task.

        The server stays usable: a later request starts a new timer task.
        """
        events = self._core.close_all(DisconnectReason.SERVER_DISCONNECT, self._now())
        self._deliver_nowait(events)
        task = self._timer_task
        self._timer_task = None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)

    async def handle_asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI ``http`` or ``websocket`` scope routed to the Engine.IO path."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # first request, or the server moved to a new loop
            self._loop = loop
            self._timer_task = None
        if self._timer_task is None:
            self._start_timer()
        kind = scope["type"]
        if kind == "http":
            await self._handle_http(scope, receive, send)
        elif kind == "websocket":
            await self._handle_websocket(scope, receive, send)

    # -- HTTP --------------------------------------------------------------------

    async def _handle_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        too_large = False
        if scope.get("method") == "POST":
            try:
                body, too_large = await read_body(scope, receive, self.config.max_http_buffer_size)
            except ClientGone:
                return
        request = make_request(scope, body, websocket=False)
        outcome = self._core.handle_request(request, self._now(), body_too_large=too_large)
        self._poke_timer()
        if outcome.events:
            await self._deliver(outcome.events)
        if isinstance(outcome, Respond):
            await send_response(send, outcome.response)
            return
        if isinstance(outcome, AcceptWebSocket):  # never for plain HTTP
            return
        response = await self._long_poll(outcome.session, request)
        await send_response(send, response)

    async def _long_poll(self, session: Session, request: HttpRequest) -> HttpResponse:
        link = self._links.get(session.sid)
        loop = self._running_loop()
        response: HttpResponse | None = None
        waiter: asyncio.Future[None] | None = None
        try:
            while response is None:
                if link is not None and not session.closed:
                    waiter = loop.create_future()
                    link.waiter = waiter
                    await waiter
                response = self._core.finish_poll(session, request)
                if response is None and (link is None or session.closed):
                    break
        except BaseException:
            self._core.cancel_poll(session)
            raise
        finally:
            if link is not None and link.waiter is waiter:
                link.waiter = None
        if response is None:  # cannot happen: a closed session always answers
            return HttpResponse(200, (("Content-Type", "text/plain; charset=UTF-8"),), b"6")
        return response

    # -- websocket ---------------------------------------------------------------

    async def _handle_websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        request = make_request(scope, b"", websocket=True)
        outcome = self._core.handle_websocket(request, self._now())
        self._poke_timer()
        if isinstance(outcome, Respond):
            await deny_websocket(scope, send, outcome.response)
            return
        session, ws_id = outcome.session, outcome.ws_id
        ws = _WebSocket(send, session, ws_id)
        link: _Link | None = None
        try:
            accept: Message = {"type": "websocket.accept"}
            if outcome.headers:
                accept["headers"] = header_pairs(outcome.headers)
            await send(accept)
            # Only now may a writer use the socket; a close decided meanwhile still applies.
            self._sockets[ws_id] = ws
            if session.ws_id != ws_id or session.closed:
                ws.close_code = 1000
            if outcome.events:
                await self._deliver(outcome.events)  # on_connect of a new websocket session
            link = self._links.get(session.sid)
            if link is not None:
                link.ws = ws
            self._kick(ws)  # the OPEN packet and whatever on_connect queued
            await self._receive_loop(ws, receive)
        finally:
            ws.closed = True
            self._sockets.pop(ws_id, None)
            if link is not None and link.ws is ws:
                link.ws = None
            events = self._core.ws_closed(session, ws_id, self._now())
            if events:
                self._deliver_nowait(events)

    async def _receive_loop(self, ws: _WebSocket, receive: Receive) -> None:
        core = self._core
        session = ws.session
        ws_id = ws.ws_id
        link = self._links.get(session.sid)
        loop = self._running_loop()
        while True:
            message = await receive()
            kind = message["type"]
            if kind == "websocket.receive":
                data = message.get("text")
                if data is None:
                    data = message.get("bytes")
                    if data is None:
                        continue
                events = core.receive_ws(session, ws_id, data, loop.time())
                if len(events) == 1 and type(events[0]) is MessageReceived and link is not None:
                    pending = self._feed(link, events[0])  # the common case: one message
                    if pending is not None:
                        await pending
                elif events:
                    await self._deliver(events)
            elif kind == "websocket.disconnect":
                return

    def _kick(self, ws: _WebSocket) -> None:
        """Make sure a writer runs for ``ws`` if it has something to write or to close."""
        if ws.writing or ws.closed:
            return
        ws.writing = True
        self._run_eagerly(self._write(ws))

    async def _write(self, ws: _WebSocket) -> None:
        # Precondition: ws.writing was set by _kick. One writer per websocket keeps frames in order.
        session = ws.session
        send = ws.send
        try:
            while not ws.closed:
                frames = session.take_ws_frames(ws.ws_id)
                if not frames:
                    if ws.close_code is not None and not ws.close_sent:
                        ws.close_sent = True
                        await send({"type": "websocket.close", "code": ws.close_code})
                    return
                for frame in frames:
                    if isinstance(frame, str):
                        await send({"type": "websocket.send", "text": frame})
                    else:
                        await send({"type": "websocket.send", "bytes": frame})
        except Exception:  # the connection broke: the receive loop will see it end
            ws.closed = True
        finally:
            ws.writing = False

    # -- events and callbacks ----------------------------------------------------

    async def _deliver(self, events: Sequence[EngineEvent]) -> None:
        """Apply events, then await the callbacks still running (request paths).

        All events are applied before anything is awaited, so that the later events of
        a session queue up behind its running callback in arrival order.
        """
        pending: list[Coroutine[Any, Any, None]] | None = None
        for event in events:
            running = self._apply(event)
            if running is not None:
                if pending is None:
                    pending = [running]
                else:
                    pending.append(running)
        if pending is not None:
            for running in pending:
                await running

    def _deliver_nowait(self, events: Sequence[EngineEvent]) -> None:
        """Apply events from a context that must not wait (timer, ``close()``)."""
        for event in events:
            pending = self._apply(event)
            if pending is not None:
                self._run_eagerly(pending)

    def _apply(self, event: EngineEvent) -> Coroutine[Any, Any, None] | None:
        kind = type(event)
        if kind is MessageReceived or kind is SessionClosed:
            link = self._links.get(event.sid)
            return None if link is None else self._feed(link, event)
        if type(event) is OutputReady:
            self._wake(event.sid)
        elif type(event) is CloseWebSocket:
            ws = self._sockets.get(event.ws_id)
            if ws is not None:
                ws.close_code = event.code
                self._kick(ws)
        elif type(event) is SessionOpened:
            link = _Link()
            self._links[event.sid] = link
            return self._feed(link, event)
        return None

    def _wake(self, sid: str) -> None:
        link = self._links.get(sid)
        if link is None:
            return
        waiter = link.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        ws = link.ws
        if ws is not None:
            self._kick(ws)

    def _feed(self, link: _Link, event: EngineEvent) -> Coroutine[Any, Any, None] | None:
        """Run the callback for ``event`` now, or queue it behind the running one.

        Returns a coroutine when a callback is still pending; the caller awaits it (or
        runs it eagerly) and it finishes the session's queued callbacks too.
        """
        if link.busy:
            link.backlog.append(event)
            return None
        link.busy = True
        pending = self._invoke(event)
        while pending is None:
            if not link.backlog:
                link.busy = False
                return None
            pending = self._invoke(link.backlog.popleft())
        return self._finish(link, pending)

    async def _finish(self, link: _Link, pending: Awaitable[None]) -> None:
        try:
            await self._guard(pending)
            while link.backlog:
                awaitable = self._invoke(link.backlog.popleft())
                if awaitable is not None:
                    await self._guard(awaitable)
        finally:
            link.busy = False
            if link.backlog:  # cancelled midway: keep the rest in order, in the background
                rest = self._feed(link, link.backlog.popleft())
                if rest is not None:
                    self._run_eagerly(rest)

    async def _guard(self, awaitable: Awaitable[None]) -> None:
        try:
            await awaitable
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # we are being cancelled, not just the callback's task
        except Exception:
            self._log.exception("engine handler error")

    def _invoke(self, event: EngineEvent) -> Awaitable[None] | None:
        handler = self._handler
        try:
            if type(event) is MessageReceived:
                return handler.on_message(event.sid, event.data)
            if type(event) is SessionOpened:
                return handler.on_connect(event.sid, event.request)
            if type(event) is SessionClosed:
                self._links.pop(event.sid, None)
                return handler.on_disconnect(event.sid, event.reason)
        except Exception:
            self._log.exception("engine handler error")
        return None

    def _run_eagerly(self, coro: Coroutine[Any, Any, None]) -> None:
        run_eagerly(coro, self._running_loop(), self._tasks, self._log)

    # -- timer -------------------------------------------------------------------

    def _now(self) -> float:
        return self._running_loop().time()

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        try:
            return asyncio.get_running_loop()
        except RuntimeError:  # a synchronous call (e.g. close()) from outside the loop
            if self._loop is None:
                raise
            return self._loop

    def _start_timer(self) -> None:
        self._timer_task = self._running_loop().create_task(self._timer_loop())

    def _poke_timer(self) -> None:
        """Wake the timer task if the earliest deadline moved before its current target."""
        wakeup = self._timer_wakeup
        if wakeup is None or wakeup.done():
            return
        deadline = self._core.next_deadline()
        target = self._timer_target
        if deadline is not None and (target is None or deadline < target):
            wakeup.set_result(None)

    async def _timer_loop(self) -> None:
        loop = self._running_loop()
        core = self._core
        while True:
            try:
                events = core.handle_timer(loop.time())
                if events:
                    self._deliver_nowait(events)
            except Exception:  # never let one bad session stop every heartbeat
                self._log.exception("engine timer error")
            deadline = core.next_deadline()
            wakeup: asyncio.Future[None] = loop.create_future()
            self._timer_wakeup = wakeup
            self._timer_target = deadline
            handle = None
            if deadline is not None:
                handle = loop.call_at(deadline + _TIMER_SLACK, _resolve, wakeup)
            try:
                await wakeup
            finally:
                self._timer_wakeup = None
                if handle is not None:
                    handle.cancel()


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
