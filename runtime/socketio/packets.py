"""Socket.IO v5 packets: the packet model, the payload rules and the text header format.

The text wire format of one packet (socket.io-protocol v5)::

    <type>[<attachments>-][<namespace>,][<ack id>][<JSON data>]

The namespace is omitted when it is ``"/"``; ``<attachments>`` only appears on
BINARY_EVENT / BINARY_ACK, whose binary parts travel as separate engine messages.
This module holds what both serializers share (types, limits, payload validation);
the stateful per-connection decoders live in ``serializer`` and ``msgpack_codec``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from runtime.exceptions import LocalProtocolError, RemoteProtocolError

__all__ = [
    "ACK",
    "BINARY_ACK",
    "BINARY_EVENT",
    "CONNECT",
    "CONNECT_ERROR",
    "DISCONNECT",
    "EVENT",
    "MAX_ACK_ID",
    "RESERVED_EVENTS",
    "DecodeLimits",
    "Packet",
    "PacketType",
    "check_depth",
    "check_outgoing",
    "clean_namespace",
    "make_packet",
    "packet_names",
    "parse_header",
    "validate_ack_id",
    "validate_payload",
]


class PacketType(IntEnum):
    CONNECT = 0
    DISCONNECT = 1
    EVENT = 2
    ACK = 3
    CONNECT_ERROR = 4
    BINARY_EVENT = 5
    BINARY_ACK = 6


# python-socketio's ``socketio.packet`` module exposes these names. The codecs use them
# in hot paths too: ``PacketType.EVENT`` costs an enum attribute lookup on Python 3.11.
CONNECT = PacketType.CONNECT
DISCONNECT = PacketType.DISCONNECT
EVENT = PacketType.EVENT
ACK = PacketType.ACK
CONNECT_ERROR = PacketType.CONNECT_ERROR
BINARY_EVENT = PacketType.BINARY_EVENT
BINARY_ACK = PacketType.BINARY_ACK
packet_names = tuple(t.name for t in PacketType)

# Event names a peer may not send: socket.io-parser's RESERVED_EVENTS.
RESERVED_EVENTS = frozenset(
    {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}
)

# Ack ids must survive a round trip through a JavaScript number.
MAX_ACK_ID = 2**53 - 1
_MAX_ACK_ID_DIGITS = len(str(MAX_ACK_ID))


@dataclass(frozen=True, slots=True)
class Packet:
    """One Socket.IO packet.

    After decoding, binary placeholders are already replaced by ``bytes`` and the
    type is EVENT or ACK (BINARY_EVENT / BINARY_ACK only exist on the wire, as in
    socket.io-parser). For EVENT, ``data`` is ``[event_name, *args]``.
    """

    type: PacketType
    namespace: str = "/"
    data: Any = None
    id: int | None = None


def _make_packet_factory() -> Callable[[PacketType, str, Any, int | None], Packet]:
    # A frozen dataclass __init__ sets each field through object.__setattr__; writing
    # the slots directly builds the same (still frozen) object about twice as fast.
    # Decoders create one Packet per message, so this is on the hot path.
    new = object.__new__
    set_type, set_namespace, set_data, set_id = (
        Packet.__dict__[name].__set__ for name in ("type", "namespace", "data", "id")
    )

    def make_packet(ptype: PacketType, namespace: str, data: Any, ack_id: int | None) -> Packet:
        packet = new(Packet)
        set_type(packet, ptype)
        set_namespace(packet, namespace)
        set_data(packet, data)
        set_id(packet, ack_id)
        return packet

    return make_packet


make_packet = _make_packet_factory()


@dataclass(frozen=True, slots=True)
class DecodeLimits:
    """Bounds applied to everything a peer sends.

    ``max_attachment_bytes`` bounds the bytes buffered for one binary packet while
    its attachments arrive (``None``: only ``max_attachments`` bounds them).
    """

    max_attachments: int = 10_000
    max_depth: int = 512
    max_attachment_bytes: int | None = None

    def __post_init__(self) -> None:
        if self.max_attachments < 0:
            raise ValueError("max_attachments must be >= 0")
        if self.max_depth < 1:
            raise ValueError("max_depth must be >= 1")
        if self.max_attachment_bytes is not None and self.max_attachment_bytes < 0:
            raise ValueError("max_attachment_bytes must be >= 0 or None")


_TYPE_BY_CHAR = {str(int(t)): t for t in PacketType}
_DIGITS = frozenset("0123456789")


def _error(message: str) -> RemoteProtocolError:
    return RemoteProtocolError(message, status=400, reason="parse error")


def _local(message: str) -> LocalProtocolError:
    return LocalProtocolError(message, status=500, reason="server error")


def clean_namespace(namespace: str) -> str:
    """Validate a received namespace and drop its ``?query`` part."""
    if not namespace.startswith("/"):
        raise _error(f"namespace must start with '/': {namespace[:50]!r}")
    query = namespace.find("?")
    return namespace if query == -1 else namespace[:query]


def validate_ack_id(ack_id: object) -> int:
    """Check an ack id taken from a structured (msgpack) packet."""
    if type(ack_id) is not int or not 0 <= ack_id <= MAX_ACK_ID:
        raise _error(f"ack id must be an integer in [0, 2**53): {ack_id!r:.50}")
    return ack_id


def parse_header(text: str, limits: DecodeLimits) -> tuple[PacketType, int, str, int | None, int]:
    """Parse the header of a text packet.

    Returns ``(type, attachments, namespace, ack_id, data_start)``: the JSON data, if
    any, is ``text[data_start:]``. ``attachments`` is -1 for non-binary types.
    """
    size = len(text)
    if size == 0:
        raise _error("empty packet")
    ptype = _TYPE_BY_CHAR.get(text[0])
    if ptype is None:
        raise _error(f"unknown packet type {text[0]!r}")
    i = 1
    attachments = -1
    if ptype >= BINARY_EVENT:
        # Digits, then '-': bound the search so a huge count is never scanned.
        dash = text.find("-", 1, len(str(limits.max_attachments)) + 2)
        count = text[1:dash]
        if dash == -1 or not (count.isascii() and count.isdigit()):
            raise _error("attachment count missing, malformed or too large")
        attachments = int(count)
        if attachments > limits.max_attachments:
            raise _error(f"too many attachments: {attachments} > {limits.max_attachments}")
        i = dash + 1
    namespace = "/"
    if i < size and text[i] == "/":
        comma = text.find(",", i)
        if comma == -1:
            namespace, i = text[i:], size
        else:
            namespace, i = text[i:comma], comma + 1
        query = namespace.find("?")
        if query != -1:
            namespace = namespace[:query]
    ack_id = None
    if i < size and text[i] in _DIGITS:
        end = i + 1
        while end < size and text[end] in _DIGITS:
            end += 1
        if end - i > _MAX_ACK_ID_DIGITS:
            raise _error("ack id too long")
        ack_id = int(text[i:end])
        if ack_id > MAX_ACK_ID:
            raise _error(f"ack id out of range: {ack_id}")
        i = end
        if attachments < 0 and i < size and text[i] == "-":
            raise _error(f"attachment count on non-binary packet type {ptype.name}")
    return ptype, attachments, namespace, ack_id, i


def validate_payload(ptype: PacketType, data: Any, has_data: bool, ack_id: int | None) -> None:
    """Apply socket.io-parser's ``isPayloadValid`` rules (a bit stricter: see below).

    Stricter than the JS parser: an EVENT name must be a string (JS also allows a
    number), EVENT and ACK must carry data, an ACK needs an id, only EVENT and ACK
    may carry one, and CONNECT_ERROR must carry its reason.
    """
    if ptype is EVENT or ptype is BINARY_EVENT:
        if not has_data or not isinstance(data, list) or not data:
            raise _error("EVENT data must be a non-empty array")
        name = data[0]
        if not isinstance(name, str):
            raise _error("EVENT name must be a string")
        if name in RESERVED_EVENTS:
            raise _error(f"reserved event name: {name!r}")
        return
    if ptype is ACK or ptype is BINARY_ACK:
        if not has_data or not isinstance(data, list):
            raise _error("ACK data must be an array")
        if ack_id is None:
            raise _error("ACK without an id")
        return
    if ack_id is not None:
        raise _error(f"{ptype.name} cannot carry an ack id")
    if ptype is CONNECT:
        if has_data and not isinstance(data, dict):
            raise _error("CONNECT data must be an object")
    elif ptype is DISCONNECT:
        if has_data:
            raise _error("DISCONNECT cannot carry data")
    elif not has_data or not isinstance(data, (dict, str)):
        raise _error("CONNECT_ERROR data must be an object or a string")


def check_depth(value: Any, max_depth: int) -> None:
    """Raise if lists/dicts nest deeper than ``max_depth`` (``[1]`` has depth 1).

    Iterative, so hostile input cannot exhaust the Python stack here.
    """
    if not isinstance(value, (list, dict)):
        return
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, (list, dict)):
                if depth >= max_depth:
                    raise _error(f"data nested deeper than {max_depth} levels")
                stack.append((child, depth + 1))


def check_outgoing(packet: Packet) -> tuple[PacketType, Any]:
    """Validate a packet this process wants to send; return (base type, data).

    BINARY_EVENT/BINARY_ACK are accepted as EVENT/ACK: whether attachments are used
    depends on the data, not on the caller.
    """
    ptype = PacketType(packet.type)
    if ptype is BINARY_EVENT:
        ptype = EVENT
    elif ptype is BINARY_ACK:
        ptype = ACK
    namespace = packet.namespace
    if not namespace.startswith("/") or "," in namespace:
        raise _local(f"invalid namespace {namespace!r}: must start with '/', without ','")
    ack_id = packet.id
    if ack_id is not None and (type(ack_id) is not int or not 0 <= ack_id <= MAX_ACK_ID):
        raise _local(f"invalid ack id {ack_id!r}")
    data = packet.data
    if ptype is EVENT:
        if not isinstance(data, (list, tuple)) or not data or not isinstance(data[0], str):
            raise _local("EVENT data must be a non-empty list starting with the event name")
    elif ptype is ACK:
        if not isinstance(data, (list, tuple)):
            raise _local("ACK data must be a list")
        if ack_id is None:
            raise _local("ACK needs an id")
    elif ptype is CONNECT_ERROR and not isinstance(data, (dict, str)):
        raise _local("CONNECT_ERROR data must be a dict or a str")
    return ptype, data
