"""Engine.IO v4 packets: the type enum and the single-packet codec.

A text packet is one type digit followed by its data (``"4hello"``). Only MESSAGE
packets carry binary data: on a websocket they travel as a binary frame holding the
raw bytes (no type prefix); inside a polling payload as ``"b"`` + base64.

Outgoing packets are kept *encoded* by the session (see ``OutItem``): a ``str`` is a
complete text packet, ``bytes`` is the data of a binary MESSAGE. That form is ready
for a websocket frame as is, and is turned into a polling segment by
``polling_segment``. Decoding never turns an all-digit text into a number.
"""

from __future__ import annotations

import binascii
from base64 import b64decode, b64encode
from dataclasses import dataclass
from enum import IntEnum

from runtime.exceptions import LocalProtocolError, RemoteProtocolError

__all__ = [
    "OutItem",
    "Packet",
    "PacketType",
    "decode_polling_segment",
    "decode_text",
    "decode_ws_frame",
    "encode_item",
    "polling_segment",
]


class PacketType(IntEnum):
    OPEN = 0
    CLOSE = 1
    PING = 2
    PONG = 3
    MESSAGE = 4
    UPGRADE = 5
    NOOP = 6


# An encoded outgoing packet: a full text packet, or the data of a binary MESSAGE.
OutItem = str | bytes

# Wire digit -> type, indexed by ord(char) - ord("0"); faster than int() + enum lookup.
_TYPES: tuple[PacketType, ...] = tuple(PacketType)
_TRANSPORT_ERROR = "transport error"


@dataclass(frozen=True, slots=True)
class Packet:
    """One decoded Engine.IO packet. ``data`` is bytes only for a binary MESSAGE."""

    type: PacketType
    data: str | bytes = ""

    def __post_init__(self) -> None:
        if isinstance(self.data, bytes) and self.type is not PacketType.MESSAGE:
            raise LocalProtocolError(f"only MESSAGE packets may be binary, not {self.type.name}")

    def encode(self) -> OutItem:
        """The websocket form: a text packet, or the raw bytes of a binary MESSAGE."""
        return encode_item(self.type, self.data)


def encode_item(packet_type: PacketType, data: str | bytes = "") -> OutItem:
    if isinstance(data, str):
        return str(int(packet_type)) + data
    if packet_type is not PacketType.MESSAGE:
        raise LocalProtocolError(f"only MESSAGE packets may be binary, not {packet_type.name}")
    return bytes(data)


def polling_segment(item: OutItem) -> str:
    """One packet of a polling payload (binary data as ``b`` + base64)."""
    if isinstance(item, str):
        return item
    return "b" + b64encode(item).decode("ascii")


def decode_text(text: str) -> Packet:
    """Decode a text packet (a websocket text frame, or a polling segment that is not binary)."""
    if not text:
        raise RemoteProtocolError("empty packet", reason=_TRANSPORT_ERROR)
    index = ord(text[0]) - 48
    if not 0 <= index <= 6:
        raise RemoteProtocolError(f"unknown packet type {text[0]!r}", reason=_TRANSPORT_ERROR)
    return Packet(_TYPES[index], text[1:])


def decode_ws_frame(frame: str | bytes) -> Packet:
    """Decode one websocket message: text is a packet, binary is a MESSAGE's raw data."""
    if isinstance(frame, str):
        return decode_text(frame)
    return Packet(PacketType.MESSAGE, bytes(frame))


def decode_polling_segment(segment: str) -> Packet:
    """Decode one packet of a polling payload (``b`` + base64 is a binary MESSAGE)."""
    if segment[:1] != "b":
        return decode_text(segment)
    try:
        data = b64decode(segment[1:].encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise RemoteProtocolError("invalid base64 binary packet", reason=_TRANSPORT_ERROR) from exc
    return Packet(PacketType.MESSAGE, data)
