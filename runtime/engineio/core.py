"""The sans-IO Engine.IO v4 server: requests and websocket messages in, responses and events out.

``EngineCore`` validates requests (origin, method, protocol version, transport, sid),
performs handshakes, routes polling GET/POST and websocket traffic to the ``Session``
state machines, and runs every session's timers from one heap, so an edge needs one
timer for the whole server (``next_deadline()`` / ``handle_timer(now)``).

It does no I/O: the edge passes ``HttpRequest`` objects and websocket messages in,
with the current time ``now`` (any monotonic clock), and carries out the outcome:

* ``Respond``: write this response now;
* ``AwaitPoll``: a long-poll with nothing to send; park it until an ``OutputReady``
  event for the session, then call ``finish_poll`` (it returns None if the poll
  should keep waiting);
* ``AcceptWebSocket``: accept the websocket; afterwards feed its messages to
  ``receive_ws`` and write what ``Session.take_ws_frames(ws_id)`` returns.

Error answers follow JS engine.io: status 400 (413 for an oversized POST) with a
JSON body ``{"code": N, "message": ...}``; each is logged once at ERROR per kind of
error, then at INFO.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum

from runtime.engineio.compression import choose_encoding, compress
from runtime.engineio.config import EngineConfig, Transport
from runtime.engineio.cors import CorsPolicy
from runtime.engineio.events import (
    DisconnectReason,
    EngineEvent,
    SessionOpened,
)
from runtime.engineio.http import HttpRequest, HttpResponse
from runtime.engineio.packets import OutItem
from runtime.engineio.payload import decode_payload, encode_payload
from runtime.engineio.session import Session, SessionSettings, SessionState
from runtime.exceptions import RemoteProtocolError

__all__ = [
    "AcceptWebSocket",
    "AwaitPoll",
    "EngineCore",
    "ErrorCode",
    "Outcome",
    "Respond",
    "SendStatus",
    "generate_sid",
]

Headers = tuple[tuple[str, str], ...]

# How long a session closed on polling waits for a poll to collect its CLOSE packet
# (JS engine.io's closeTimeout).
CLOSE_LINGER = 30.0

_POLL_HEADERS: Headers = (
    ("Content-Type", "text/plain; charset=UTF-8"),
    ("Cache-Control", "no-store"),
)
_OK_BODY = b"ok"


class ErrorCode(IntEnum):
    """JS engine.io's error codes (the ``code`` of an error body)."""

    UNKNOWN_TRANSPORT = 0
    UNKNOWN_SID = 1
    BAD_HANDSHAKE_METHOD = 2
    BAD_REQUEST = 3
    FORBIDDEN = 4
    UNSUPPORTED_PROTOCOL_VERSION = 5


_ERROR_MESSAGES = {
    ErrorCode.UNKNOWN_TRANSPORT: "Transport unknown",
    ErrorCode.UNKNOWN_SID: "Session ID unknown",
    ErrorCode.BAD_HANDSHAKE_METHOD: "Bad handshake method",
    ErrorCode.BAD_REQUEST: "Bad request",
    ErrorCode.FORBIDDEN: "Forbidden",
    ErrorCode.UNSUPPORTED_PROTOCOL_VERSION: "Unsupported protocol version",
}


class SendStatus(IntEnum):
    GONE = 0  # no such open session
    QUEUED = 1  # queued behind output the transport already knows about
    WAKE = 2  # queued into an empty queue: wake the session's transport


@dataclass(frozen=True, slots=True)
class Respond:
    response: HttpResponse
    events: tuple[EngineEvent, ...] = ()


@dataclass(frozen=True, slots=True)
class AwaitPoll:
    session: Session
    events: tuple[EngineEvent, ...] = ()


@dataclass(frozen=True, slots=True)
class AcceptWebSocket:
    session: Session
    ws_id: int
    headers: Headers = ()
    events: tuple[EngineEvent, ...] = ()


Outcome = Respond | AwaitPoll | AcceptWebSocket


