"""Engine.IO packet and polling-payload codecs: wire vectors and properties."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runtime.engineio.packets import (
    Packet,
    PacketType,
    decode_polling_segment,
    decode_text,
    decode_ws_frame,
    encode_item,
    polling_segment,
)
from runtime.engineio.payload import decode_payload, encode_payload
from runtime.exceptions import LocalProtocolError, RemoteProtocolError

# (packet, websocket form, polling segment) from the Engine.IO v4 protocol description.
VECTORS = [
    (Packet(PacketType.OPEN, '{"sid":"x"}'), '0{"sid":"x"}', '0{"sid":"x"}'),
    (Packet(PacketType.CLOSE), "1", "1"),
    (Packet(PacketType.PING), "2", "2"),
    (Packet(PacketType.PING, "probe"), "2probe", "2probe"),
    (Packet(PacketType.PONG, "probe"), "3probe", "3probe"),
    (Packet(PacketType.MESSAGE, "hello"), "4hello", "4hello"),
    (Packet(PacketType.MESSAGE, "é€😀"), "4é€😀", "4é€😀"),
    (Packet(PacketType.MESSAGE, b"\x01\x02\x03\x04"), b"\x01\x02\x03\x04", "bAQIDBA=="),
    (Packet(PacketType.MESSAGE, b""), b"", "b"),
    (Packet(PacketType.UPGRADE), "5", "5"),
    (Packet(PacketType.NOOP), "6", "6"),
]


@pytest.mark.parametrize(("packet", "ws", "segment"), VECTORS)
def test_packet_vectors(packet: Packet, ws: str | bytes, segment: str) -> None:
    assert packet.encode() == ws
    assert polling_segment(packet.encode()) == segment
    assert decode_ws_frame(ws) == packet
    assert decode_polling_segment(segment) == packet


def test_all_digit_text_stays_a_string() -> None:
    packet = decode_text("4123")
    assert packet.data == "123"
    assert isinstance(packet.data, str)
    assert decode_payload(b"4123\x1e4007", 10) == [
        Packet(PacketType.MESSAGE, "123"),
        Packet(PacketType.MESSAGE, "007"),
    ]


def test_payload_vector_from_the_protocol() -> None:
    body = "4hello\x1ebAQIDBA==\x1e2"
    packets = [
        Packet(PacketType.MESSAGE, "hello"),
        Packet(PacketType.MESSAGE, b"\x01\x02\x03\x04"),
        Packet(PacketType.PING),
    ]
    assert encode_payload([p.encode() for p in packets]) == body
    assert decode_payload(body.encode(), 10) == packets


@pytest.mark.parametrize(
    "bad",
    ["", "7", "9hello", "xyz", "\x1e"],
)
def test_malformed_text_packets_are_remote_errors(bad: str) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        decode_text(bad)
    assert info.value.reason == "transport error"


@pytest.mark.parametrize("bad", ["b!!!!", "bAQI", "b\u00e9"])
def test_bad_base64_is_a_remote_error(bad: str) -> None:
    with pytest.raises(RemoteProtocolError):
        decode_polling_segment(bad)


def test_non_utf8_payload_is_a_remote_error() -> None:
    with pytest.raises(RemoteProtocolError):
        decode_payload(b"4\xff\xfe", 10)


def test_packet_cap_is_enforced_not_silently_applied() -> None:
    body = "\x1e".join(["4x"] * 17).encode()
    assert len(decode_payload(body, 17)) == 17  # python-engineio would drop this (> 16)
    with pytest.raises(RemoteProtocolError):
        decode_payload(body, 16)


def test_binary_is_only_for_messages() -> None:
    with pytest.raises(LocalProtocolError):
        Packet(PacketType.PING, b"x")
    with pytest.raises(LocalProtocolError):
        encode_item(PacketType.CLOSE, b"x")


message_data = st.one_of(st.text(alphabet=st.characters(blacklist_characters="\x1e")), st.binary())


@given(st.lists(message_data, min_size=1, max_size=20))
def test_payload_round_trip(messages: list[str | bytes]) -> None:
    items = [encode_item(PacketType.MESSAGE, m) for m in messages]
    body = encode_payload(items).encode("utf-8", "surrogatepass")
    decoded = decode_payload(body.decode("utf-8", "surrogatepass"), 100)
    assert [p.data for p in decoded] == messages


@given(message_data)
def test_websocket_round_trip(data: str | bytes) -> None:
    assert decode_ws_frame(encode_item(PacketType.MESSAGE, data)) == Packet(
        PacketType.MESSAGE, data
    )


@given(st.one_of(st.binary(), st.text()))
def test_decoders_only_raise_remote_protocol_errors(raw: bytes | str) -> None:
    for decode in (decode_ws_frame, lambda r: decode_payload(r, 50)):
        with contextlib.suppress(RemoteProtocolError):
            decode(raw)
    if isinstance(raw, str):
        for decode_str in (decode_text, decode_polling_segment):
            with contextlib.suppress(RemoteProtocolError):
                decode_str(raw)
