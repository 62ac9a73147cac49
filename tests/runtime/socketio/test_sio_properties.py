"""Property tests: round trips of arbitrary data, and decoders fed arbitrary input."""

from __future__ import annotations

from typing import Any

import msgpack
from hypothesis import given, settings
from hypothesis import strategies as st
from sio_helpers import decode_all, normalized

from runtime.exceptions import RemoteProtocolError
from runtime.socketio import RESERVED_EVENTS, JsonSerializer, Packet, PacketType
from runtime.socketio.msgpack_codec import MsgPackSerializer
from runtime.socketio.packets import MAX_ACK_ID
from runtime.socketio.serializer import Serializer

TEXT = JsonSerializer()
MSGPACK = MsgPackSerializer()
EVENT, ACK = PacketType.EVENT, PacketType.ACK

SURROGATES = st.sampled_from(["\ud800", "\udbff", "\udc00", "\udfff"])


def texts(surrogates: bool, max_size: int = 12) -> st.SearchStrategy[str]:
    alphabet = (
        st.one_of(st.characters(), SURROGATES) if surrogates else st.characters(codec="utf-8")
    )
    return st.text(alphabet, max_size=max_size)


def values(surrogates: bool, binary: bool, int_bits: int) -> st.SearchStrategy[Any]:
    text = texts(surrogates)
    scalars: st.SearchStrategy[Any] = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2 ** (int_bits - 1)), 2 ** (int_bits - 1) - 1),
        st.floats(allow_nan=False, allow_infinity=False),
        text,
    )
    if binary:
        raw = st.binary(max_size=16)
        scalars = scalars | raw | raw.map(bytearray) | raw.map(lambda b: memoryview(b))
    # "_placeholder" keys would be taken for placeholders: a known limit of the format.
    keys = text.filter(lambda key: key != "_placeholder")
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.tuples(inner, inner),
            st.dictionaries(keys, inner, max_size=4),
        ),
        max_leaves=20,
    )


def namespaces(surrogates: bool) -> st.SearchStrategy[str]:
    body = texts(surrogates).filter(lambda ns: "," not in ns and "?" not in ns)
    return st.one_of(st.just("/"), body.map(lambda ns: "/" + ns))


def as_json_sees_it(value: Any) -> Any:
    """Expected data after a JSON round trip.

    Besides ``normalized``: a high and a low surrogate side by side are one UTF-16
    pair in JSON, so they come back as a single astral character (as in JavaScript).
    """

    def join(text: str) -> str:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")

    value = normalized(value)
    if isinstance(value, str):
        return join(value)
    if isinstance(value, list):
        return [as_json_sees_it(item) for item in value]
    if isinstance(value, dict):
        return {join(key): as_json_sees_it(item) for key, item in value.items()}
    return value


ACK_IDS = st.one_of(st.none(), st.integers(0, MAX_ACK_ID))
EVENT_NAMES = texts(True).filter(lambda name: name not in RESERVED_EVENTS)


def check_event_round_trip(
    ser: Serializer, namespace: str, name: str, args: list[Any], ack_id: int | None
) -> list[str | bytes]:
    out = ser.encode_event(namespace, name, args, ack_id)
    assert out == ser.encode(Packet(EVENT, namespace, [name, *args], ack_id))
    expected = Packet(EVENT, namespace, as_json_sees_it([name, *args]), ack_id)
    assert decode_all(ser, out) == [expected]
    return out


@given(namespaces(True), EVENT_NAMES, st.lists(values(True, True, 300), max_size=4), ACK_IDS)
def test_text_event_round_trip(
    namespace: str, name: str, args: list[Any], ack_id: int | None
) -> None:
    out = check_event_round_trip(TEXT, namespace, name, args, ack_id)
    header, attachments = out[0], out[1:]
    assert isinstance(header, str)
    assert all(type(part) is bytes for part in attachments)
    prefix = f"5{len(attachments)}-" if attachments else "2"
    if namespace != "/":
        prefix += namespace + ","
    if ack_id is not None:
        prefix += str(ack_id)
    assert header.startswith(prefix)
    # The JSON part is always UTF-8 encodable (lone surrogates are escaped).
    header[len(prefix) :].encode("utf-8")