def generate_sid() -> str:
    """20 url-safe characters from 15 random bytes."""
    return secrets.token_urlsafe(15)


class EngineCore:
    """All Engine.IO sessions of one server, without I/O (see the module docstring)."""

    def __init__(
        self,
        config: EngineConfig | None = None,
        *,
        id_factory: Callable[[], str] | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self.config = config if config is not None else EngineConfig()
        self._settings = SessionSettings.from_config(self.config)
        self._cors = CorsPolicy(self.config.cors_allowed_origins, self.config.cors_credentials)
        self._id_factory = id_factory if id_factory is not None else generate_sid
        self._log = logger if logger is not None else logging.getLogger("engineio.server")
        self._logged: set[str] = set()
        self._sessions: dict[str, Session] = {}
        self._lingering: dict[str, Session] = {}
        self._heap: list[tuple[float, int, Session]] = []
        self._seq = itertools.count()
        self._ws_ids = itertools.count(1)
        # Broadcasts send one str to many sessions: encode it once.
        self._last_data: str | None = None
        self._last_item = ""

    # -- queries -----------------------------------------------------------------

    @property
    def sessions(self) -> Mapping[str, Session]:
        """Open sessions by sid (closed ones are gone from here)."""
        return self._sessions

    def get(self, sid: str) -> Session | None:
        return self._sessions.get(sid)

    # -- HTTP --------------------------------------------------------------------

    def handle_request(
        self, request: HttpRequest, now: float, *, body_too_large: bool = False
    ) -> Outcome:
        """A plain HTTP request (polling, or preflight). ``body_too_large`` tells that the
        edge stopped reading a body above ``max_http_buffer_size``."""
        if not self._cors.allows(request):
            return Respond(self._reject_origin(request))
        method = request.method
        if method == "OPTIONS":
            return Respond(HttpResponse(204, self._cors.preflight_headers(request)))
        query = request.query
        sid = query.get("sid")
        if method != "GET" and method != "POST":
            code = ErrorCode.BAD_REQUEST if sid else ErrorCode.BAD_HANDSHAKE_METHOD
            return self._error(request, code, f"method {method} not allowed")
        if query.get("EIO") != "4":
            return self._error(
                request, ErrorCode.UNSUPPORTED_PROTOCOL_VERSION, f"EIO={query.get('EIO')}"
            )
        transport = query.get("transport")
        if transport is None or not self.config.transport_enabled(transport):
            return self._error(request, ErrorCode.UNKNOWN_TRANSPORT, f"transport={transport}")
        if not sid:
            if method != "GET":
                return self._error(request, ErrorCode.BAD_HANDSHAKE_METHOD, "handshake by POST")
            if transport != Transport.POLLING:
                return self._error(request, ErrorCode.BAD_REQUEST, "websocket without upgrade")
            return self._handshake_polling(request, now)
        session = self._sessions.get(sid)
        if session is None:
            lingering = self._lingering.get(sid)
            if lingering is not None and transport == Transport.POLLING:
                return Respond(self._lingering_request(lingering, request))
            return self._error(request, ErrorCode.UNKNOWN_SID, f"sid={sid}")
        if transport != session.transport:
            return self._error(request, ErrorCode.BAD_REQUEST, "transport mismatch")
        if method == "GET":
            return self._poll(session, request, now)
        return self._post(session, request, now, body_too_large)

    def _handshake_polling(self, request: HttpRequest, now: float) -> Outcome:
        sid = self._new_sid()
        session = Session(sid, request, Transport.POLLING, self._settings, now)
        self._sessions[sid] = session
        self._schedule(session)
        opened = SessionOpened(sid, request, Transport.POLLING.value)
        item = self._open_item(sid, self.config.upgrades)
        response = self._poll_response([item], request, self._cookie_headers(sid))
        return Respond(response, (opened,))

    def _poll(self, session: Session, request: HttpRequest, now: float) -> Outcome:
        if session.poll_pending:
            # JS engine.io: "overlap from client" is a transport error.
            events = self._close(session, DisconnectReason.TRANSPORT_ERROR, now)
            return self._error(request, ErrorCode.BAD_REQUEST, "overlapping poll", events)
        if session.poll_ready():
            return Respond(
                self._poll_response(
                    session.take_poll_items(self.config.max_packets_per_poll_response), request
                )
            )
        session.begin_poll()
        return AwaitPoll(session)

    def finish_poll(self, session: Session, request: HttpRequest) -> HttpResponse | None:
        """Answer a parked poll; None if there is still nothing to send (keep waiting)."""
        items = session.take_poll_items(self.config.max_packets_per_poll_response)
        if not items:
            return None
        if session.closed:
            self._drop_lingering(session)
        return self._poll_response(items, request)

    def cancel_poll(self, session: Session) -> None:
        """The edge gave up on a parked poll (client went away)."""
        session.cancel_poll()

    def _post(self, session: Session, request: HttpRequest, now: float, too_large: bool) -> Outcome:
        if too_large or len(request.body) > self.config.max_http_buffer_size:
            events = self._close(session, DisconnectReason.TRANSPORT_ERROR, now)
            return self._error(request, ErrorCode.BAD_REQUEST, "payload too large", events, 413)
        try:
            packets = decode_payload(request.body, self.config.max_packets_per_payload)
        except RemoteProtocolError as exc:
            events = self._close(session, DisconnectReason.TRANSPORT_ERROR, now)
            return self._error(request, ErrorCode.BAD_REQUEST, exc.message, events)
        events = session.receive_polling(packets, now)
        if session.closed:
            self._discard(session, now)
            if session.close_reason == DisconnectReason.TRANSPORT_ERROR:
                return self._error(
                    request, ErrorCode.BAD_REQUEST, "unexpected packet type", tuple(events)
                )
        return Respond(self._ok(request), tuple(events))

    def _lingering_request(self, session: Session, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            return self._ok(request)  # JS engine.io ignores data for a closing socket
        items = session.take_poll_items(self.config.max_packets_per_poll_response)
        self._drop_lingering(session)
        return self._poll_response(items, request)

    # -- websocket ---------------------------------------------------------------

    def handle_websocket(self, request: HttpRequest, now: float) -> Respond | AcceptWebSocket:
        """A websocket handshake: a new session, or the probe of a polling session."""
        if not self._cors.allows(request):
            return Respond(self._reject_origin(request))
        query = request.query
        if query.get("EIO") != "4":
            return self._error(
                request, ErrorCode.UNSUPPORTED_PROTOCOL_VERSION, f"EIO={query.get('EIO')}"
            )
        transport = query.get("transport")
        if transport is None or not self.config.transport_enabled(transport):
            return self._error(request, ErrorCode.UNKNOWN_TRANSPORT, f"transport={transport}")
        if transport != Transport.WEBSOCKET:
            return self._error(request, ErrorCode.BAD_REQUEST, "websocket for polling transport")
        sid = query.get("sid")
        ws_id = next(self._ws_ids)
        if not sid:
            sid = self._new_sid()
            session = Session(sid, request, Transport.WEBSOCKET, self._settings, now, ws_id=ws_id)
            session.push(self._open_item(sid, ()))
            self._sessions[sid] = session
            self._schedule(session)
            opened = SessionOpened(sid, request, Transport.WEBSOCKET.value)
            return AcceptWebSocket(session, ws_id, self._cookie_headers(sid), (opened,))
        existing = self._sessions.get(sid)
        if existing is None:
            return self._error(request, ErrorCode.UNKNOWN_SID, f"sid={sid}")
        if not self.config.upgrades:
            return self._error(request, ErrorCode.BAD_REQUEST, "upgrades are disabled")
        if existing.transport is not Transport.POLLING or existing.ws_id is not None:
            return self._error(request, ErrorCode.BAD_REQUEST, "already upgrading or upgraded")
        existing.attach_probe(ws_id, now)
        self._schedule(existing)
        return AcceptWebSocket(existing, ws_id)

    def receive_ws(
        self, session: Session, ws_id: int, data: str | bytes, now: float
    ) -> Sequence[EngineEvent]:
        """One message received on websocket ``ws_id`` of ``session``."""
        events = session.receive_ws(ws_id, data, now)
        if session.state is SessionState.CLOSED and session.sid in self._sessions:
            if session.close_reason == DisconnectReason.TRANSPORT_ERROR:
                self._log_error(
                    "ws-protocol", f"{session.sid}: invalid or oversized websocket message"
                )
            self._discard(session, now)
        return events

    def ws_closed(self, session: Session, ws_id: int, now: float) -> list[EngineEvent]:
        """Websocket ``ws_id`` of ``session`` was closed by the peer or the network."""
        events = session.ws_closed(ws_id, now)
        if session.closed:
            self._discard(session, now)
        return events

    # -- output and close --------------------------------------------------------

    def _encode(self, data: str | bytes) -> OutItem:
        if isinstance(data, str):
            if data is self._last_data:
                return self._last_item
            item = "4" + data
            self._last_data = data
            self._last_item = item
            return item
        return bytes(data)

    def send(self, sid: str, data: str | bytes) -> SendStatus:
        """Queue one MESSAGE packet for ``sid``."""
        session = self._sessions.get(sid)
        if session is None:
            return SendStatus.GONE
        return SendStatus.WAKE if session.push(self._encode(data)) else SendStatus.QUEUED

    def send_many(self, sid: str, messages: Iterable[str | bytes]) -> SendStatus:
        """Queue several MESSAGE packets for ``sid``, contiguous and in order."""
        session = self._sessions.get(sid)
        if session is None:
            return SendStatus.GONE
        items = [self._encode(data) for data in messages]
        return SendStatus.WAKE if session.push_many(items) else SendStatus.QUEUED

    def close(self, sid: str, reason: str, now: float) -> list[EngineEvent]:
        """Close session ``sid`` (no-op if it is not open)."""
        session = self._sessions.get(sid)
        if session is None:
            return []
        return self._close(session, reason, now)

    def close_all(self, reason: str, now: float) -> list[EngineEvent]:
        events: list[EngineEvent] = []
        for session in list(self._sessions.values()):
            events.extend(self._close(session, reason, now))
        return events

    def _close(self, session: Session, reason: str, now: float) -> list[EngineEvent]:
        events = session.close(reason, now)
        self._discard(session, now)
        return events

    def _discard(self, session: Session, now: float) -> None:
        if self._sessions.pop(session.sid, None) is None:
            return
        if session.lingers:
            session.linger_until(now + CLOSE_LINGER)
            self._lingering[session.sid] = session
            session.timer_key = None
            self._schedule(session)
        else:
            session.timer_key = None  # its heap entries are now stale

    def _drop_lingering(self, session: Session) -> None:
        if self._lingering.pop(session.sid, None) is not None:
            session.timer_key = None

    # -- timers ------------------------------------------------------------------

    def _schedule(self, session: Session) -> None:
        deadline = session.next_deadline()
        if deadline is None:
            return
        key = session.timer_key
        if key is not None and key <= deadline:
            return  # the live entry fires first and reschedules then
        session.timer_key = deadline
        heapq.heappush(self._heap, (deadline, next(self._seq), session))

    def next_deadline(self) -> float | None:
        """The earliest time ``handle_timer`` has work to do, or None."""
        heap = self._heap
        while heap:
            deadline, _, session = heap[0]
            if session.timer_key == deadline:
                return deadline
            heapq.heappop(heap)  # stale entry
        return None

    def handle_timer(self, now: float) -> list[EngineEvent]:
        """Run every session timer due at ``now`` (pings, ping/upgrade timeouts, lingering)."""
        events: list[EngineEvent] = []
        heap = self._heap
        while heap and heap[0][0] <= now:
            deadline, _, session = heapq.heappop(heap)
            if session.timer_key != deadline:
                continue
            session.timer_key = None
            fired = session.handle_timer(now)
            if session.closed:
                if session.sid in self._sessions:
                    self._discard(session, now)  # e.g. ping timeout
                elif session.next_deadline() is None:
                    self._lingering.pop(session.sid, None)
                else:
                    self._schedule(session)
            else:
                self._schedule(session)
            if fired:
                events.extend(fired)
        return events

    # -- responses ---------------------------------------------------------------

    def _new_sid(self) -> str:
        for _ in range(10):
            sid = self._id_factory()
            if sid not in self._sessions and sid not in self._lingering:
                return sid
        raise RuntimeError("id_factory keeps returning sids already in use")

    def _open_item(self, sid: str, upgrades: Sequence[str]) -> str:
        handshake = {
            "sid": sid,
            "upgrades": list(upgrades),
            "pingInterval": self.config.advertised_ping_interval_ms,
            "pingTimeout": self.config.advertised_ping_timeout_ms,
            "maxPayload": self.config.max_http_buffer_size,
        }
        return "0" + json.dumps(handshake, separators=(",", ":"))

    def _cookie_headers(self, sid: str) -> Headers:
        cookie = self.config.cookie
        if cookie is None:
            return ()
        attributes: Mapping[str, object] = (
            {"name": cookie, "path": "/", "SameSite": "Lax"} if isinstance(cookie, str) else cookie
        )
        parts = [f"{attributes['name']}={sid}"]
        for key, value in attributes.items():
            if key == "name":
                continue
            if callable(value):
                value = value()
            if value is True:
                parts.append(key)
            elif value is not False and value is not None:
                parts.append(f"{key}={value}")
        return (("Set-Cookie", "; ".join(parts)),)

    def _poll_response(
        self, items: Sequence[OutItem], request: HttpRequest, extra: Headers = ()
    ) -> HttpResponse:
        body = encode_payload(items).encode("utf-8", "replace")
        headers = _POLL_HEADERS
        config = self.config
        if config.http_compression and len(body) >= config.compression_threshold:
            encoding = choose_encoding(request.headers.get("accept-encoding"))
            if encoding is not None:
                body = compress(body, encoding)
                headers += (("Content-Encoding", encoding),)
        headers += (("Content-Length", str(len(body))),)
        return HttpResponse(200, headers + self._cors.headers(request) + extra, body)

    def _ok(self, request: HttpRequest) -> HttpResponse:
        headers: Headers = (("Content-Type", "text/html"), ("Content-Length", "2"))
        return HttpResponse(200, headers + self._cors.headers(request), _OK_BODY)

    def _error(
        self,
        request: HttpRequest,
        code: ErrorCode,
        detail: str,
        events: Sequence[EngineEvent] = (),
        status: int = 400,
    ) -> Respond:
        self._log_error(code.name, f"{_ERROR_MESSAGES[code]} ({detail})")
        message = "Payload too large" if status == 413 else _ERROR_MESSAGES[code]
        body = json.dumps({"code": int(code), "message": message}).encode()
        headers: Headers = (
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
        )
        return Respond(
            HttpResponse(status, headers + self._cors.headers(request), body), tuple(events)
        )

    def _reject_origin(self, request: HttpRequest) -> HttpResponse:
        origin = request.headers.get("origin", "")
        self._log_error("origin", f"{origin} is not an accepted origin.")
        body = json.dumps(
            {"code": int(ErrorCode.BAD_REQUEST), "message": "Not an accepted origin."}
        )
        encoded = body.encode()
        headers: Headers = (
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(encoded))),
        )
        return HttpResponse(400, headers, encoded)

    def _log_error(self, kind: str, message: str) -> None:
        # python-engineio logs the first error of each kind at ERROR, later ones at INFO.
        if kind in self._logged:
            self._log.info(message)
        else:
            self._logged.add(kind)
            self._log.error(message)
