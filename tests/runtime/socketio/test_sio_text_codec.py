"""The default (text + binary attachments) serializer: vectors, rules, malformed input."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sio_helpers import VECTORS, decode_all, vector_packet

from runtime.exceptions import LocalProtocolError, RemoteProtocolError
from runtime.socketio import (
    RESERVED_EVENTS,
    JsonSerializer,
    Packet,
    PacketType,
    get_serializer,
)
from runtime.socketio.packets import MAX_ACK_ID, DecodeLimits, make_packet

CONNECT, DISCONNECT, EVENT, ACK, CONNECT_ERROR = (
    PacketType.CONNECT,
    PacketType.DISCONNECT,
    PacketType.EVENT,
    PacketType.ACK,
    PacketType.CONNECT_ERROR,
)

TEXT_VECTORS = VECTORS["text"]


@pytest.fixture
def ser() -> JsonSerializer:
    return JsonSerializer()


def vector_id(case: dict[str, Any]) -> str:
    return str(case["name"])


# --- reference vectors (socket.io-parser output) -----------------------------------------------


def test_vectors_come_from_the_reference_parser() -> None:
    assert VECTORS["generator"].startswith("socket.io-parser 4.")
    assert all(case["js_decodes"] for case in TEXT_VECTORS)
    assert len(TEXT_VECTORS) >= 15


@pytest.mark.parametrize("case", TEXT_VECTORS, ids=vector_id)
def test_encode_matches_socket_io_parser(ser: JsonSerializer, case: dict[str, Any]) -> None:
    expected = [
        bytes.fromhex(part["$bytes"]) if isinstance(part, dict) else part
        for part in case["encoded"]
    ]
    assert ser.encode(vector_packet(case["packet"])) == expected


@pytest.mark.parametrize("case", TEXT_VECTORS, ids=vector_id)
def test_decode_socket_io_parser_output(ser: JsonSerializer, case: dict[str, Any]) -> None:
    messages = [
        bytes.fromhex(part["$bytes"]) if isinstance(part, dict) else part
        for part in case["encoded"]
    ]
    assert decode_all(ser, messages) == [vector_packet(case["packet"])]


# --- the protocol spec's examples, written out -------------------------------------------------


@pytest.mark.parametrize(
    ("wire", "packet"),
    [
        ("0", Packet(CONNECT)),
        ('0/admin,{"token":"123"}', Packet(CONNECT, "/admin", {"token": "123"})),
        ("1/admin,", Packet(DISCONNECT, "/admin")),
        ('2["hello",1]', Packet(EVENT, "/", ["hello", 1])),
        (
            '2/admin,456["project:delete",123]',
            Packet(EVENT, "/admin", ["project:delete", 123], 456),
        ),
        ("3/admin,456[]", Packet(ACK, "/admin", [], 456)),
        (
            '4{"message":"Not authorized"}',
            Packet(CONNECT_ERROR, "/", {"message": "Not authorized"}),
        ),
    ],
)
def test_spec_examples_round_trip(ser: JsonSerializer, wire: str, packet: Packet) -> None:
    assert ser.encode(packet) == [wire]
    assert ser.decoder().feed(wire) == packet


def test_spec_binary_event(ser: JsonSerializer) -> None:
    packet = Packet(EVENT, "/", ["hello", b"\x01\x02\x03"])
    wire: list[str | bytes] = ['51-["hello",{"_placeholder":true,"num":0}]', b"\x01\x02\x03"]
    assert ser.encode(packet) == wire
    decoder = ser.decoder()
    assert decoder.feed(wire[0]) is None
    assert decoder.pending
    assert decoder.feed(wire[1]) == packet  # BINARY_EVENT is reported as EVENT
    assert not decoder.pending


def test_spec_binary_ack(ser: JsonSerializer) -> None:
    packet = Packet(ACK, "/admin", [b"\xff"], 456)
    wire: list[str | bytes] = ['61-/admin,456[{"_placeholder":true,"num":0}]', b"\xff"]
    assert ser.encode(packet) == wire
    assert decode_all(ser, wire) == [packet]


# --- decoding details ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wire", "packet"),
    [
        ('0/admin?token=abc,{"x":1}', Packet(CONNECT, "/admin", {"x": 1})),
        ("0/admin?token=abc", Packet(CONNECT, "/admin")),
        ("0/admin", Packet(CONNECT, "/admin")),
        ('2/,["x"]', Packet(EVENT, "/", ["x"])),
        ('2 ["x"] \n', Packet(EVENT, "/", ["x"])),  # JSON.parse allows surrounding whitespace
        ('2["x",NaN]', Packet(EVENT, "/", ["x", pytest.approx(float("nan"), nan_ok=True)])),
        ('20["x"]', Packet(EVENT, "/", ["x"], 0)),
        ('2007["x"]', Packet(EVENT, "/", ["x"], 7)),
        (f'2{MAX_ACK_ID}["x"]', Packet(EVENT, "/", ["x"], MAX_ACK_ID)),
        ('2["x","\ud800"]', Packet(EVENT, "/", ["x", "\ud800"])),  # lone surrogate in the text
        ('2["x","\\udc00"]', Packet(EVENT, "/", ["x", "\udc00"])),  # ... or escaped
        ('2/\udfff,["x"]', Packet(EVENT, "/\udfff", ["x"])),
        ('2["x",{"_placeholder":true,"num":0}]', None),  # not binary: left alone
        ('2["x",' + "1" * 100 + "]", Packet(EVENT, "/", ["x", int("1" * 100)])),
        ('4"Unable to connect"', Packet(CONNECT_ERROR, "/", "Unable to connect")),
    ],
)
def test_decode_details(ser: JsonSerializer, wire: str, packet: Packet | None) -> None:
    decoded = ser.decoder().feed(wire)
    if packet is None:
        assert decoded == Packet(EVENT, "/", ["x", {"_placeholder": True, "num": 0}])
    else:
        assert decoded == packet


def test_zero_attachments_complete_at_once(ser: JsonSerializer) -> None:
    decoder = ser.decoder()
    assert decoder.feed('50-["x"]') == Packet(EVENT, "/", ["x"])
    assert decoder.feed("60-1[]") == Packet(ACK, "/", [], 1)
    assert not decoder.pending


def test_nested_binary_and_non_placeholder_dicts(ser: JsonSerializer) -> None:
    wire: list[str | bytes] = [
        '52-["x",{"a":[{"_placeholder":true,"num":1}],"b":{"_placeholder":false},'
        '"c":{"_placeholder":true,"num":0}}]',
        b"zero",
        b"one",
    ]
    assert decode_all(ser, wire) == [
        Packet(EVENT, "/", ["x", {"a": [b"one"], "b": {"_placeholder": False}, "c": b"zero"}])
    ]


def test_attachment_types_become_bytes(ser: JsonSerializer) -> None:
    decoder = ser.decoder()
    decoder.feed('52-["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]')
    decoder.feed(bytearray(b"ba"))  # type: ignore[arg-type]
    packet = decoder.feed(memoryview(b"mv"))  # type: ignore[arg-type]
    assert packet is not None
    assert packet.data == ["x", b"ba", b"mv"]
    assert [type(item) for item in packet.data[1:]] == [bytes, bytes]


def test_decoder_is_reusable_after_packets(ser: JsonSerializer) -> None:
    wire: list[str | bytes] = ['51-["a",{"_placeholder":true,"num":0}]', b"1", '2["b"]', "3/x,5[]"]
    assert decode_all(ser, wire) == [
        Packet(EVENT, "/", ["a", b"1"]),
        Packet(EVENT, "/", ["b"]),
        Packet(ACK, "/x", [], 5),
    ]


def test_decoders_are_independent(ser: JsonSerializer) -> None:
    first, second = ser.decoder(), ser.decoder()
    assert first.feed('51-["a",{"_placeholder":true,"num":0}]') is None
    assert second.feed('2["b"]') == Packet(EVENT, "/", ["b"])
    assert first.feed(b"1") == Packet(EVENT, "/", ["a", b"1"])


def test_decoded_packets_are_ordinary_frozen_packets(ser: JsonSerializer) -> None:
    decoded = ser.decoder().feed('2/a,5["x",1]')
    built = make_packet(EVENT, "/a", ["x", 1], 5)
    for packet in (decoded, built):
        assert packet == Packet(EVENT, "/a", ["x", 1], 5)
        assert type(packet) is Packet
        assert repr(packet) == repr(Packet(EVENT, "/a", ["x", 1], 5))
        with pytest.raises(dataclasses.FrozenInstanceError):
            packet.id = 6  # type: ignore[misc]
    assert hash(make_packet(CONNECT, "/", None, None)) == hash(Packet(CONNECT))


# --- malformed input ---------------------------------------------------------------------------

BAD_SINGLE = [
    ("", "empty packet"),
    ("7", "unknown packet type"),
    ("x", "unknown packet type"),
    ('9["a"]', "unknown packet type"),
    ("5", "attachment count"),
    ('5-["a"]', "attachment count"),
    ('5a-["a"]', "attachment count"),
    ('5\u0661-["a"]', "attachment count"),  # an Arabic-Indic digit is not a digit here
    ('5+1-["a"]', "attachment count"),
    ('5123456-["a"]', "attachment count"),
    ('510001-["a"]', "too many attachments"),
    ('21-["a"]', "attachment count on non-binary"),
    ("2" + "1" * 17 + '["a"]', "ack id too long"),
    (f'2{MAX_ACK_ID + 1}["a"]', "ack id out of range"),
    ('2["a",]', "invalid JSON"),
    ("2[", "invalid JSON"),
    ('2["a"]x', "invalid JSON"),
    ('2["a"]["b"]', "invalid JSON"),
    ('2admin,["a"]', "invalid JSON"),  # a namespace must start with '/'
    ('2["a",' + "1" * 101 + "]", "invalid JSON"),
    ('2["a",-' + "1" * 100 + "]", "invalid JSON"),
    ('2["a",' + "[" * 600 + "]" * 600 + "]", "nested deeper than 512"),
    ('2["a",' + "[" * 100_000 + "]" * 100_000 + "]", "invalid JSON"),  # RecursionError inside
    ('2["a",' + '{"k":' * 600 + "1" + "}" * 600 + "]", "nested deeper than 512"),
    ("2", "EVENT data must be a non-empty array"),
    ("2/admin,", "EVENT data must be a non-empty array"),
    ("2[]", "EVENT data must be a non-empty array"),
    ('2{"a":1}', "EVENT data must be a non-empty array"),
    ('2"a"', "EVENT data must be a non-empty array"),
    ("2null", "EVENT data must be a non-empty array"),
    ("2[1]", "EVENT name must be a string"),
    ("2[null]", "EVENT name must be a string"),
    ("3[]", "ACK without an id"),
    ("31", "ACK data must be an array"),
    ('31{"a":1}', "ACK data must be an array"),
    ("0[]", "CONNECT data must be an object"),
    ('0"token"', "CONNECT data must be an object"),
    ("0null", "CONNECT data must be an object"),
    ("01{}", "CONNECT cannot carry an ack id"),
    ("1{}", "DISCONNECT cannot carry data"),
    ("1/admin,null", "DISCONNECT cannot carry data"),
    ("4", "CONNECT_ERROR data must be an object or a string"),
    ("4[]", "CONNECT_ERROR data must be an object or a string"),
    ("4null", "CONNECT_ERROR data must be an object or a string"),
    ('41"x"', "CONNECT_ERROR cannot carry an ack id"),
    ("51-[]", "EVENT data must be a non-empty array"),
    ('61-{"a":1}', "ACK data must be an array"),
    ("61-[]", "ACK without an id"),
]


@pytest.mark.parametrize(("wire", "message"), BAD_SINGLE)
def test_malformed_text_is_a_remote_error(ser: JsonSerializer, wire: str, message: str) -> None:
    with pytest.raises(RemoteProtocolError, match=message) as info:
        ser.decoder().feed(wire)
    assert info.value.status == 400
    assert info.value.reason == "parse error"


@pytest.mark.parametrize("name", sorted(RESERVED_EVENTS))
def test_reserved_event_names_are_refused(ser: JsonSerializer, name: str) -> None:
    with pytest.raises(RemoteProtocolError, match="reserved event name"):
        ser.decoder().feed(f'2["{name}",1]')
    with pytest.raises(RemoteProtocolError, match="reserved event name"):
        ser.decoder().feed(f'51-["{name}",{{"_placeholder":true,"num":0}}]')


def test_reserved_names_are_exactly_the_js_list() -> None:
    assert {
        "connect",
        "connect_error",
        "disconnect",
        "disconnecting",
        "newListener",
        "removeListener",
    } == RESERVED_EVENTS


PLACEHOLDER = '{"_placeholder":true,"num":%s}'

BAD_BINARY = [
    (['51-["a",' + PLACEHOLDER % 1 + "]", b"x"], "out of range"),
    (['51-["a",' + PLACEHOLDER % -1 + "]", b"x"], "out of range"),
    (['52-["a",' + PLACEHOLDER % 0 + "," + PLACEHOLDER % 0 + "]", b"x", b"y"], "used twice"),
    (['51-["a",' + PLACEHOLDER % '"0"' + "]", b"x"], "exactly"),
    (['51-["a",' + PLACEHOLDER % "true" + "]", b"x"], "exactly"),
    (['51-["a",' + PLACEHOLDER % "0.0" + "]", b"x"], "exactly"),
    (['51-["a",' + PLACEHOLDER % "null" + "]", b"x"], "exactly"),
    (['51-["a",{"_placeholder":true}]', b"x"], "exactly"),
    (['51-["a",{"_placeholder":true,"num":0,"extra":1}]', b"x"], "exactly"),
    (['51-["a",{"_placeholder":true,"nom":0}]', b"x"], "exactly"),
    (['51-["a"]', b"x"], "not referenced"),
    (['52-["a",' + PLACEHOLDER % 0 + "]", b"x", b"y"], "not referenced"),
    (['50-["a",' + PLACEHOLDER % 0 + "]"], "out of range"),
    (['51-["a",' + PLACEHOLDER % 0 + "]", '2["b"]'], "text message received while"),
    (['51-["a",' + PLACEHOLDER % 0 + "]", '51-["b"]'], "text message received while"),
    ([b"x"], "no attachment was expected"),
    (['2["a"]', b"x"], "no attachment was expected"),
    (['51-["a",' + PLACEHOLDER % 0 + "]", b"x", b"y"], "no attachment was expected"),
]


@pytest.mark.parametrize(("messages", "message"), BAD_BINARY)
def test_malformed_binary_is_a_remote_error(
    ser: JsonSerializer, messages: list[str | bytes], message: str
) -> None:
    decoder = ser.decoder()
    with pytest.raises(RemoteProtocolError, match=message):
        for item in messages:
            decoder.feed(item)
    # After an error the decoder is clean: a valid packet still decodes.
    assert not decoder.pending
    assert decoder.feed('2["ok"]') == Packet(EVENT, "/", ["ok"])


def test_limits_are_configurable() -> None:
    ser = get_serializer(max_attachments=2, max_depth=3, max_attachment_bytes=5)
    decoder = ser.decoder()
    with pytest.raises(RemoteProtocolError, match="too many attachments: 3 > 2"):
        decoder.feed('53-["a"]')
    assert decoder.feed('2["a",[[1]]]') == Packet(EVENT, "/", ["a", [[1]]])
    with pytest.raises(RemoteProtocolError, match="nested deeper than 3"):
        decoder.feed('2["a",[[[1]]]]')
    decoder.feed('52-["a",' + PLACEHOLDER % 0 + "," + PLACEHOLDER % 1 + "]")
    decoder.feed(b"abc")
    with pytest.raises(RemoteProtocolError, match="exceed 5 bytes"):
        decoder.feed(b"def")
    assert not decoder.pending


def test_depth_bound_counts_containers() -> None:
    ser = get_serializer(max_depth=512)
    ok = '2["a",' + "[" * 510 + "]" * 510 + "]"  # 511 levels with the event array
    assert ser.decoder().feed(ok) is not None
    ok_dicts = '2["a",' + '{"k":' * 511 + "1" + "}" * 511 + "]"  # 512 levels
    assert ser.decoder().feed(ok_dicts) is not None
    # Brackets inside strings make the cheap pre-check pass to the exact walk, which accepts.
    in_strings = '2["' + "[" * 2000 + '"]'
    assert ser.decoder().feed(in_strings) == Packet(EVENT, "/", ["[" * 2000])


def test_limits_validate_themselves() -> None:
    with pytest.raises(ValueError, match="max_depth"):
        DecodeLimits(max_depth=0)
    with pytest.raises(ValueError, match="max_attachments"):
        DecodeLimits(max_attachments=-1)
    with pytest.raises(ValueError, match="max_attachment_bytes"):
        DecodeLimits(max_attachment_bytes=-1)


# --- encoding ----------------------------------------------------------------------------------


@pytest.mark.parametrize("namespace", ["/", "/chat"])
@pytest.mark.parametrize("ack_id", [None, 0, 42, MAX_ACK_ID])
@pytest.mark.parametrize(
    "args",
    [
        (),
        ("hi",),
        ({"a": [1, 2.5, None, True]}, "é☃😀"),
        (b"\x00", {"k": [bytearray(b"ba"), memoryview(b"mv")]}),
    ],
)
def test_fast_paths_equal_generic_encode(
    ser: JsonSerializer, namespace: str, ack_id: int | None, args: tuple[Any, ...]
) -> None:
    event = ser.encode(Packet(EVENT, namespace, ["ev", *args], ack_id))
    assert ser.encode_event(namespace, "ev", args, ack_id) == event
    assert ser.encode_event(namespace, "ev", list(args), ack_id) == event
    if ack_id is not None:
        ack = ser.encode(Packet(ACK, namespace, list(args), ack_id))
        assert ser.encode_ack(namespace, ack_id, args) == ack
        assert ser.encode_ack(namespace, ack_id, list(args)) == ack


def test_encode_event_examples(ser: JsonSerializer) -> None:
    assert ser.encode_event("/", "hello", [1]) == ['2["hello",1]']
    assert ser.encode_event("/admin", "project:delete", [123], 456) == [
        '2/admin,456["project:delete",123]'
    ]
    assert ser.encode_ack("/admin", 456, []) == ["3/admin,456[]"]
    assert ser.encode_ack("/", 1, [b"\x01"]) == ['61-1[{"_placeholder":true,"num":0}]', b"\x01"]


def test_binary_types_are_demoted_without_bytes(ser: JsonSerializer) -> None:
    assert ser.encode(Packet(PacketType.BINARY_EVENT, "/", ["a"])) == ['2["a"]']
    assert ser.encode(Packet(PacketType.BINARY_ACK, "/", [], 3)) == ["33[]"]
    assert ser.encode(Packet(PacketType.BINARY_EVENT, "/", ["a", b"x"]))[0] == (
        '51-["a",{"_placeholder":true,"num":0}]'
    )


def test_encode_does_not_touch_caller_data(ser: JsonSerializer) -> None:
    buffer = bytearray(b"ab")
    args = [{"buf": buffer, "list": [buffer]}]
    out = ser.encode_event("/", "x", args)
    assert args == [{"buf": bytearray(b"ab"), "list": [bytearray(b"ab")]}]
    buffer[0] = ord("z")  # a queued packet must not change afterwards
    assert out[1:] == [b"ab", b"ab"]
    assert all(type(part) is bytes for part in out[1:])


def test_disconnect_with_data_can_be_sent(ser: JsonSerializer) -> None:
    # python-socketio's always_connect sends DISCONNECT carrying the error (c.8).
    packet = Packet(DISCONNECT, "/a", {"message": "no"})
    assert ser.encode(packet) == ['1/a,{"message":"no"}']


def test_lone_surrogates_are_escaped_on_encode(ser: JsonSerializer) -> None:
    (text,) = ser.encode_event("/", "s", ["a\ud800b", "\udfff", "é😀"])
    assert text == '2["s","a\\ud800b","\\udfff","é😀"]'
    text.encode("utf-8")  # the engine can send it
    assert ser.decoder().feed(text) == Packet(EVENT, "/", ["s", "a\ud800b", "\udfff", "é😀"])


@pytest.mark.parametrize(
    ("packet", "message"),
    [
        (Packet(EVENT, "chat", ["a"]), "invalid namespace"),
        (Packet(EVENT, "/a,b", ["a"]), "invalid namespace"),
        (Packet(EVENT, "/", ["a"], -1), "invalid ack id"),
        (Packet(EVENT, "/", ["a"], MAX_ACK_ID + 1), "invalid ack id"),
        (Packet(EVENT, "/", ["a"], True), "invalid ack id"),
        (Packet(EVENT, "/", []), "EVENT data"),
        (Packet(EVENT, "/", None), "EVENT data"),
        (Packet(EVENT, "/", [1]), "EVENT data"),
        (Packet(ACK, "/", None, 1), "ACK data"),
        (Packet(ACK, "/", []), "ACK needs an id"),
        (Packet(CONNECT_ERROR, "/", None), "CONNECT_ERROR data"),
        (Packet(CONNECT, "/", {"blob": b"x"}), "CONNECT cannot carry binary"),
        (Packet(CONNECT_ERROR, "/", {"blob": [b"x"]}), "CONNECT_ERROR cannot carry binary"),
    ],
)
def test_invalid_outgoing_packets_are_local_errors(
    ser: JsonSerializer, packet: Packet, message: str
) -> None:
    with pytest.raises(LocalProtocolError, match=message):
        ser.encode(packet)


def test_unserializable_data_raises_type_error(ser: JsonSerializer) -> None:
    with pytest.raises(TypeError, match="set is not JSON serializable"):
        ser.encode_event("/", "x", [{1, 2}])
    with pytest.raises(TypeError, match="object is not JSON serializable"):
        ser.encode_event("/", "x", [b"bytes", object()])  # binary path, still bad
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="circular"):
        ser.encode_event("/", "x", [loop])


# --- selection ---------------------------------------------------------------------------------


def test_get_serializer_by_name() -> None:
    default = get_serializer()
    assert default.name == "default"
    assert isinstance(default, JsonSerializer)
    assert get_serializer("msgpack").name == "msgpack"
    with pytest.raises(ValueError, match="unknown serializer 'pickle'"):
        get_serializer("pickle")


def test_get_serializer_passes_instances_through() -> None:
    mine = JsonSerializer(limits=DecodeLimits(max_depth=7))
    assert get_serializer(mine) is mine
    with pytest.raises(TypeError, match="not a serializer"):
        get_serializer(object())  # type: ignore[arg-type]


def test_public_names() -> None:
    import runtime.socketio as package

    public = sorted(name for name in vars(package) if not name.startswith("_"))
    modules = {"annotations", "binary", "jsonmod", "msgpack_codec", "packets", "serializer"}
    assert sorted(package.__all__) == [name for name in public if name not in modules]
    assert isinstance(get_serializer(), package.Serializer)
    assert isinstance(get_serializer().decoder(), package.Decoder)
    assert isinstance(get_serializer("msgpack").decoder(), package.Decoder)


def test_get_serializer_limits() -> None:
    ser = get_serializer(max_attachments=3, max_depth=9, max_attachment_bytes=100)
    assert isinstance(ser, JsonSerializer)
    assert ser.limits == DecodeLimits(3, 9, 100)
