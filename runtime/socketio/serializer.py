"""Serializers: the ``Serializer``/``Decoder`` protocols, the default text codec, selection.

A serializer turns a packet into the engine MESSAGE payloads that carry it, and
hands out one stateful ``Decoder`` per connection (binary packets span several
engine messages). Two implementations exist: ``JsonSerializer`` (``'default'``,
socket.io-parser's text format with binary attachments) and ``MsgPackSerializer``
(``'msgpack'``, socket.io-msgpack-parser's format), chosen by ``get_serializer``.

Hot path: ``encode_event``/``encode_ack`` build the wire text straight from the
arguments, so a broadcast is encoded once and the same payloads go to every
recipient.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from runtime.exceptions import LocalProtocolError, RemoteProtocolError
from runtime.socketio.binary import deconstruct, has_binary, reconstruct
from runtime.socketio.jsonmod import JsonModule, json_codec
from runtime.socketio.packets import (
    ACK,
    BINARY_ACK,
    BINARY_EVENT,
    EVENT,
    DecodeLimits,
    Packet,
    PacketType,
    check_depth,
    check_outgoing,
    make_packet,
    parse_header,
    validate_payload,
)

__all__ = [
    "Decoder",
    "JsonSerializer",
    "Serializer",
    "TextDecoder",
    "get_serializer",
]

Payloads = list[str | bytes]


@runtime_checkable
class Decoder(Protocol):
    """Per-connection decoder: engine messages in, packets out."""

    def feed(self, message: str | bytes) -> Packet | None:
        """Decode one engine message.

        Returns ``None`` while a binary packet waits for attachments; raises
        ``RemoteProtocolError`` on anything invalid (the connection should be closed).
        """
        ...

    @property
    def pending(self) -> bool:
        """True while attachments are awaited (the server times these out)."""
        ...


@runtime_checkable
class Serializer(Protocol):
    """Encodes packets; creates decoders. Stateless and shareable across connections."""

    @property
    def name(self) -> str:
        """``'default'`` or ``'msgpack'``."""
        ...

    def encode(self, packet: Packet) -> Payloads:
        """The engine MESSAGE payloads for ``packet``, in order.

        EVENT/ACK data holding bytes is sent as BINARY_EVENT/BINARY_ACK.
        """
        ...

    def encode_event(
        self, namespace: str, event: str, args: Sequence[Any], ack_id: int | None = None
    ) -> Payloads:
        """``encode(Packet(EVENT, namespace, [event, *args], ack_id))``, faster."""
        ...

    def encode_ack(self, namespace: str, ack_id: int, args: Sequence[Any]) -> Payloads:
        """``encode(Packet(ACK, namespace, list(args), ack_id))``, faster."""
        ...

    def decoder(self) -> Decoder:
        """A fresh decoder for one connection."""
        ...


def _remote(message: str) -> RemoteProtocolError:
    return RemoteProtocolError(message, status=400, reason="parse error")


class JsonSerializer:
    """socket.io-parser's text format; binary data as attachments."""

    __slots__ = ("_codec", "limits")

    name = "default"

    def __init__(self, json: JsonModule | None = None, limits: DecodeLimits | None = None) -> None:
        self._codec = json_codec(json)
        self.limits = limits or DecodeLimits()

    def __repr__(self) -> str:
        return f"JsonSerializer(limits={self.limits!r})"

    def encode(self, packet: Packet) -> Payloads:
        ptype, data = check_outgoing(packet)
        if ptype is EVENT or ptype is ACK:
            return self._encode_data(ptype, packet.namespace, data, packet.id)
        if has_binary(data):
            raise LocalProtocolError(
                f"{ptype.name} cannot carry binary data", status=500, reason="server error"
            )
        header = _header(str(int(ptype)), packet.namespace, packet.id)
        return [header if data is None else header + self._codec.dumps(data)]

    def encode_event(
        self, namespace: str, event: str, args: Sequence[Any], ack_id: int | None = None
    ) -> Payloads:
        return self._encode_data(EVENT, namespace, [event, *args], ack_id)

    def encode_ack(self, namespace: str, ack_id: int, args: Sequence[Any]) -> Payloads:
        return self._encode_data(ACK, namespace, args, ack_id)

    def _encode_data(
        self, ptype: PacketType, namespace: str, data: Any, ack_id: int | None
    ) -> Payloads:
        codec = self._codec
        if codec.rejects_bytes:
            # Fast path: the C encoder raises on bytes, so no scan is needed when
            # there are none (the common case); otherwise re-encode with attachments.
            try:
                text = codec.dumps(data)
            except TypeError:
                stripped, attachments = deconstruct(data)
                if not attachments:
                    raise  # not bytes: something unserializable
                return self._encode_binary(ptype, namespace, stripped, attachments, ack_id)
        elif has_binary(data):
            return self._encode_binary(ptype, namespace, *deconstruct(data), ack_id)
        else:
            text = codec.dumps(data)
        return [_header("2" if ptype is EVENT else "3", namespace, ack_id) + text]

    def _encode_binary(
        self,
        ptype: PacketType,
        namespace: str,
        stripped: Any,
        attachments: list[bytes],
        ack_id: int | None,
    ) -> Payloads:
        binary_type = BINARY_EVENT if ptype is EVENT else BINARY_ACK
        header = _header(f"{int(binary_type)}{len(attachments)}-", namespace, ack_id)
        out: Payloads = [header + self._codec.dumps(stripped)]
        out.extend(attachments)
        return out

    def decoder(self) -> TextDecoder:
        return TextDecoder(self)

    def _decode_data(self, text: str, start: int) -> Any:
        try:
            data = self._codec.loads(text, start)
        except ValueError as exc:
            raise _remote(f"invalid JSON data: {exc}") from None
        max_depth = self.limits.max_depth
        # Cheap upper bounds first: nesting needs one bracket per level.
        if len(text) - start > max_depth and text.count("[") + text.count("{") > max_depth:
            check_depth(data, max_depth)
        return data


