"""socket.io-msgpack-parser's format: each packet is one msgpack map in one binary message.

The map is ``{"type": int, "data": ..., "nsp": "/x", "id": int}`` (``data`` and ``id``
optional; other keys, such as the ``options`` socket.io-client adds, are ignored).
Bytes stay inline, so there are no attachments and no BINARY_* types. Decoding
applies the same payload rules as the text format.

Needs the ``msgpack`` package, imported when the serializer is created.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from runtime.exceptions import RemoteProtocolError
from runtime.socketio.packets import (
    DecodeLimits,
    Packet,
    PacketType,
    check_depth,
    check_outgoing,
    clean_namespace,
    make_packet,
    validate_ack_id,
    validate_payload,
)

__all__ = ["MsgPackDecoder", "MsgPackSerializer"]

Payloads = list[str | bytes]

# socket.io-msgpack-parser only knows CONNECT..CONNECT_ERROR.
_TYPES = tuple(PacketType)[: PacketType.CONNECT_ERROR + 1]
_EVENT_CODE = int(PacketType.EVENT)
_ACK_CODE = int(PacketType.ACK)


def _import_msgpack() -> Any:  # msgpack ships no type information
    try:
        import msgpack
    except ImportError as exc:
        raise ImportError(
            "serializer='msgpack' needs the 'msgpack' package: "
            "pip install msgpack (or sdkgen-socketio[msgpack])"
        ) from exc
    return msgpack


def _remote(message: str) -> RemoteProtocolError:
    return RemoteProtocolError(message, status=400, reason="parse error")


class MsgPackSerializer:
    """The ``'msgpack'`` serializer.

    ``dumps_default`` is called for objects msgpack cannot pack (it may return a
    ``msgpack.ExtType``); ``ext_hook(code, data)`` decodes ext types (default: keep
    them as ``msgpack.ExtType``), as in python-socketio's ``MsgPackPacket.configure``.
    """

    __slots__ = ("_default_ext", "_packb", "_unpackb", "dumps_default", "ext_hook", "limits")

    name = "msgpack"

    def __init__(
        self,
        dumps_default: Callable[[Any], Any] | None = None,
        ext_hook: Callable[[int, bytes], Any] | None = None,
        limits: DecodeLimits | None = None,
    ) -> None:
        msgpack = _import_msgpack()
        self._packb: Callable[..., bytes] = msgpack.packb
        self._unpackb: Callable[..., Any] = msgpack.unpackb
        self.dumps_default = dumps_default
        self.ext_hook: Callable[[int, bytes], Any] = (
            ext_hook if ext_hook is not None else msgpack.ExtType
        )
        self._default_ext = self.ext_hook is msgpack.ExtType
        self.limits = limits or DecodeLimits()

    def __repr__(self) -> str:
        return f"MsgPackSerializer(limits={self.limits!r})"

    def configure(
        self,
        dumps_default: Callable[[Any], Any] | None = None,
        ext_hook: Callable[[int, bytes], Any] | None = None,
    ) -> MsgPackSerializer:
        """A new serializer with these hooks and the same limits (this one is unchanged)."""
        return MsgPackSerializer(dumps_default, ext_hook, self.limits)

    def encode(self, packet: Packet) -> Payloads:
        ptype, data = check_outgoing(packet)
        return [self._pack(int(ptype), packet.namespace, data, packet.id)]

    def encode_event(
        self, namespace: str, event: str, args: Sequence[Any], ack_id: int | None = None
    ) -> Payloads:
        return [self._pack(_EVENT_CODE, namespace, [event, *args], ack_id)]

    def encode_ack(self, namespace: str, ack_id: int, args: Sequence[Any]) -> Payloads:
        return [self._pack(_ACK_CODE, namespace, args, ack_id)]

    def _pack(self, type_code: int, namespace: str, data: Any, ack_id: int | None) -> bytes:
        # No "data" key rather than nil: the JS decoder refuses a nil CONNECT/DISCONNECT.
        if data is None:
            obj: dict[str, Any] = {"type": type_code, "nsp": namespace}
        else:
            obj = {"type": type_code, "data": data, "nsp": namespace}
        if ack_id is not None:
            obj["id"] = ack_id
        return self._packb(obj, default=self.dumps_default, use_bin_type=True)

    def decoder(self) -> MsgPackDecoder:
        return MsgPackDecoder(self)

    def decode(self, message: bytes) -> Packet:
        """Decode one complete message (the format is stateless)."""
        try:
            # raw=False and strict_map_key=True are msgpack's defaults since 1.0, and
            # keyword arguments are costly here: pass ext_hook only when customised.
            if self._default_ext:
                obj = self._unpackb(message)
            else:
                obj = self._unpackb(message, ext_hook=self.ext_hook)
        except Exception as exc:  # msgpack raises many types, ext_hook anything
            raise _remote(f"invalid msgpack packet: {type(exc).__name__}: {exc}") from None
        if type(obj) is not dict:
            raise _remote("a msgpack packet must be a map")
        ptype = obj.get("type")
        if type(ptype) is not int or not 0 <= ptype < len(_TYPES):
            raise _remote(f"unknown packet type {ptype!r:.50}")
        namespace = obj.get("nsp")
        if type(namespace) is not str:
            raise _remote("packet namespace must be a string")
        ack_id = obj.get("id")
        if ack_id is not None:
            ack_id = validate_ack_id(ack_id)
        data = obj.get("data")
        # Nil data counts as absent: python-socketio sends {"data": nil} for no auth.
        has_data = data is not None
        if has_data and len(message) > self.limits.max_depth:
            check_depth(data, self.limits.max_depth)  # each level costs at least one byte
        packet_type = _TYPES[ptype]
        validate_payload(packet_type, data, has_data, ack_id)
        if namespace != "/":
            namespace = clean_namespace(namespace)
        return make_packet(packet_type, namespace, data, ack_id)


class MsgPackDecoder:
    """Per-connection decoder; msgpack packets are self-contained, so never pending."""

    __slots__ = ("_serializer",)

    def __init__(self, serializer: MsgPackSerializer) -> None:
        self._serializer = serializer

    @property
    def pending(self) -> bool:
        return False

    def feed(self, message: str | bytes) -> Packet | None:
        if isinstance(message, str):
            raise _remote("text message received by the msgpack serializer")
        return self._serializer.decode(message)
