"""The asyncio edge of the Engine.IO client: httpx for polling, websockets for websocket.

``ClientSession`` (sans-IO) decides everything; this module only moves bytes. Tasks
per connection: one reader (a poll loop, then a websocket loop after an upgrade), one
writer (woken when output is queued) and, while probing, one upgrade task. No task or
timer per packet.

Close reasons given to ``on_close`` are python-engineio's: ``'server disconnect'``
(the server sent CLOSE) or ``'transport error'`` (anything else: a failed request, a
closed websocket, a ping timeout). A close asked for by ``disconnect()`` is not reported.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from runtime.engineio.client_session import (
    ClientClosed,
    ClientEvent,
    ClientMessage,
    ClientOpened,
    ClientSession,
    ClientUpgraded,
)
from runtime.exceptions import ConnectionError

__all__ = ["AsyncEngine", "engine_reason"]

try:  # optional: the ``client`` extra (httpx, websockets)
    import httpx
except ImportError:  # pragma: no cover - depends on the installation
    httpx = None  # type: ignore[assignment]
try:
    from websockets.asyncio.client import ClientConnection as WebSocket
    from websockets.asyncio.client import connect as ws_connect
    from websockets.exceptions import ConnectionClosed, WebSocketException
except ImportError:  # pragma: no cover
    ws_connect = None  # type: ignore[assignment,misc]


def engine_reason(session_reason: str) -> str:
    """python-engineio's client reason for a ``ClientSession`` close reason."""
    return "server disconnect" if session_reason == "transport close" else "transport error"