@given(namespaces(True), st.integers(0, MAX_ACK_ID), st.lists(values(True, True, 300), max_size=4))
def test_text_ack_round_trip(namespace: str, ack_id: int, args: list[Any]) -> None:
    out = TEXT.encode_ack(namespace, ack_id, args)
    assert out == TEXT.encode(Packet(ACK, namespace, args, ack_id))
    assert decode_all(TEXT, out) == [Packet(ACK, namespace, as_json_sees_it(args), ack_id)]


@given(
    namespaces(True),
    st.one_of(st.none(), st.dictionaries(texts(True), values(True, False, 300), max_size=4)),
)
def test_text_connect_round_trip(namespace: str, auth: dict[str, Any] | None) -> None:
    packet = Packet(PacketType.CONNECT, namespace, auth)
    assert decode_all(TEXT, TEXT.encode(packet)) == [
        Packet(PacketType.CONNECT, namespace, as_json_sees_it(auth))
    ]


@given(
    namespaces(False),
    EVENT_NAMES.filter(lambda n: n.encode("utf-8", "ignore").decode() == n),
    st.lists(values(False, True, 64), max_size=4),
    ACK_IDS,
)
def test_msgpack_event_round_trip(
    namespace: str, name: str, args: list[Any], ack_id: int | None
) -> None:
    (payload,) = check_event_round_trip(MSGPACK, namespace, name, args, ack_id)
    assert type(payload) is bytes


@given(namespaces(False), st.integers(0, MAX_ACK_ID), st.lists(values(False, True, 64), max_size=4))
def test_msgpack_ack_round_trip(namespace: str, ack_id: int, args: list[Any]) -> None:
    out = MSGPACK.encode_ack(namespace, ack_id, args)
    assert decode_all(MSGPACK, out) == [Packet(ACK, namespace, normalized(args), ack_id)]


# --- arbitrary input never raises anything but RemoteProtocolError ---------------------------


def feed_all(ser: Serializer, messages: list[str | bytes]) -> None:
    decoder = ser.decoder()
    for message in messages:
        try:
            packet = decoder.feed(message)
        except RemoteProtocolError:
            assert not decoder.pending  # an error leaves the decoder clean
            continue
        if packet is not None:
            assert isinstance(packet.type, PacketType)
            assert packet.namespace.startswith("/")
            assert packet.id is None or 0 <= packet.id <= MAX_ACK_ID


PROTOCOL_TEXT = st.lists(
    st.one_of(
        st.sampled_from(list('0123456-/,?[]{}":. \\')),
        st.sampled_from(['"_placeholder"', "true", "false", "null", '"num"', '"connect"']),
        st.characters(),
        SURROGATES,
    ),
    max_size=30,
).map("".join)
ANY_MESSAGE = st.one_of(PROTOCOL_TEXT, st.text(max_size=40), st.binary(max_size=40))


@settings(max_examples=300)
@given(st.lists(ANY_MESSAGE, max_size=8))
def test_text_decoder_only_raises_protocol_errors(messages: list[str | bytes]) -> None:
    feed_all(TEXT, messages)


@settings(max_examples=150)
@given(
    EVENT_NAMES,
    st.lists(values(True, True, 300), max_size=3),
    st.lists(st.tuples(st.integers(0, 200), st.integers(0, 2), PROTOCOL_TEXT), max_size=4),
)
def test_mutated_text_packets_only_raise_protocol_errors(
    name: str, args: list[Any], edits: list[tuple[int, int, str]]
) -> None:
    out = TEXT.encode_event("/ns", name, args, 12)
    header = out[0]
    assert isinstance(header, str)
    for position, kind, chunk in edits:
        position %= len(header) + 1
        if kind == 0:
            header = header[:position] + chunk + header[position:]
        elif kind == 1:
            header = header[:position] + header[position + len(chunk) :]
        else:
            header = header[:position] + chunk + header[position + len(chunk) :]
    feed_all(TEXT, [header, *out[1:]])


MSGPACK_FIELDS = st.dictionaries(
    st.sampled_from(["type", "nsp", "data", "id", "options"]),
    st.one_of(
        st.integers(-(2**63), 2**64 - 1),
        st.sampled_from(["/", "/a?b", "x", "connect"]),
        values(False, True, 64),
    ),
)


@settings(max_examples=200)
@given(
    st.lists(
        st.one_of(st.binary(max_size=40), MSGPACK_FIELDS.map(msgpack.packb), st.text()), max_size=6
    )
)
def test_msgpack_decoder_only_raises_protocol_errors(messages: list[str | bytes]) -> None:
    feed_all(MSGPACK, messages)
