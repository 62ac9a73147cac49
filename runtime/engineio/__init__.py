"""Engine.IO v4: a sans-IO core (packets, sessions, server core) and its asyncio/ASGI edge."""

from __future__ import annotations

from runtime.engineio.asgi_edge import AsyncEngineServer, EngineHandler
from runtime.engineio.client_session import (
    ClientClosed,
    ClientEvent,
    ClientMessage,
    ClientOpened,
    ClientSession,
    ClientState,
    ClientUpgraded,
)
from runtime.engineio.config import EngineConfig, Transport
from runtime.engineio.core import (
    AcceptWebSocket,
    AwaitPoll,
    EngineCore,
    ErrorCode,
    Outcome,
    Respond,
    SendStatus,
    generate_sid,
)
from runtime.engineio.cors import CorsPolicy
from runtime.engineio.events import (
    CloseWebSocket,
    DisconnectReason,
    EngineEvent,
    MessageReceived,
    OutputReady,
    SessionClosed,
    SessionOpened,
    Upgraded,
)
from runtime.engineio.http import HttpRequest, HttpResponse
from runtime.engineio.packets import Packet, PacketType
from runtime.engineio.payload import decode_payload, encode_payload
from runtime.engineio.session import Session, SessionState

__all__ = [
    "AcceptWebSocket",
    "AsyncEngineServer",
    "AwaitPoll",
    "ClientClosed",
    "ClientEvent",
    "ClientMessage",
    "ClientOpened",
    "ClientSession",
    "ClientState",
    "ClientUpgraded",
    "CloseWebSocket",
    "CorsPolicy",
    "DisconnectReason",
    "EngineConfig",
    "EngineCore",
    "EngineEvent",
    "EngineHandler",
    "ErrorCode",
    "HttpRequest",
    "HttpResponse",
    "MessageReceived",
    "Outcome",
    "OutputReady",
    "Packet",
    "PacketType",
    "Respond",
    "SendStatus",
    "Session",
    "SessionClosed",
    "SessionOpened",
    "SessionState",
    "Transport",
    "Upgraded",
    "decode_payload",
    "encode_payload",
    "generate_sid",
]