def split_url(url: str, engineio_path: str) -> tuple[str, str, dict[str, str]]:
    """``(http_base, ws_base, query)``: the path of ``url`` is replaced by the engine path."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    secure = scheme in ("https", "wss")
    if scheme not in ("http", "https", "ws", "wss"):
        raise ValueError(f"unsupported URL scheme {parts.scheme!r}")
    path = "/" + engineio_path.strip("/") + "/"
    http_base = f"{'https' if secure else 'http'}://{parts.netloc}{path}"
    ws_base = f"{'wss' if secure else 'ws'}://{parts.netloc}{path}"
    return http_base, ws_base, dict(parse_qsl(parts.query))


class AsyncEngine:
    """One Engine.IO client connection (a new one per connect)."""

    def __init__(
        self,
        on_message: Callable[[str | bytes], Awaitable[None]],
        on_close: Callable[[str], Awaitable[None]],
        *,
        request_timeout: float = 5.0,
        ssl_verify: bool = True,
        http_session: Any = None,
        websocket_extra_options: Mapping[str, Any] | None = None,
    ) -> None:
        if httpx is None or ws_connect is None:  # pragma: no cover
            raise ImportError(
                "the runtime client needs httpx and websockets: pip install httpx websockets"
            )
        self._on_message = on_message
        self._on_close = on_close
        self._request_timeout = request_timeout
        self._ssl_verify = ssl_verify
        self._http: httpx.AsyncClient | None = http_session
        self._own_http = http_session is None
        self._ws_options = dict(websocket_extra_options or {})
        self._headers: dict[str, str] = {}
        self._session: ClientSession | None = None
        self._ws: WebSocket | None = None
        self._http_base = ""
        self._ws_base = ""
        self._wake = asyncio.Event()  # output queued
        self._write_lock = asyncio.Lock()
        self._changed = asyncio.Event()  # the session state moved (upgrade)
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False

    # -- public --------------------------------------------------------------------

    @property
    def sid(self) -> str | None:
        return self._session.sid if self._session else None

    @property
    def transport(self) -> str:
        return self._session.transport if self._session else ""

    @property
    def connected(self) -> bool:
        session = self._session
        return (
            session is not None
            and session.handshake is not None
            and not session.closed
            and not self._closing
        )

    async def connect(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        transports: Iterable[str] | None = None,
        engineio_path: str = "engine.io",
    ) -> None:
        """Open the session; raises ``ConnectionError(message[, server data])``."""
        wanted = list(transports) if transports else ["polling", "websocket"]
        if not wanted or any(t not in ("polling", "websocket") for t in wanted):
            raise ValueError(f"invalid transports {transports!r}")
        self._http_base, self._ws_base, query = split_url(url, engineio_path)
        self._headers = dict(headers or {})
        first = "polling" if "polling" in wanted else "websocket"
        session = self._session = ClientSession(transport=first, query=query)
        if first == "polling":
            opened = await self._open_polling(session)
        else:
            opened = await self._open_websocket(session)
        self._spawn(self._writer())
        if first == "polling":
            self._spawn(self._poll_reader())
            if "websocket" in wanted and "websocket" in opened.upgrades:
                self._spawn(self._upgrade())
        else:
            self._spawn(self._ws_reader())

    def send(self, messages: Iterable[str | bytes]) -> None:
        session = self._session
        if session is None or session.closed or self._closing:
            return  # python-engineio drops sends on a closed connection too
        for message in messages:
            session.send(message)
        self._wake.set()

    async def disconnect(self) -> None:
        """Close from this side: CLOSE is flushed (best effort), then everything ends."""
        session = self._session
        if session is None or self._closing:
            return
        self._closing = True
        if not session.closed:
            # Queued data first, CLOSE in a write of its own (as engine.io-client does):
            # socket.io handles packets a tick late, so a CLOSE in the same POST would
            # overtake a DISCONNECT and the server would see "transport close".
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._write_pending(session), self._request_timeout)
            session.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._write_pending(session), self._request_timeout)
        await self._teardown()

    # -- opening -------------------------------------------------------------------

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                headers=self._headers, verify=self._ssl_verify, timeout=self._request_timeout
            )
        return self._http

    async def _open_polling(self, session: ClientSession) -> ClientOpened:
        try:
            response = await self._client().get(
                self._http_base + "?" + session.handshake_query(), headers=self._headers
            )
        except httpx.HTTPError as exc:
            await self._teardown()
            raise ConnectionError("Connection refused by the server") from exc
        if response.status_code != 200:
            await self._teardown()
            try:
                data = response.json()
            except ValueError:
                data = response.text
            raise ConnectionError(
                f"Unexpected status code {response.status_code} in server response", data
            )
        events = session.receive_poll_response(response.content, time.monotonic())
        return await self._expect_open(events)

    async def _open_websocket(self, session: ClientSession) -> ClientOpened:
        try:
            ws = self._ws = await ws_connect(
                self._ws_base + "?" + session.handshake_query(),
                additional_headers=self._headers,
                open_timeout=self._request_timeout,
                ping_interval=None,  # Engine.IO pings itself
                max_size=None,
                **self._ws_options,
            )
            frame = await asyncio.wait_for(ws.recv(), self._request_timeout)
        except (OSError, TimeoutError, WebSocketException) as exc:
            await self._teardown()
            raise ConnectionError("Connection error") from exc
        return await self._expect_open(session.receive_ws(frame, time.monotonic()))

    async def _expect_open(self, events: list[ClientEvent]) -> ClientOpened:
        if events and isinstance(events[0], ClientOpened):
            opened = events[0]
            await self._handle(events[1:])
            return opened
        await self._teardown()
        raise ConnectionError("Unexpected response from server")

    # -- loops ---------------------------------------------------------------------

    def _spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _poll_reader(self) -> None:
        session = self._session
        assert session is not None and session.handshake is not None
        timeout = session.handshake.ping_interval + session.handshake.ping_timeout + 5
        client = self._client()
        while not session.closed and session.transport == "polling":
            self._changed.clear()  # before the check, so a change is never missed
            query = session.poll_query()
            if query is None:  # paused for an upgrade
                await self._changed.wait()
                continue
            try:
                response = await client.get(self._http_base + "?" + query, timeout=timeout)
            except httpx.HTTPError:
                return self._fail()
            if response.status_code != 200:
                return self._fail()
            await self._handle(session.receive_poll_response(response.content, time.monotonic()))

    async def _ws_reader(self) -> None:
        session, ws = self._session, self._ws
        assert session is not None and ws is not None
        while not session.closed:
            deadline = session.next_deadline()
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                frame = await asyncio.wait_for(ws.recv(), timeout)
            except TimeoutError:
                await self._handle(session.handle_timer(time.monotonic()))
                continue
            except (ConnectionClosed, OSError):
                # Closed without a CLOSE packet: a transport error, not a server close.
                session.ws_closed(time.monotonic())
                return self._fail()
            await self._handle(session.receive_ws(frame, time.monotonic()))

    async def _writer(self) -> None:
        session = self._session
        assert session is not None
        while not session.closed:
            await self._wake.wait()
            self._wake.clear()
            try:
                ok = await self._write_pending(session)
            except (httpx.HTTPError, ConnectionClosed, OSError):
                ok = False
            if not ok:
                return self._fail()

    async def _write_pending(self, session: ClientSession) -> bool:
        """Write what the session has queued; False if the server refused a POST.

        Serialized by a lock: ``disconnect()`` flushes the CLOSE packet through here
        too, and two POSTs at once would be an overlap error on the server.
        """
        async with self._write_lock:
            if session.transport == "polling":
                body = session.take_post_body()
                while body is not None:
                    response = await self._client().post(
                        self._http_base + "?" + session.post_query(),
                        content=body,
                        headers={"Content-Type": "text/plain;charset=UTF-8"},
                    )
                    if response.status_code != 200:
                        return False
                    await self._handle(session.post_done(time.monotonic()))
                    body = session.take_post_body()
            elif self._ws is not None:
                for frame in session.take_ws_frames():
                    await self._ws.send(frame)
        return True

    def _ws_headers(self) -> dict[str, str]:
        """Headers of the upgrade: cookies set while polling go along (sticky sessions)."""
        headers = dict(self._headers)
        if self._http is not None and self._http.cookies and "Cookie" not in headers:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self._http.cookies.items())
        return headers

    async def _upgrade(self) -> None:
        session = self._session
        assert session is not None
        try:
            ws = await ws_connect(
                self._ws_base + "?" + session.ws_query(),
                additional_headers=self._ws_headers(),
                open_timeout=self._request_timeout,
                ping_interval=None,
                max_size=None,
                **self._ws_options,
            )
        except (OSError, TimeoutError, WebSocketException):
            return  # stay on polling
        if session.closed or self._closing:
            await ws.close()
            return
        try:
            session.start_upgrade()
            for frame in session.take_ws_frames():
                await ws.send(frame)
            answer = await asyncio.wait_for(ws.recv(), self._request_timeout)
            self._ws = ws
            events = session.receive_ws(answer, time.monotonic())
        except (OSError, TimeoutError, WebSocketException):
            session.abort_upgrade()
            self._changed.set()
            await ws.close()
            return
        self._changed.set()  # the poll loop may have to pause or stop
        await self._handle(events)

    # -- events --------------------------------------------------------------------

    async def _handle(self, events: list[ClientEvent]) -> None:
        session = self._session
        for event in events:
            if isinstance(event, ClientMessage):
                await self._on_message(event.data)
            elif isinstance(event, ClientUpgraded):
                self._spawn(self._ws_reader())
                self._changed.set()
            elif isinstance(event, ClientClosed):
                self._fail(engine_reason(event.reason))
                return
        if session is not None and session.pending_output:
            self._wake.set()

    def _fail(self, reason: str = "transport error") -> None:
        """The connection ended without ``disconnect()``: tear down, then report."""
        if self._closing:
            return
        self._closing = True
        session = self._session
        if session is not None and not session.closed:
            session.close()  # marks it closed; its CLOSE packet is never sent
        self._spawn(self._report(reason))

    async def _report(self, reason: str) -> None:
        await self._teardown()
        await self._on_close(reason)

    async def _teardown(self) -> None:
        self._closing = True
        current = asyncio.current_task()
        others = [t for t in self._tasks if t is not current]
        for task in others:
            task.cancel()
        for task in others:
            with contextlib.suppress(BaseException):
                await task
        ws, self._ws = self._ws, None
        if ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 1.0)
        http, self._http = self._http, None
        if http is not None and self._own_http:
            with contextlib.suppress(Exception):
                await http.aclose()
