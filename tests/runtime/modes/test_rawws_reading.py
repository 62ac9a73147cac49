"""Reading a client's websocket with ``RawWebSocket``: the fast path agrees with wsproto.

Client streams are built by wsproto's own client (masked frames, random keys),
written into a real socket pair in arbitrary chunks, and read back by
``RawWebSocket``; what it returns must be exactly what a plain wsproto server reads
from the same bytes, whichever frames the fast path (``drivers.wssplit``) took.
"""

from __future__ import annotations

import itertools
import socket
import threading
from collections.abc import Iterable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wsproto.connection import Connection, ConnectionType
from wsproto.events import BytesMessage, Message, Ping, TextMessage

from runtime.drivers.rawws import RawWebSocket
from runtime.drivers.wssplit import FrameSplitter, Raw, unmask

MAX = 1000

# One client action: a whole text / binary message, a fragmented one, or a ping.
ACTION = st.one_of(
    st.tuples(st.just("text"), st.text(max_size=300)),
    st.tuples(st.just("bytes"), st.binary(max_size=300)),
    st.tuples(st.just("fragments"), st.lists(st.text(max_size=20), min_size=2, max_size=4)),
    st.tuples(st.just("ping"), st.binary(max_size=10)),
)


def client_stream(actions: Iterable[tuple[str, Any]]) -> bytes:
    client = Connection(ConnectionType.CLIENT)
    out = []
    for kind, value in actions:
        if kind == "text":
            out.append(client.send(TextMessage(value)))
        elif kind == "bytes":
            out.append(client.send(BytesMessage(value)))
        elif kind == "fragments":
            for i, part in enumerate(value):
                out.append(client.send(TextMessage(part, message_finished=i == len(value) - 1)))
        else:
            out.append(client.send(Ping(value)))
    return b"".join(out)


def wsproto_reads(data: bytes) -> list[str | bytes]:
    """What a plain wsproto server reads from ``data`` (whole messages)."""
    server = Connection(ConnectionType.SERVER)
    server.receive_data(data)
    messages: list[str | bytes] = []
    parts: list[Any] = []
    for event in server.events():
        if isinstance(event, Message):
            parts.append(event.data)
            if event.message_finished:
                joined = "".join(parts) if isinstance(parts[0], str) else b"".join(parts)
                messages.append(joined)
                parts = []
    return messages


def chunks(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points) if b > a]


def read_all(pieces: list[bytes], max_size: int = MAX) -> tuple[list[str | bytes], bytes]:
    """Messages ``RawWebSocket`` reads from ``pieces`` (then EOF), and what it wrote back."""
    ours, theirs = socket.socketpair()
    ours.settimeout(10)
    theirs.settimeout(10)
    ws = RawWebSocket(ours, max_size, threading.Lock(), _no_spawn, lambda: [])
    writer = threading.Thread(target=_write_then_end, args=(theirs, pieces))
    writer.start()
    got: list[str | bytes] = []
    try:
        while (message := ws.receive()) is not None:
            got.append(message)
    finally:
        writer.join(10)
        ours.close()
    written = _drain(theirs)
    theirs.close()
    return got, written


def _no_spawn(*args: Any) -> Any:
    raise AssertionError("a socket pair takes these small writes at once")


def _write_then_end(sock: socket.socket, pieces: list[bytes]) -> None:
    for piece in pieces:
        sock.sendall(piece)
    sock.shutdown(socket.SHUT_WR)


def _drain(sock: socket.socket) -> bytes:
    out = b""
    while data := sock.recv(65536):
        out += data
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(ACTION, max_size=8), st.lists(st.integers(0, 10_000), max_size=6))
def test_reads_what_wsproto_reads(actions: list[tuple[str, Any]], cuts: list[int]) -> None:
    data = client_stream(actions)
    got, _ = read_all(chunks(data, cuts))
    assert got == wsproto_reads(data)


def test_pings_are_answered_between_fast_messages() -> None:
    data = client_stream([("text", "a"), ("ping", b"hi"), ("bytes", b"\x00\x01")])
    got, written = read_all([data])
    assert got == ["a", b"\x00\x01"]
    assert written.startswith(b"\x8a\x02hi")  # the PONG, then our close frame
    assert b"\x88\x02\x03\xe8" in written  # 1000 after the peer's EOF


def test_fast_path_takes_plain_frames_and_leaves_the_rest() -> None:
    splitter = FrameSplitter(MAX)
    plain = client_stream([("text", "x"), ("bytes", b"y")])
    ping = client_stream([("ping", b"p")])
    items = splitter.feed(plain + ping)
    assert items[:2] == ["x", b"y"]
    assert items[2:] == [Raw(ping)]


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (b"\x81\x02" + b"\xff\xfe", 1002),  # unmasked client frame: protocol error
        (b"\x81\x82\x00\x00\x00\x00\xff\xfe", 1007),  # masked, invalid UTF-8
        (b"\xc1\x81\x00\x00\x00\x00a", 1002),  # RSV1 without an extension
    ],
)
def test_bad_frames_close_with_wsprotos_code(frame: bytes, code: int) -> None:
    got, written = read_all([client_stream([("text", "ok")]) + frame])
    assert got == ["ok"]
    assert written == b"\x88\x02" + code.to_bytes(2, "big")


def test_oversized_frame_goes_to_wsproto_and_is_cut_at_the_limit() -> None:
    big = client_stream([("text", "z" * (MAX + 50))])
    got, _ = read_all([client_stream([("text", "small")]) + big])
    assert got[0] == "small"
    assert len(got) == 2 and MAX < len(got[1]) <= MAX + 50  # handed over once past MAX


def test_unmask_is_the_xor_with_the_repeated_key() -> None:
    key = b"\x01\x02\x03\x04"
    payload = bytes(range(11))
    expected = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    assert unmask(payload, key) == expected
    assert unmask(b"", key) == b""