def _header(prefix: str, namespace: str, ack_id: int | None) -> str:
    if namespace != "/":
        prefix = f"{prefix}{namespace},"
    if ack_id is not None:
        prefix = f"{prefix}{ack_id}"
    return prefix


class TextDecoder:
    """Decoder of the text format; holds a binary packet while its attachments arrive."""

    __slots__ = ("_bytes", "_count", "_head", "_parts", "_serializer")

    def __init__(self, serializer: JsonSerializer) -> None:
        self._serializer = serializer
        self._head: Packet | None = None
        self._count = 0
        self._parts: list[bytes] = []
        self._bytes = 0

    @property
    def pending(self) -> bool:
        return self._head is not None

    def feed(self, message: str | bytes) -> Packet | None:
        if not isinstance(message, str):
            return self._feed_binary(message)
        if self._head is not None:
            self._reset()
            raise _remote("text message received while binary attachments are pending")
        serializer = self._serializer
        ptype, attachments, namespace, ack_id, start = parse_header(message, serializer.limits)
        has_data = start < len(message)
        data = serializer._decode_data(message, start) if has_data else None
        validate_payload(ptype, data, has_data, ack_id)
        if attachments < 0:
            return make_packet(ptype, namespace, data, ack_id)
        packet = make_packet(EVENT if ptype is BINARY_EVENT else ACK, namespace, data, ack_id)
        if attachments == 0:
            return self._complete(packet, [])
        self._head = packet
        self._count = attachments
        return None

    def _feed_binary(self, message: bytes) -> Packet | None:
        if self._head is None:
            raise _remote("binary message received when no attachment was expected")
        try:
            return self._feed_attachment(message)
        except RemoteProtocolError:
            self._reset()
            raise

    def _feed_attachment(self, message: bytes) -> Packet | None:
        part = message if type(message) is bytes else bytes(message)
        self._parts.append(part)
        self._bytes += len(part)
        limit = self._serializer.limits.max_attachment_bytes
        if limit is not None and self._bytes > limit:
            raise _remote(f"binary attachments exceed {limit} bytes")
        if len(self._parts) < self._count:
            return None
        head, parts = self._head, self._parts
        assert head is not None
        self._reset()
        return self._complete(head, parts)

    @staticmethod
    def _complete(head: Packet, parts: list[bytes]) -> Packet:
        return make_packet(head.type, head.namespace, reconstruct(head.data, parts), head.id)

    def _reset(self) -> None:
        self._head = None
        self._count = 0
        self._parts = []
        self._bytes = 0


def get_serializer(
    serializer: str | Serializer = "default",
    json: JsonModule | None = None,
    *,
    max_attachments: int = 10_000,
    max_depth: int = 512,
    max_attachment_bytes: int | None = None,
) -> Serializer:
    """The serializer named ``'default'`` or ``'msgpack'``, or ``serializer`` itself.

    ``json`` only applies to ``'default'`` (python-socketio ignores it for msgpack too).
    A ``Serializer`` instance is returned unchanged: configure it directly.
    """
    if not isinstance(serializer, str):
        if not isinstance(serializer, Serializer):
            raise TypeError(f"not a serializer: {serializer!r}")
        return serializer
    limits = DecodeLimits(max_attachments, max_depth, max_attachment_bytes)
    if serializer == "default":
        return JsonSerializer(json, limits)
    if serializer == "msgpack":
        from runtime.socketio.msgpack_codec import MsgPackSerializer

        return MsgPackSerializer(limits=limits)
    raise ValueError(f"unknown serializer {serializer!r}: use 'default' or 'msgpack'")
