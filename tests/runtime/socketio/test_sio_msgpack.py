"""The msgpack serializer (socket.io-msgpack-parser format)."""

from __future__ import annotations

import datetime
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import msgpack
import pytest
from sio_helpers import VECTORS, vector_packet

from runtime.exceptions import LocalProtocolError, RemoteProtocolError
from runtime.socketio import Packet, PacketType, get_serializer
from runtime.socketio.msgpack_codec import MsgPackSerializer
from runtime.socketio.packets import MAX_ACK_ID, DecodeLimits

CONNECT, DISCONNECT, EVENT, ACK, CONNECT_ERROR = (
    PacketType.CONNECT,
    PacketType.DISCONNECT,
    PacketType.EVENT,
    PacketType.ACK,
    PacketType.CONNECT_ERROR,
)
MSGPACK_VECTORS = VECTORS["msgpack"]


@pytest.fixture
def ser() -> MsgPackSerializer:
    return MsgPackSerializer()


def pack(obj: Any) -> bytes:
    return msgpack.packb(obj, use_bin_type=True)  # type: ignore[no-any-return]


def vector_id(case: dict[str, Any]) -> str:
    return str(case["name"])


@pytest.mark.parametrize("case", MSGPACK_VECTORS, ids=vector_id)
def test_decode_socket_io_msgpack_parser_output(
    ser: MsgPackSerializer, case: dict[str, Any]
) -> None:
    assert ser.decoder().feed(bytes.fromhex(case["encoded_hex"])) == vector_packet(case["packet"])


@pytest.mark.parametrize(
    "case", [c for c in MSGPACK_VECTORS if "options" not in c["packet"]], ids=vector_id
)
def test_encode_matches_socket_io_msgpack_parser(
    ser: MsgPackSerializer, case: dict[str, Any]
) -> None:
    # Same key order (type, data, nsp, id) gives the same bytes as notepack.io.
    assert ser.encode(vector_packet(case["packet"])) == [bytes.fromhex(case["encoded_hex"])]


def test_client_shape_vector_is_present() -> None:
    shapes = [c for c in MSGPACK_VECTORS if "options" in c["packet"]]
    assert shapes, "the vector file must keep a real socket.io-client packet"


def test_fast_paths_equal_generic_encode(ser: MsgPackSerializer) -> None:
    args = ("a", {"b": b"\x00"}, [1.5, None])
    assert ser.encode_event("/x", "ev", args, 7) == ser.encode(
        Packet(EVENT, "/x", ["ev", *args], 7)
    )
    assert ser.encode_event("/", "ev", list(args)) == ser.encode(Packet(EVENT, "/", ["ev", *args]))
    assert ser.encode_ack("/x", 3, args) == ser.encode(Packet(ACK, "/x", list(args), 3))


def test_bytes_stay_inline_for_every_type(ser: MsgPackSerializer) -> None:
    (payload,) = ser.encode(Packet(CONNECT, "/", {"key": b"\x01\x02"}))
    assert msgpack.unpackb(payload) == {"type": 0, "data": {"key": b"\x01\x02"}, "nsp": "/"}
    (payload,) = ser.encode(Packet(PacketType.BINARY_EVENT, "/", ["x", bytearray(b"b")]))
    assert msgpack.unpackb(payload)["type"] == 2  # no BINARY_* types in this format


def test_absent_data_is_omitted(ser: MsgPackSerializer) -> None:
    # socket.io-msgpack-parser refuses CONNECT/DISCONNECT with data: nil.
    assert ser.encode(Packet(DISCONNECT, "/a")) == [pack({"type": 1, "nsp": "/a"})]


