"""Events produced by the sans-IO Engine.IO server core.

Two audiences:

* the layer above (Socket.IO): ``SessionOpened``, ``MessageReceived``, ``Upgraded``,
  ``SessionClosed``;
* the I/O edge: ``OutputReady`` (a session has output for its transport, or a parked
  poll request must be answered) and ``CloseWebSocket`` (write what that websocket
  still has to send, then close it).

For one session the core emits ``SessionOpened`` first and ``SessionClosed`` exactly
once, last; transport events for a closing session come before its ``SessionClosed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from runtime.engineio.http import HttpRequest

__all__ = [
    "CloseWebSocket",
    "DisconnectReason",
    "EngineEvent",
    "MessageReceived",
    "OutputReady",
    "SessionClosed",
    "SessionOpened",
    "Upgraded",
]


class DisconnectReason(StrEnum):
    """python-engineio's reason strings (``Server.reason``)."""

    SERVER_DISCONNECT = "server disconnect"
    CLIENT_DISCONNECT = "client disconnect"
    PING_TIMEOUT = "ping timeout"
    TRANSPORT_CLOSE = "transport close"
    TRANSPORT_ERROR = "transport error"


@dataclass(frozen=True, slots=True)
class SessionOpened:
    sid: str
    request: HttpRequest
    transport: str


@dataclass(frozen=True, slots=True)
class MessageReceived:
    sid: str
    data: str | bytes


@dataclass(frozen=True, slots=True)
class Upgraded:
    """The session moved from polling to websocket."""

    sid: str


@dataclass(frozen=True, slots=True)
class SessionClosed:
    sid: str
    reason: str


@dataclass(frozen=True, slots=True)
class OutputReady:
    """The session has something to write: wake its websocket writer or parked poll."""

    sid: str


@dataclass(frozen=True, slots=True)
class CloseWebSocket:
    """Close websocket ``ws_id`` of the session once its pending frames are written."""

    sid: str
    ws_id: int
    code: int = 1000  # websocket close code


EngineEvent = (
    SessionOpened | MessageReceived | Upgraded | SessionClosed | OutputReady | CloseWebSocket
)
