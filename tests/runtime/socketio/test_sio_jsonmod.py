"""JSON handling: the safe default and user-supplied JSON modules."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from runtime.exceptions import RemoteProtocolError
from runtime.socketio import JsonSerializer, Packet, PacketType, get_serializer, jsonmod
from runtime.socketio.jsonmod import JsonModule, json_codec

EVENT = PacketType.EVENT


# --- the module-level drop-in (like engineio.json) ---------------------------------------------


def test_module_loads_refuses_long_integers() -> None:
    assert jsonmod.loads("[" + "9" * 100 + "]") == [int("9" * 100)]
    with pytest.raises(ValueError, match="longer than 100 digits"):
        jsonmod.loads("[" + "9" * 101 + "]")
    assert jsonmod.loads('{"a": 1.5}', parse_float=str) == {"a": "1.5"}  # kwargs pass through


def test_module_dumps_is_stdlib() -> None:
    assert jsonmod.dumps({"a": [1]}, separators=(",", ":")) == '{"a":[1]}'
    assert jsonmod.dumps("é") == '"\\u00e9"'


def test_this_module_and_stdlib_select_the_fast_default() -> None:
    default = json_codec()
    assert json_codec(json) is default
    assert json_codec(jsonmod) is default
    assert default.rejects_bytes


def test_modules_satisfy_the_protocol() -> None:
    assert isinstance(json, JsonModule)
    assert isinstance(jsonmod, JsonModule)
    with pytest.raises(TypeError, match="callable dumps"):
        json_codec(object())  # type: ignore[arg-type]


# --- the default codec -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (["a", 1, 1.5, None, True, False], '["a",1,1.5,null,true,false]'),
        ({"k": {"n": []}}, '{"k":{"n":[]}}'),
        (("t", "u"), '["t","u"]'),
        ("é☃😀\u2028", '"é☃😀\u2028"'),  # like JSON.stringify: no \\u escapes
        ('\x00\x1f"\\', '"\\u0000\\u001f\\"\\\\"'),
        ("\ud800", '"\\ud800"'),
        ("x\udbff\udfffy", '"x\\udbff\\udfffy"'),
        (1e21, "1e+21"),
    ],
)
def test_default_dumps(value: Any, text: str) -> None:
    assert json_codec().dumps(value) == text


def test_default_loads_from_an_offset() -> None:
    codec = json_codec()
    assert codec.loads('2["x"]', 1) == ["x"]
    assert codec.loads('2 ["x"]\t', 1) == ["x"]
    long_text = '2["' + "a" * 200 + '",' + "1" * 100 + "]"
    assert codec.loads(long_text, 1) == ["a" * 200, int("1" * 100)]
    with pytest.raises(ValueError, match="longer than 100 digits"):
        codec.loads("2[" + "1" * 101 + "]", 1)
    with pytest.raises(ValueError, match="Extra data"):
        codec.loads('2["x"]]', 1)
    with pytest.raises(ValueError, match="nested too deeply"):
        codec.loads("[" * 50_000 + "]" * 50_000)


@pytest.mark.parametrize("padding", [0, 200, 5000])  # each size tier of the integer check
def test_default_loads_integer_bound_at_every_size(padding: int) -> None:
    codec = json_codec()
    pad = "é" * padding  # non-ASCII: the long-text check works on UTF-8 bytes
    assert codec.loads(f'["{pad}",{"7" * 100}]') == [pad, int("7" * 100)]
    assert codec.loads(f'["{pad}",-{"7" * 99}]') == [pad, -int("7" * 99)]
    for bad in ("7" * 101, "-" + "7" * 100, "7" * 5000):
        with pytest.raises(ValueError, match="longer than 100 digits"):
            codec.loads(f'["{pad}",{bad}]')
    # Long digit runs inside strings and floats are fine.
    assert codec.loads(f'["{pad}","{"7" * 300}",{"7" * 300}.5]') == [
        pad,
        "7" * 300,
        float("7" * 300 + ".5"),
    ]


def test_default_loads_long_text_with_lone_surrogates() -> None:
    codec = json_codec()
    text = '["' + "\ud800" * 600 + '",' + "1" * 101 + "]"  # raw surrogates in the text
    with pytest.raises(ValueError, match="longer than 100 digits"):
        codec.loads(text)
    assert codec.loads(text.replace("1" * 101, "1")) == ["\ud800" * 600, 1]


# --- user modules ------------------------------------------------------------------------------


class DatetimeJson:
    """A custom module in python-socketio's style: stdlib signature, custom encoder."""

    def __init__(self) -> None:
        self.seen_kwargs: list[dict[str, Any]] = []

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        self.seen_kwargs.append(kwargs)
        return json.dumps(obj, default=self._default, **kwargs)

    @staticmethod
    def _default(obj: Any) -> Any:
        if isinstance(obj, datetime.datetime):
            return obj.isoformat()
        raise TypeError(f"{type(obj).__name__} is not JSON serializable")

    def loads(self, s: str, **kwargs: Any) -> Any:
        return json.loads(s, **kwargs)