@pytest.mark.parametrize(
    ("obj", "packet"),
    [
        ({"type": 0, "nsp": "/", "data": None}, Packet(CONNECT)),  # python-socketio sends nil
        ({"type": 1, "nsp": "/a", "data": None}, Packet(DISCONNECT, "/a")),
        ({"type": 0, "nsp": "/a?x=1"}, Packet(CONNECT, "/a")),
        ({"type": 2, "nsp": "/", "data": ["e"], "id": None}, Packet(EVENT, "/", ["e"])),
        (
            {"type": 2, "nsp": "/", "data": ["e"], "id": MAX_ACK_ID},
            Packet(EVENT, "/", ["e"], MAX_ACK_ID),
        ),
        ({"type": 4, "nsp": "/", "data": "nope"}, Packet(CONNECT_ERROR, "/", "nope")),
        ({"nsp": "/", "type": 3, "data": [], "id": 0, "x": 1}, Packet(ACK, "/", [], 0)),
    ],
)
def test_decode_details(ser: MsgPackSerializer, obj: dict[str, Any], packet: Packet) -> None:
    assert ser.decoder().feed(pack(obj)) == packet


BAD = [
    (b"", "invalid msgpack"),
    (b"\xc1", "invalid msgpack"),
    (b"\x01\x02", "invalid msgpack"),  # extra data
    (b"\x91" * 100_000, "invalid msgpack"),  # msgpack's own stack limit
    (b"\xa1\xff", "invalid msgpack"),  # invalid UTF-8
    (b"\x81\x90\x01", "invalid msgpack"),  # a list as map key
    (pack([2, "/", ["e"]]), "must be a map"),
    (pack({"type": 5, "nsp": "/", "data": ["e"]}), "unknown packet type"),
    (pack({"type": -1, "nsp": "/"}), "unknown packet type"),
    (pack({"type": "2", "nsp": "/", "data": ["e"]}), "unknown packet type"),
    (pack({"type": True, "nsp": "/"}), "unknown packet type"),
    (pack({"type": 2.0, "nsp": "/", "data": ["e"]}), "unknown packet type"),
    (pack({"nsp": "/", "data": ["e"]}), "unknown packet type"),
    (pack({"type": 2, "data": ["e"]}), "namespace must be a string"),
    (pack({"type": 2, "nsp": None, "data": ["e"]}), "namespace must be a string"),
    (pack({"type": 2, "nsp": b"/", "data": ["e"]}), "namespace must be a string"),
    (pack({"type": 2, "nsp": "chat", "data": ["e"]}), "must start with '/'"),
    (pack({"type": 2, "nsp": "/", "data": ["e"], "id": -1}), "ack id"),
    (pack({"type": 2, "nsp": "/", "data": ["e"], "id": MAX_ACK_ID + 1}), "ack id"),
    (pack({"type": 2, "nsp": "/", "data": ["e"], "id": "1"}), "ack id"),
    (pack({"type": 2, "nsp": "/", "data": ["e"], "id": 1.5}), "ack id"),
    (pack({"type": 2, "nsp": "/", "data": []}), "non-empty array"),
    (pack({"type": 2, "nsp": "/"}), "non-empty array"),
    (pack({"type": 2, "nsp": "/", "data": {"a": 1}}), "non-empty array"),
    (pack({"type": 2, "nsp": "/", "data": [b"e"]}), "name must be a string"),
    (pack({"type": 2, "nsp": "/", "data": ["disconnect"]}), "reserved event name"),
    (pack({"type": 3, "nsp": "/", "data": {}, "id": 1}), "ACK data must be an array"),
    (pack({"type": 3, "nsp": "/", "data": []}), "ACK without an id"),
    (pack({"type": 0, "nsp": "/", "data": []}), "CONNECT data must be an object"),
    (pack({"type": 0, "nsp": "/", "data": {}, "id": 1}), "cannot carry an ack id"),
    (pack({"type": 1, "nsp": "/", "data": {}}), "DISCONNECT cannot carry data"),
    (pack({"type": 4, "nsp": "/"}), "CONNECT_ERROR data"),
    (pack({"type": 4, "nsp": "/", "data": 1}), "CONNECT_ERROR data"),
    (pack({"type": 2, "nsp": "/", "data": ["e", [[[[[[[[[[1]]]]]]]]]]]}), "nested deeper than 10"),
]


