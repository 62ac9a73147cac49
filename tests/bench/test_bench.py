"""Tests of the benchmark's own pieces: wire codecs, client parsing, report arithmetic.

Not collected by default (``--ignore=tests/bench``); run them with
``python -m pytest -o addopts="" tests/bench``.
"""

from __future__ import annotations

import asyncio
import itertools
import struct
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.bench import report
from tests.bench.run import merge_runs
from tests.bench.wire import (
    WS_ACCEPT,
    HttpResponseReader,
    Opcode,
    client_frame,
    client_text,
    frame_size,
    next_frame,
    parse_ack_id,
    server_frame,
    split_payload,
)
from tests.bench.wsclient import WsSioClient

sizes = st.sampled_from([0, 1, 125, 126, 127, 65535, 65536, 70000]) | st.integers(0, 3000)


def chunks(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


@given(size=sizes, opcode=st.sampled_from([Opcode.TEXT, Opcode.BINARY]))
def test_client_frame_round_trip(size: int, opcode: Opcode) -> None:
    payload = bytes(i % 251 for i in range(size))
    frame = client_frame(opcode, payload)
    assert next_frame(frame, 0) == (0x80 | opcode, payload, len(frame))
    assert next_frame(b"xx" + frame, 2) == (0x80 | opcode, payload, len(frame) + 2)


@given(size=sizes)
def test_server_frame_round_trip_and_prefixes_are_incomplete(size: int) -> None:
    payload = bytes(i % 7 for i in range(size))
    frame = server_frame(Opcode.BINARY, payload)
    assert next_frame(frame, 0) == (0x82, payload, len(frame))
    for cut in {0, 1, 2, 3, len(frame) // 2, len(frame) - 1}:
        if 0 <= cut < len(frame):
            assert next_frame(frame[:cut], 0) is None


@given(size=sizes, masked=st.booleans())
def test_frame_size_is_exact_once_the_header_is_complete(size: int, masked: bool) -> None:
    payload = bytes(size)
    frame = client_frame(Opcode.BINARY, payload) if masked else server_frame(Opcode.BINARY, payload)
    header = len(frame) - size
    for cut in {*range(min(len(frame), 20) + 1), len(frame) - 1, len(frame)}:
        got = frame_size(frame[:cut], 0)
        assert (
            got == len(frame) if cut >= header - (4 if masked else 0) else cut < got <= len(frame)
        )


@given(payload=st.binary(max_size=300), mask=st.binary(min_size=4, max_size=4))
def test_masked_frames_are_unmasked(payload: bytes, mask: bytes) -> None:
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    n = len(payload)
    head = bytes((0x81, 0x80 | n)) if n < 126 else struct.pack("!BBH", 0x81, 0xFE, n)
    frame = head + mask + masked
    assert next_frame(frame, 0) == (0x81, payload, len(frame))


@given(payload=st.binary(max_size=400))
def test_client_text_equals_client_frame(payload: bytes) -> None:
    assert client_text(payload) == client_frame(Opcode.TEXT, payload)


def test_parse_ack_id_and_payload_split() -> None:
    assert parse_ack_id(b'4312345[{"a":1}]', 2) == (12345, 7)
    assert parse_ack_id(b"461-7[1]", 4) == (7, 5)
    assert split_payload(b"2\x1e431[1]\x1e6") == [b"2", b"431[1]", b"6"]
    assert split_payload(b"") == []


def _http(body: bytes, chunked: bool) -> bytes:
    if not chunked:
        return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
    out = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
    for i in range(0, len(body), 5):
        part = body[i : i + 5]
        out += b"%x\r\n%s\r\n" % (len(part), part)
    return out + b"0\r\n\r\n"


@given(
    bodies=st.lists(st.tuples(st.binary(max_size=40), st.booleans()), min_size=1, max_size=5),
    cuts=st.lists(st.integers(0, 10_000), max_size=8),
)
def test_http_reader_any_split(bodies: list[tuple[bytes, bool]], cuts: list[int]) -> None:
    stream = b"".join(_http(body, chunked) for body, chunked in bodies)
    reader = HttpResponseReader()
    got = [resp for piece in chunks(stream, cuts) for resp in reader.feed(piece)]
    assert got == [(200, body) for body, _ in bodies]


class _Transport(asyncio.Transport):
    """In-memory transport: records what the client writes."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default


class _Recorder(WsSioClient):
    def __init__(self) -> None:
        super().__init__("127.0.0.1", 1)
        self.acks: list[tuple[int, bytes]] = []
        self.binary: list[tuple[int, bytes, list[bytes]]] = []
        self.events: list[bytes] = []

    def on_ack(self, ack_id: int, args: bytes) -> None:
        self.acks.append((ack_id, args))

    def on_event(self, packet: bytes) -> None:
        self.events.append(packet)

    def on_binary_ack(self, ack_id: int, args: bytes, attachments: list[bytes]) -> None:
        self.binary.append((ack_id, args, attachments))


SERVER_STREAM = (
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Accept: "
    + WS_ACCEPT
    + b"\r\n\r\n"
    + server_frame(Opcode.TEXT, b'0{"sid":"x","pingInterval":25000}')
    + server_frame(Opcode.TEXT, b'40{"sid":"y"}')
    + server_frame(Opcode.TEXT, b"2")
    + server_frame(Opcode.TEXT, b'431[{"text":"hello"}]')
    + server_frame(Opcode.TEXT, b'42["tick",3]')
    + server_frame(Opcode.TEXT, b'461-2[{"_placeholder":true,"num":0}]')
    + server_frame(Opcode.BINARY, bytes(70_000))
    + server_frame(Opcode.TEXT, b"43" + b"9" * 3 + b"[" + b"x" * 300 + b"]")
)


@given(cuts=st.lists(st.integers(0, 100_000), max_size=10))
def test_ws_client_parses_any_split(cuts: list[int]) -> None:
    async def scenario() -> _Recorder:
        client = _Recorder()
        transport = _Transport()
        client.connection_made(transport)
        for piece in chunks(SERVER_STREAM, cuts):
            client.data_received(piece)
        assert client.connected.done() and not transport.closed
        sent = b"".join(transport.written)
        assert client_text(b"40") in sent and client_text(b"3") in sent  # CONNECT, pong
        return client

    client = asyncio.run(scenario())
    assert client.acks == [(1, b'[{"text":"hello"}]'), (999, b"[" + b"x" * 300 + b"]")]
    assert client.events == [b'42["tick",3]']
    assert client.binary == [(2, b'[{"_placeholder":true,"num":0}]', [bytes(70_000)])]


def test_ws_client_refuses_a_bad_upgrade() -> None:
    async def scenario() -> None:
        client = WsSioClient("127.0.0.1", 1)
        client.connection_made(_Transport())
        client.data_received(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
        assert client.connected.done() and client.connected.exception() is not None

    asyncio.run(scenario())


def _ok(**metrics: float) -> dict[str, Any]:
    return {"status": "ok", "metrics": metrics}


def _row(rows: list[dict[str, Any]], scenario: str, metric: str) -> dict[str, Any]:
    return next(r for r in rows if r["scenario"] == scenario and r["metric"] == metric)


def test_compare_folds_direction_into_gain_and_targets() -> None:
    results: report.Results = {
        "echo_d1": {"python-socketio": _ok(msgs_per_s=1000.0), "runtime": _ok(msgs_per_s=3500.0)},
        "idle_memory": {
            "python-socketio": _ok(kib_per_conn=40.0),
            "runtime": _ok(kib_per_conn=25.0),
        },
        "broadcast": {
            "python-socketio": {"status": "timeout", "metrics": {"delivered_fraction": 0.5}},
            "runtime": _ok(time_s=2.0),
        },
    }
    rows = report.compare(results)
    echo = _row(rows, "echo_d1", "msgs_per_s")
    assert (echo["ratio"], echo["gain"], echo["target_met"]) == (3.5, 3.5, True)
    mem = _row(rows, "idle_memory", "kib_per_conn")
    assert mem["ratio"] == 0.625 and mem["gain"] == 1.6 and mem["target_met"] is False
    bcast = _row(rows, "broadcast", "time_s")
    assert bcast["ratio"] is None and bcast["cells"]["python-socketio"] == "TIMEOUT (50% got)"
    table = report.render(rows, with_floor=False, with_ceiling=False)
    assert "3.50x better" in table and "1.60x better" in table and "ratio <= 0.5 MISSED" in table


def test_merge_runs_takes_medians_of_successful_runs() -> None:
    runs = [_ok(x=1.0), _ok(x=9.0), _ok(x=3.0), {"status": "error", "metrics": {}}]
    merged = merge_runs(runs)
    assert merged["status"] == "ok" and merged["metrics"] == {"x": 3.0}
    assert merge_runs([_ok(x=1.0), _ok(x=3.0)])["metrics"] == {"x": 2.0}
    assert merge_runs([_ok(x=1.0), {"status": "timeout"}])["status"] == "timeout"
