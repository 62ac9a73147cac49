"""Sans-IO Socket.IO v5: packets and their serializers (JSON text with binary attachments,
and msgpack)."""

from __future__ import annotations

from runtime.socketio.packets import (
    RESERVED_EVENTS,
    DecodeLimits,
    Packet,
    PacketType,
)
from runtime.socketio.serializer import (
    Decoder,
    JsonSerializer,
    Serializer,
    TextDecoder,
    get_serializer,
)

__all__ = [
    "RESERVED_EVENTS",
    "DecodeLimits",
    "Decoder",
    "JsonSerializer",
    "Packet",
    "PacketType",
    "Serializer",
    "TextDecoder",
    "get_serializer",
]