@pytest.mark.parametrize(("message", "error"), BAD)
def test_malformed_msgpack_is_a_remote_error(message: bytes, error: str) -> None:
    ser = MsgPackSerializer(limits=DecodeLimits(max_depth=10))
    with pytest.raises(RemoteProtocolError, match=error):
        ser.decoder().feed(message)


def test_text_messages_are_refused(ser: MsgPackSerializer) -> None:
    decoder = ser.decoder()
    with pytest.raises(RemoteProtocolError, match="text message"):
        decoder.feed('2["e"]')
    assert not decoder.pending


def test_depth_bound_default(ser: MsgPackSerializer) -> None:
    deep: Any = 1
    for _ in range(600):
        deep = [deep]
    with pytest.raises(RemoteProtocolError, match="nested deeper than 512"):
        ser.decoder().feed(pack({"type": 2, "nsp": "/", "data": ["e", deep]}))


def test_invalid_outgoing_packets_are_local_errors(ser: MsgPackSerializer) -> None:
    with pytest.raises(LocalProtocolError, match="EVENT data"):
        ser.encode(Packet(EVENT, "/", []))
    with pytest.raises(LocalProtocolError, match="invalid namespace"):
        ser.encode(Packet(CONNECT, "x"))


def encode_datetime(obj: Any) -> Any:
    if isinstance(obj, datetime.datetime):
        return msgpack.ExtType(42, obj.isoformat().encode())
    raise TypeError(f"cannot pack {type(obj).__name__}")


def decode_ext(code: int, data: bytes) -> Any:
    if code == 42:
        return datetime.datetime.fromisoformat(data.decode())
    return msgpack.ExtType(code, data)


def test_configure_custom_ext_types() -> None:
    base = MsgPackSerializer(limits=DecodeLimits(max_depth=20))
    custom = base.configure(dumps_default=encode_datetime, ext_hook=decode_ext)
    assert custom is not base and custom.limits == base.limits
    when = datetime.datetime(2024, 5, 1, 12, 30)
    (payload,) = custom.encode_event("/", "at", [when])
    assert custom.decoder().feed(payload) == Packet(EVENT, "/", ["at", when])
    # The original is unchanged: it cannot pack datetimes and keeps ext types raw.
    with pytest.raises(TypeError):
        base.encode_event("/", "at", [when])
    assert base.decoder().feed(payload) == Packet(
        EVENT, "/", ["at", msgpack.ExtType(42, when.isoformat().encode())]
    )


def test_failing_ext_hook_is_a_remote_error() -> None:
    def refuse(code: int, data: bytes) -> Any:
        raise ValueError("bad ext")

    ser = MsgPackSerializer(ext_hook=refuse)
    payload = pack({"type": 2, "nsp": "/", "data": ["e", msgpack.ExtType(1, b"x")]})
    with pytest.raises(RemoteProtocolError, match="bad ext"):
        ser.decoder().feed(payload)


def test_missing_msgpack_gives_a_clear_error() -> None:
    # A child interpreter where the msgpack import fails.
    code = textwrap.dedent(
        """
        import sys, types
        sys.modules["msgpack"] = None
        if "runtime" not in sys.modules:  # import runtime.socketio without the package root
            pkg = types.ModuleType("runtime")
            pkg.__path__ = [sys.argv[1]]
            sys.modules["runtime"] = pkg
        from runtime.socketio import get_serializer
        get_serializer("default")
        try:
            get_serializer("msgpack")
        except ImportError as exc:
            print(exc)
        """
    )
    root = str(Path(__file__).resolve().parents[3] / "runtime")
    result = subprocess.run(
        [sys.executable, "-c", code, root], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "needs the 'msgpack' package" in result.stdout
    assert "pip install msgpack" in result.stdout


def test_get_serializer_msgpack_gets_limits() -> None:
    ser = get_serializer("msgpack", max_depth=3)
    assert isinstance(ser, MsgPackSerializer)
    assert ser.limits.max_depth == 3