class BytesOutJson:
    """orjson-like: ``dumps`` returns bytes and takes no ``separators``."""

    @staticmethod
    def dumps(obj: Any) -> bytes:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()

    @staticmethod
    def loads(s: str | bytes) -> Any:
        return json.loads(s)


class BytesAsTextJson:
    """ujson-like: silently turns bytes into strings, so it cannot be tried first."""

    @staticmethod
    def dumps(obj: Any, **kwargs: Any) -> str:
        def default(value: Any) -> Any:
            if isinstance(value, bytes):
                return value.decode("latin-1")
            raise TypeError(type(value).__name__)

        return json.dumps(obj, default=default, **kwargs)

    @staticmethod
    def loads(s: str) -> Any:
        return json.loads(s)


class ExplodingLoads:
    @staticmethod
    def dumps(obj: Any) -> str:
        return json.dumps(obj)

    @staticmethod
    def loads(s: str) -> Any:
        raise KeyError("parser bug")


def test_custom_module_encodes_custom_types() -> None:
    module = DatetimeJson()
    ser = get_serializer(json=module)
    when = datetime.datetime(2024, 5, 1, 12, 30)
    assert ser.encode_event("/", "at", [when]) == ['2["at","2024-05-01T12:30:00"]']
    # Called with compact separators, like python-socketio does.
    assert module.seen_kwargs[-1] == {"separators": (",", ":")}
    # Configuration is per serializer: the default one is unaffected (no class attribute).
    with pytest.raises(TypeError):
        get_serializer().encode_event("/", "at", [when])
    assert ser.decoder().feed('2["at","x"]') == Packet(EVENT, "/", ["at", "x"])


def test_module_returning_bytes_without_separators() -> None:
    ser = get_serializer(json=BytesOutJson())
    assert ser.encode_event("/", "é", [1]) == ['2["é",1]']
    assert ser.decoder().feed('2["é",1]') == Packet(EVENT, "/", ["é", 1])


def test_bytes_become_attachments_even_if_the_module_accepts_them() -> None:
    ser = get_serializer(json=BytesAsTextJson())
    out = ser.encode_event("/", "up", [b"\x01"])
    assert out == ['51-["up",{"_placeholder":true,"num":0}]', b"\x01"]
    decoder = ser.decoder()
    decoder.feed(out[0])
    assert decoder.feed(out[1]) == Packet(EVENT, "/", ["up", b"\x01"])


def test_custom_module_output_with_surrogates_is_escaped() -> None:
    ser = get_serializer(json=BytesAsTextJson())

    class RawJson:
        @staticmethod
        def dumps(obj: Any) -> str:
            return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))

        @staticmethod
        def loads(s: str) -> Any:
            return json.loads(s)

    raw = get_serializer(json=RawJson()).encode_event("/", "s", ["é\ud800"])
    assert raw == ['2["s","é\\ud800"]']
    assert ser.encode_event("/", "s", ["\ud800"]) == ['2["s","\\ud800"]']  # already escaped


def test_custom_module_failures_are_remote_errors() -> None:
    ser = JsonSerializer(ExplodingLoads())
    with pytest.raises(RemoteProtocolError, match="KeyError"):
        ser.decoder().feed('2["x"]')
    with pytest.raises(RemoteProtocolError, match="invalid JSON"):
        JsonSerializer(BytesOutJson()).decoder().feed('2["x"')


def test_custom_module_depth_is_still_bounded() -> None:
    ser = get_serializer(json=BytesOutJson(), max_depth=4)
    with pytest.raises(RemoteProtocolError, match="nested deeper than 4"):
        ser.decoder().feed('2["x",[[[[1]]]]]')


def test_module_dumps_must_return_text() -> None:
    class Wrong:
        @staticmethod
        def dumps(obj: Any) -> Any:
            return 42

        @staticmethod
        def loads(s: str) -> Any:
            return json.loads(s)

    with pytest.raises(TypeError, match="returned int"):
        get_serializer(json=Wrong()).encode_event("/", "x", [])
