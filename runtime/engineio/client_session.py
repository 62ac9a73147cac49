"""A sans-IO Engine.IO v4 *client* session: the mirror of ``session.Session``.

The driver performs the requests; this object decides what they are and interprets
the answers. Polling: ``poll_query()`` gives the query of the next GET (None while
polling must pause), ``take_post_body()`` the body of the next POST. Websocket:
``take_ws_frames()`` gives the frames to write, ``receive_ws()`` takes what arrives.
Upgrade (as engine.io-client does it): open a websocket with ``ws_query()``, call
``start_upgrade()`` (queues ``2probe``); on ``3probe`` the client pauses polling and,
once no request is in flight, sends ``5`` and moves to the websocket. Messages sent
meanwhile wait, so nothing is reordered.

Time is passed in as ``now``; a server that stops pinging for longer than
``pingInterval + pingTimeout`` closes the session with reason ``ping timeout``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum, auto
from urllib.parse import urlencode

from runtime.engineio.packets import OutItem, Packet, PacketType, decode_ws_frame
from runtime.engineio.payload import decode_payload, encode_payload
from runtime.exceptions import LocalProtocolError, RemoteProtocolError

__all__ = [
    "ClientClosed",
    "ClientEvent",
    "ClientMessage",
    "ClientOpened",
    "ClientSession",
    "ClientState",
    "ClientUpgraded",
]


class ClientState(Enum):
    CONNECTING = auto()  # waiting for the OPEN packet
    OPEN = auto()
    PROBING = auto()  # "2probe" sent on a websocket, waiting for "3probe"
    UPGRADING = auto()  # probe answered: polling paused, "5" not yet sent
    CLOSED = auto()


@dataclass(frozen=True, slots=True)
class ClientOpened:
    sid: str
    upgrades: tuple[str, ...]
    ping_interval: float  # seconds
    ping_timeout: float
    max_payload: int


@dataclass(frozen=True, slots=True)
class ClientMessage:
    data: str | bytes


@dataclass(frozen=True, slots=True)
class ClientUpgraded:
    pass


@dataclass(frozen=True, slots=True)
class ClientClosed:
    reason: str


ClientEvent = ClientOpened | ClientMessage | ClientUpgraded | ClientClosed


class ClientSession:
    """One client-side Engine.IO connection (see the module docstring)."""

    def __init__(
        self, *, transport: str = "polling", query: Mapping[str, str] | None = None
    ) -> None:
        if transport not in ("polling", "websocket"):
            raise LocalProtocolError(f"unknown transport {transport!r}")
        self.transport = transport
        self.state = ClientState.CONNECTING
        self.sid: str | None = None
        self.handshake: ClientOpened | None = None
        self.close_reason: str | None = None
        self._query = dict(query or {})
        self._out: list[OutItem] = []  # for the current transport
        self._probe_out: list[OutItem] = []
        self._poll_in_flight = False
        self._post_in_flight = False
        self._ping_deadline: float | None = None

    @property
    def closed(self) -> bool:
        return self.state is ClientState.CLOSED

    # -- requests ------------------------------------------------------------------

    def _make_query(self, transport: str, with_sid: bool) -> str:
        params = dict(self._query)
        params.update({"EIO": "4", "transport": transport})
        if with_sid and self.sid is not None:
            params["sid"] = self.sid
        return urlencode(params)

    def handshake_query(self) -> str:
        """Query string of the first request (a GET, or the websocket handshake)."""
        return self._make_query(self.transport, with_sid=False)

    def ws_query(self) -> str:
        """Query string of the websocket that will probe an upgrade."""
        return self._make_query("websocket", with_sid=True)

    def poll_query(self) -> str | None:
        """Query of the next poll GET, or None if the client must not poll now."""
        if (
            self.transport != "polling"
            or self.state not in (ClientState.OPEN, ClientState.PROBING)
            or self._poll_in_flight
        ):
            return None
        self._poll_in_flight = True
        return self._make_query("polling", with_sid=True)

    def post_query(self) -> str:
        return self._make_query("polling", with_sid=True)

    def take_post_body(self) -> bytes | None:
        """Body of the next POST, or None (nothing to send, or one is in flight)."""
        if (
            self.transport != "polling"
            or not self._out
            or self._post_in_flight
            or self.state is ClientState.UPGRADING
        ):
            return None
        items, self._out = self._out, []
        self._post_in_flight = True
        return encode_payload(items).encode("utf-8")

    def post_done(self, now: float) -> list[ClientEvent]:
        """The POST was answered (its status does not matter to the protocol)."""
        self._post_in_flight = False
        return self._maybe_finish_upgrade()

    def take_ws_frames(self) -> list[OutItem]:
        """Frames to write on the websocket (probe frames while upgrading)."""
        if self.transport == "websocket":
            out, self._out = self._out, []
            return out
        probe, self._probe_out = self._probe_out, []
        return probe

    # -- output ----------------------------------------------------------------------

    def send(self, data: str | bytes) -> None:
        if self.state is ClientState.CLOSED:
            raise LocalProtocolError("the session is closed")
        self._out.append("4" + data if isinstance(data, str) else bytes(data))

    def start_upgrade(self) -> None:
        """A websocket (``ws_query()``) is open: probe it."""
        if self.state is not ClientState.OPEN or self.transport != "polling":
            raise LocalProtocolError(f"cannot upgrade in state {self.state.name}")
        self.state = ClientState.PROBING
        self._probe_out.append("2probe")

    def close(self) -> list[ClientEvent]:
        """Close from this side: a CLOSE packet goes out on the current transport."""
        if self.state is ClientState.CLOSED:
            return []
        self._out.append("1")
        return self._closed("client disconnect")

    # -- input -----------------------------------------------------------------------

    def receive_poll_response(self, body: bytes, now: float) -> list[ClientEvent]:
        """The body of a GET (the handshake response or a poll)."""
        self._poll_in_flight = False
        if self.state is ClientState.CLOSED:
            return []
        try:
            packets = decode_payload(body, 1_000_000)
        except RemoteProtocolError:
            return self._closed("transport error")
        events: list[ClientEvent] = []
        for packet in packets:
            events.extend(self._on_packet(packet, now))
            if self.closed:
                return events
        events.extend(self._maybe_finish_upgrade())
        return events

    def receive_ws(self, frame: str | bytes, now: float) -> list[ClientEvent]:
        """One websocket message (on the main websocket or on the upgrade probe)."""
        if self.state is ClientState.CLOSED:
            return []
        if self.transport == "polling":
            if self.state is ClientState.PROBING and frame == "3probe":
                self.state = ClientState.UPGRADING
                return self._maybe_finish_upgrade()
            return self.abort_upgrade()
        try:
            packet = decode_ws_frame(frame)
        except RemoteProtocolError:
            return self._closed("transport error")
        return self._on_packet(packet, now)

    def ws_closed(self, now: float) -> list[ClientEvent]:
        if self.state is ClientState.CLOSED:
            return []
        if self.transport == "websocket":
            return self._closed("transport close")
        return self.abort_upgrade()

    def abort_upgrade(self) -> list[ClientEvent]:
        """The probe failed: stay on polling."""
        if self.state in (ClientState.PROBING, ClientState.UPGRADING):
            self.state = ClientState.OPEN
            self._probe_out = []
        return []

    def _on_packet(self, packet: Packet, now: float) -> list[ClientEvent]:
        kind = packet.type
        if self.state is ClientState.CONNECTING:
            if kind is not PacketType.OPEN:
                return self._closed("transport error")
            return self._on_open(packet, now)
        if kind is PacketType.MESSAGE:
            return [ClientMessage(packet.data)]
        if kind is PacketType.PING:
            self._out.append("3" + str(packet.data))
            self._arm_ping_timer(now)
            return []
        if kind is PacketType.CLOSE:
            return self._closed("transport close")
        if kind is PacketType.NOOP:
            return []
        return self._closed("transport error")

    def _on_open(self, packet: Packet, now: float) -> list[ClientEvent]:
        try:
            info = json.loads(packet.data)
            opened = ClientOpened(
                sid=str(info["sid"]),
                upgrades=tuple(info.get("upgrades", ())),
                ping_interval=info["pingInterval"] / 1000,
                ping_timeout=info["pingTimeout"] / 1000,
                max_payload=int(info.get("maxPayload", 0)),
            )
        except (ValueError, KeyError, TypeError):
            return self._closed("transport error")
        self.sid = opened.sid
        self.handshake = opened
        self.state = ClientState.OPEN
        self._arm_ping_timer(now)
        return [opened]

    def _maybe_finish_upgrade(self) -> list[ClientEvent]:
        if self.state is not ClientState.UPGRADING or self._poll_in_flight or self._post_in_flight:
            return []
        # Polling is paused and idle: switch. Anything queued meanwhile follows "5".
        self.transport = "websocket"
        self.state = ClientState.OPEN
        self._out = [*self._probe_out, "5", *self._out]
        self._probe_out = []
        return [ClientUpgraded()]

    def _arm_ping_timer(self, now: float) -> None:
        handshake = self.handshake
        if handshake is not None:
            self._ping_deadline = now + handshake.ping_interval + handshake.ping_timeout

    def _closed(self, reason: str) -> list[ClientEvent]:
        self.state = ClientState.CLOSED
        self.close_reason = reason
        self._ping_deadline = None
        return [ClientClosed(reason)]

    # -- timers ----------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        return self._ping_deadline

    def handle_timer(self, now: float) -> list[ClientEvent]:
        deadline = self._ping_deadline
        if deadline is None or now < deadline or self.state is ClientState.CLOSED:
            return []
        return self._closed("ping timeout")

    @property
    def pending_output(self) -> Sequence[OutItem]:
        return tuple(self._out)
