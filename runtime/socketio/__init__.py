"""Sans-IO Socket.IO v5 packet codecs: JSON text with binary attachments, and msgpack.

``get_serializer(name)`` gives a stateless ``Serializer`` (share it); its ``decoder()``
gives the stateful per-connection ``Decoder``.
"""

from __future__ import annotations

from runtime.socketio.jsonmod import JsonModule
from runtime.socketio.msgpack_codec import MsgPackDecoder, MsgPackSerializer
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
    "JsonModule",
    "JsonSerializer",
    "MsgPackDecoder",
    "MsgPackSerializer",
    "Packet",
    "PacketType",
    "Serializer",
    "TextDecoder",
    "get_serializer",
]
