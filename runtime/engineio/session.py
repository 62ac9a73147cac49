"""One Engine.IO session as a sans-IO state machine.

The session owns the outgoing queue (encoded packets, see ``packets.OutItem``), the
heartbeat, the polling-to-websocket upgrade and the close rules. It never does I/O
and never reads a clock: every call that depends on time takes ``now``, and timers
are exposed as ``next_deadline()`` / ``handle_timer(now)`` (the aioquic pattern).

States and transitions::

    POLLING --ws attached--> PROBING --"2probe"--> UPGRADING --"5"--> WEBSOCKET
       ^                        |                      |
       +---- probe failed / closed / upgrade timeout --+
    any state --close(reason)--> CLOSED   (exactly once)

A websocket session starts in WEBSOCKET. While probing, output keeps flowing to the
polling transport; once upgraded, everything still queued goes to the websocket, so
no packet is lost or reordered. Websockets are named by ``ws_id`` so that frames from
a websocket the session no longer uses are ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum, auto

from runtime.engineio.config import EngineConfig, Transport
from runtime.engineio.events import (
    CloseWebSocket,
    DisconnectReason,
    EngineEvent,
    MessageReceived,
    OutputReady,
    SessionClosed,
    Upgraded,
)
from runtime.engineio.http import HttpRequest
from runtime.engineio.packets import OutItem, Packet, PacketType, decode_text

__all__ = ["Session", "SessionSettings", "SessionState", "WsCloseCode"]

_NOOP = "6"
_CLOSE = "1"
_PING = "2"
_PROBE_PING = "2probe"
_PROBE_PONG = "3probe"
_UPGRADE = "5"
_NO_EVENTS: tuple[EngineEvent, ...] = ()


class SessionState(Enum):
    POLLING = auto()  # open on long-polling
    PROBING = auto()  # polling; a websocket is attached, waiting for "2probe"
    UPGRADING = auto()  # polling; "3probe" sent, waiting for "5" on the websocket
    WEBSOCKET = auto()  # open on the websocket
    CLOSED = auto()


class WsCloseCode:
    """Websocket close codes the session asks for (RFC 6455 section 7.4.1)."""

    NORMAL = 1000
    PROTOCOL_ERROR = 1002
    TOO_BIG = 1009


@dataclass(frozen=True, slots=True)
class SessionSettings:
    """The numbers a session needs, computed once per server from ``EngineConfig``."""

    ping_interval: float
    ping_timeout: float
    upgrade_timeout: float
    monitor_clients: bool
    max_message_size: int

    @classmethod
    def from_config(cls, config: EngineConfig) -> SessionSettings:
        return cls(
            ping_interval=config.ping_interval_seconds,
            ping_timeout=config.ping_timeout,
            upgrade_timeout=config.upgrade_timeout,
            monitor_clients=config.monitor_clients,
            max_message_size=config.max_http_buffer_size,
        )


def _too_big(data: str | bytes, limit: int) -> bool:
    size = len(data)
    if size > limit:
        return True
    # A str of n characters is at most 4n UTF-8 bytes: only encode when it may matter.
    if isinstance(data, str) and size * 4 > limit:
        return len(data.encode("utf-8", "surrogatepass")) > limit
    return False


class Session:
    """The state of one Engine.IO connection (see the module docstring)."""

    __slots__ = (
        "_last_recv",
        "_linger_deadline",
        "_out",
        "_ping_at",
        "_pong_deadline",
        "_probe_out",
        "_release_poll",
        "_upgrade_deadline",
        "close_reason",
        "poll_pending",
        "request",
        "settings",
        "sid",
        "state",
        "timer_key",
        "transport",
        "ws_id",
    )

    def __init__(
        self,
        sid: str,
        request: HttpRequest,
        transport: Transport,
        settings: SessionSettings,
        now: float,
        *,
        ws_id: int | None = None,
    ) -> None:
        self.sid = sid
        self.request = request
        self.settings = settings
        self.transport = transport
        self.state = (
            SessionState.WEBSOCKET if transport is Transport.WEBSOCKET else SessionState.POLLING
        )
        self.ws_id = ws_id
        self.close_reason: str | None = None
        self.poll_pending = False  # a GET is parked waiting for output
        self.timer_key: float | None = None  # the deadline of this session's live timer entry
        self._out: list[OutItem] = []
        self._probe_out: list[OutItem] = []
        self._release_poll = False  # answer the parked GET even with nothing queued (NOOP)
        self._last_recv = now
        self._ping_at: float | None = now + settings.ping_interval
        self._pong_deadline: float | None = None
        self._upgrade_deadline: float | None = None
        self._linger_deadline: float | None = None

    def __repr__(self) -> str:
        return f"<Session {self.sid} {self.state.name} {self.transport.value}>"

    @property
    def closed(self) -> bool:
        return self.state is SessionState.CLOSED

    # -- output ------------------------------------------------------------------

    def push(self, item: OutItem) -> bool:
        """Queue one encoded packet; True when the queue was empty (the transport needs waking)."""
        out = self._out
        out.append(item)
        return len(out) == 1

    def push_many(self, items: Sequence[OutItem]) -> bool:
        out = self._out
        was_empty = not out
        out.extend(items)
        return was_empty and bool(out)

    @property
    def queued(self) -> int:
        return len(self._out)

    def poll_ready(self) -> bool:
        """Whether a poll request would be answered now rather than parked."""
        return bool(
            self._out
            or self._release_poll
            or self.transport is Transport.WEBSOCKET
            or self.state is SessionState.UPGRADING
            or self.state is SessionState.CLOSED
        )

    def take_poll_items(self, limit: int = 0) -> list[OutItem]:
        """The packets for a poll response, or [] if the poll should keep waiting.

        ``limit`` > 0 caps the packets per response (the rest wait for the next poll)
        except on a closed session, whose final flush is never split.
        """
        if self.transport is Transport.WEBSOCKET:
            # A poll left over from before the upgrade: release it, the data goes to the websocket.
            self.poll_pending = False
            self._release_poll = False
            return [_NOOP]
        out = self._out
        if out:
            if 0 < limit < len(out) and not self.closed:
                out, self._out = out[:limit], out[limit:]
            else:
                self._out = []
        elif self._release_poll or self.state is SessionState.UPGRADING or self.closed:
            # JS engine.io answers a poll with NOOP to let the client pause it for the upgrade,
            # and when the client closed the session.
            out = [_NOOP]
        else:
            return out
        self.poll_pending = False
        self._release_poll = False
        if self.closed:
            self._linger_deadline = None  # the final packets are delivered
        return out

    def take_ws_frames(self, ws_id: int) -> list[OutItem]:
        """Frames for websocket ``ws_id``: the probe replies, or the queue once upgraded."""
        if ws_id != self.ws_id:
            return []
        if self.transport is Transport.WEBSOCKET:
            out = self._out
            if out:
                self._out = []
            return out
        probe = self._probe_out
        if probe:
            self._probe_out = []
        return probe

    # -- input -------------------------------------------------------------------

    def receive_polling(self, packets: Sequence[Packet], now: float) -> list[EngineEvent]:
        """Packets of one POST body (already decoded)."""
        if self.state is SessionState.CLOSED:
            return []
        self._last_recv = now
        events: list[EngineEvent] = []
        for packet in packets:
            kind = packet.type
            if kind is PacketType.MESSAGE:
                events.append(MessageReceived(self.sid, packet.data))
            elif kind is PacketType.PONG:
                self._on_pong(now)
            elif kind is PacketType.CLOSE:
                events.extend(self.close(DisconnectReason.CLIENT_DISCONNECT, now))
                break
            elif kind is PacketType.NOOP or kind is PacketType.UPGRADE:
                continue  # harmless; python-engineio answers UPGRADE on polling with nothing useful
            else:  # OPEN or PING from a client: JS engine.io calls it a transport error
                events.extend(self.close(DisconnectReason.TRANSPORT_ERROR, now))
                break
        return events

    def receive_ws(self, ws_id: int, data: str | bytes, now: float) -> Sequence[EngineEvent]:
        """One websocket message from websocket ``ws_id``."""
        if ws_id != self.ws_id:
            return _NO_EVENTS  # a websocket this session already let go of
        state = self.state
        if state is SessionState.WEBSOCKET:
            self._last_recv = now
            if _too_big(data, self.settings.max_message_size):
                return self._fail(now, WsCloseCode.TOO_BIG)
            if isinstance(data, str):
                if data[:1] == "4":
                    return (MessageReceived(self.sid, data[1:]),)
                return self._control(data, now)
            return (MessageReceived(self.sid, bytes(data)),)
        if state is SessionState.PROBING or state is SessionState.UPGRADING:
            self._last_recv = now
            return self._probe(data)
        return _NO_EVENTS

    def _control(self, text: str, now: float) -> Sequence[EngineEvent]:
        try:
            kind = decode_text(text).type
        except Exception:  # RemoteProtocolError: malformed packet
            return self._fail(now, WsCloseCode.PROTOCOL_ERROR)
        if kind is PacketType.PONG:
            self._on_pong(now)
            return _NO_EVENTS
        if kind is PacketType.CLOSE:
            return self.close(DisconnectReason.CLIENT_DISCONNECT, now)
        if kind is PacketType.NOOP or kind is PacketType.UPGRADE:
            return _NO_EVENTS
        return self._fail(now, WsCloseCode.PROTOCOL_ERROR)  # OPEN/PING from a client

    def _fail(self, now: float, code: int) -> list[EngineEvent]:
        return self.close(DisconnectReason.TRANSPORT_ERROR, now, ws_code=code)

    def _probe(self, data: str | bytes) -> Sequence[EngineEvent]:
        if data == _PROBE_PING:
            self._probe_out.append(_PROBE_PONG)
            self.state = SessionState.UPGRADING
            if self.poll_pending:
                self._release_poll = True  # let the client pause polling
            return (OutputReady(self.sid),)
        if data == _UPGRADE:
            self.state = SessionState.WEBSOCKET
            self.transport = Transport.WEBSOCKET
            self._upgrade_deadline = None
            if self._probe_out:  # replies not yet written go first
                self._out[:0] = self._probe_out
                self._probe_out = []
            if self.poll_pending:
                self._release_poll = True
            return (Upgraded(self.sid), OutputReady(self.sid))
        return self.abort_probe()  # JS engine.io closes a probe that says anything else

    def abort_probe(self) -> list[EngineEvent]:
        """Give up the upgrade: the probe websocket is closed, polling goes on."""
        if self.state is not SessionState.PROBING and self.state is not SessionState.UPGRADING:
            return []
        ws_id = self.ws_id
        self.state = SessionState.POLLING
        self.ws_id = None
        self._upgrade_deadline = None
        self._probe_out = []
        if ws_id is None:
            return []
        return [CloseWebSocket(self.sid, ws_id)]

    def attach_probe(self, ws_id: int, now: float) -> None:
        """A websocket for this polling session arrived: start the upgrade."""
        if self.state is not SessionState.POLLING:
            raise ValueError(f"cannot probe a session in state {self.state.name}")
        self.state = SessionState.PROBING
        self.ws_id = ws_id
        self._upgrade_deadline = now + self.settings.upgrade_timeout

    def ws_closed(self, ws_id: int, now: float) -> list[EngineEvent]:
        """Websocket ``ws_id`` went away (peer close or network failure)."""
        if ws_id != self.ws_id or self.state is SessionState.CLOSED:
            return []
        if self.state is SessionState.WEBSOCKET:
            return self.close(DisconnectReason.TRANSPORT_CLOSE, now)
        self.abort_probe()  # a failed probe; the session stays on polling
        return []

    def begin_poll(self) -> None:
        self.poll_pending = True

    def cancel_poll(self) -> None:
        self.poll_pending = False

    # -- heartbeat and close -----------------------------------------------------

    def _on_pong(self, now: float) -> None:
        self._pong_deadline = None
        self._ping_at = now + self.settings.ping_interval

    def close(
        self, reason: str, now: float, *, ws_code: int = WsCloseCode.NORMAL
    ) -> list[EngineEvent]:
        """Close the session (idempotent). Returns transport events, then ``SessionClosed``.

        What the client gets follows JS engine.io: a server close sends what is queued
        and a CLOSE packet; a ping timeout or transport error drops the queue (polling
        still gets CLOSE); a client close answers a parked poll with NOOP.
        """
        if self.state is SessionState.CLOSED:
            return []
        self.state = SessionState.CLOSED
        self.close_reason = reason
        self._ping_at = self._pong_deadline = self._upgrade_deadline = None
        self._probe_out = []
        on_ws = self.transport is Transport.WEBSOCKET
        if reason == DisconnectReason.SERVER_DISCONNECT:
            self._out.append(_CLOSE)
        elif reason == DisconnectReason.PING_TIMEOUT or reason == DisconnectReason.TRANSPORT_ERROR:
            self._out = [] if on_ws else [_CLOSE]
        else:
            self._out = []
        events: list[EngineEvent] = []
        if self.ws_id is not None:  # the websocket, or the probe of a polling session
            events.append(CloseWebSocket(self.sid, self.ws_id, ws_code))
            if not on_ws:
                self.ws_id = None
        if self.poll_pending or on_ws:
            events.append(OutputReady(self.sid))
        events.append(SessionClosed(self.sid, reason))
        return events

    @property
    def lingers(self) -> bool:
        """Closed on polling with a CLOSE packet that no poll has collected yet."""
        return (
            self.closed
            and not self.poll_pending
            and bool(self._out)
            and (self.transport is Transport.POLLING)
        )

    def linger_until(self, deadline: float) -> None:
        self._linger_deadline = deadline

    def next_deadline(self) -> float | None:
        if self.state is SessionState.CLOSED:
            return self._linger_deadline
        deadline = self._ping_at
        pong = self._pong_deadline
        if pong is not None and (deadline is None or pong < deadline):
            deadline = pong
        upgrade = self._upgrade_deadline
        if upgrade is not None and (deadline is None or upgrade < deadline):
            deadline = upgrade
        return deadline

    def handle_timer(self, now: float) -> list[EngineEvent]:
        """Fire every timer due at ``now``: upgrade timeout, ping timeout, next PING."""
        if self.state is SessionState.CLOSED:
            linger = self._linger_deadline
            if linger is not None and now >= linger:
                self._linger_deadline = None
                self._out = []
            return []
        events: list[EngineEvent] = []
        upgrade = self._upgrade_deadline
        if upgrade is not None and now >= upgrade:
            events.extend(self.abort_probe())
        pong = self._pong_deadline
        if pong is not None and now >= pong:
            # As JS engine.io: any packet received within ping_timeout proves the peer alive.
            alive_until = self._last_recv + self.settings.ping_timeout
            if alive_until > now:
                self._pong_deadline = alive_until
            else:
                events.extend(self.close(DisconnectReason.PING_TIMEOUT, now))
                return events
        ping = self._ping_at
        if ping is not None and now >= ping:
            self._ping_at = None
            if self.settings.monitor_clients:
                self._pong_deadline = now + self.settings.ping_timeout
            if self.push(_PING):
                events.append(OutputReady(self.sid))
        return events
