"""Tests of the benchmark's own pieces: wire codecs, client parsing, report arithmetic.

Not collected by default (``--ignore=tests/bench``); run them with
``python -m pytest -o addopts="" tests/bench``.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import struct
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.bench import proc, report
from tests.bench.loadclients import EchoClient, EchoStats
from tests.bench.plan import SYNC_DEFAULT
from tests.bench.run import ROOT, merge_runs, parse_args, plan_runs
from tests.bench.scenarios import Target, presence_request
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


# --- modes, typed dispatch, cluster (issues #3, #4, #5) ----------------------------------


def _plan(*argv: str) -> dict[str, tuple[str, ...]]:
    return {r.key: r.impls for r in plan_runs(parse_args(list(argv)))}


def test_plan_runs_modes_and_per_scenario_servers() -> None:
    plan = _plan("--quick", "--modes", "asgi,threading,gevent,gevent-raw", "--floor")
    both = ("python-socketio", "runtime")
    assert plan["echo_d1"] == (*both, "asgi-floor")
    assert plan["typed_echo"] == ("runtime",)  # no floor, no python-socketio
    assert plan["cluster_broadcast"] == both
    sync = {k: v for k, v in plan.items() if "@" in k}
    modes = ("threading", "gevent", "gevent-raw")
    assert sync == {f"{n}@{m}": both for m in modes for n in SYNC_DEFAULT}
    # asgi-only scenarios are left out of the sync modes, even when asked for
    assert _plan("--modes", "threading", "--scenarios", "typed_echo,echo_d10") == {
        "echo_d10@threading": (*both,)
    }
    for bad in (["--modes", "eventlet"], ["--scenarios", "nope"], ["--impl", "x"]):
        with pytest.raises(SystemExit):
            plan_runs(parse_args(bad))


def test_compare_keeps_the_mode_in_the_scenario() -> None:
    results: report.Results = {
        "echo_d1@threading": {
            "python-socketio": _ok(msgs_per_s=1000.0),
            "runtime": _ok(msgs_per_s=2900.0),
        },
        "idle_memory@gevent": {
            "python-socketio": _ok(kib_per_conn=50.0, threads_per_conn=0.0),
            "runtime": _ok(kib_per_conn=25.0, threads_per_conn=0.0),
        },
    }
    rows = report.compare(results)
    echo = _row(rows, "echo_d1@threading", "msgs_per_s")
    assert echo["ratio"] == 2.9 and echo["target_met"] is False
    assert _row(rows, "idle_memory@gevent", "kib_per_conn")["target_met"] is True
    assert _row(rows, "idle_memory@gevent", "threads_per_conn")["ratio"] is None  # 0 / 0
    lost = {"status": "timeout", "metrics": {}, "detail": {"phase": "join"}}
    lost_rows = report.compare({"broadcast@threading": {"python-socketio": lost}})
    assert _row(lost_rows, "broadcast@threading", "time_s")["cells"]["python-socketio"] == (
        "TIMEOUT in join"
    )
    assert "echo_d1@threading" in report.render(rows, with_floor=False, with_ceiling=False)


def test_render_typed_shows_both_handlers_and_the_ratios() -> None:
    metrics = {
        "plain_msgs_per_s": 10000.0,
        "typed_msgs_per_s": 7500.0,
        "plain_cpu_us_per_msg": 60.0,
        "typed_cpu_us_per_msg": 77.0,
        "plain_p99_ms": 20.0,
        "typed_p99_ms": 25.0,
        "typed_over_plain_msgs": 0.75,
        "typed_over_plain_cpu": 77.0 / 60.0,
        "typed_extra_cpu_us": 17.0,
    }
    table = report.render_typed({"typed_echo": {"runtime": _ok(**metrics)}})
    lines = table.splitlines()
    assert lines[2].split()[:3] == ["plain", "10,000", "60.0"]
    assert lines[3].split()[:3] == ["typed", "7,500", "77.0"]
    assert lines[4].split()[3:5] == ["0.75", "1.28"]
    assert "adds 17.0 us" in table
    failed = {"status": "timeout", "metrics": {}, "errors": ["x"]}
    assert report.render_typed({"typed_echo": {"runtime": failed}}).startswith(
        "typed_echo: TIMEOUT"
    )
    assert report.render_typed({}) == ""


class _NsRecorder(_Recorder):
    def __init__(self) -> None:
        WsSioClient.__init__(self, "127.0.0.1", 1, b"/chat", b'{"token":"t"}')
        self.acks = []
        self.binary = []
        self.events = []


def test_ws_client_on_a_namespace_with_auth() -> None:
    async def scenario() -> tuple[_NsRecorder, bytes]:
        client = _NsRecorder()
        transport = _Transport()
        client.connection_made(transport)
        client.data_received(
            SERVER_STREAM.split(server_frame(Opcode.TEXT, b'40{"sid":"y"}'))[0]
            + server_frame(Opcode.TEXT, b'40/chat,{"sid":"y"}')
            + server_frame(Opcode.TEXT, b'43/chat,7[{"ok":true}]')
        )
        assert client.connected.done()
        call = asyncio.ensure_future(client.call(b'["x"]', timeout=1))
        await asyncio.sleep(0)
        call.cancel()
        return client, b"".join(transport.written)

    client, sent = asyncio.run(scenario())
    assert client_text(b'40/chat,{"token":"t"}') in sent
    assert client_text(b'42/chat,1["x"]') in sent
    assert client.acks == [(7, b'[{"ok":true}]')]


def test_echo_client_checks_the_typed_envelope() -> None:
    request = presence_request("/chat")
    assert request.args == b'["presence:set",{"status":"online","note":"benchmark"}]'
    assert request.reply == b'[{"ok":true,"data":{"status":"online","note":"benchmark"}}]'

    async def scenario() -> tuple[EchoStats, bytes]:
        stats = EchoStats()
        stats.running = stats.recording = True
        client = EchoClient("127.0.0.1", 1, stats, 1, request)
        transport = _Transport()
        client.connection_made(transport)
        client._upgraded = True
        client.start()
        client.data_received(server_frame(Opcode.TEXT, b"43/chat,1" + request.reply))
        client.data_received(server_frame(Opcode.TEXT, b'43/chat,2[{"ok":false}]'))
        return stats, b"".join(transport.written)

    stats, sent = asyncio.run(scenario())
    assert client_text(b"42/chat,1" + request.args) in sent
    assert client_text(b"42/chat,2" + request.args) in sent  # the next one, from the ack
    assert stats.count == 2 and stats.errors == 1 and 'ok":false' in stats.first_error
    stats.reset()
    assert stats.count == 0 and not stats.latencies and stats.errors == 1


def test_target_spreads_over_the_nodes() -> None:
    single = Target("127.0.0.1", 1000, 11)
    assert single.ports == (1000,) and single.pids == (11,)
    cluster = Target("127.0.0.1", 1000, 11, ((2000, 22),))
    assert cluster.ports == (1000, 2000) and cluster.pids == (11, 22)


def test_proc_helpers_on_real_processes() -> None:
    me = os.getpid()
    assert proc.parent_pid(me) == os.getppid() and proc.alive(me)
    assert proc.threads(me) >= 1
    child = subprocess.Popen(["sleep", "30"])
    try:
        assert proc.parent_pid(child.pid) == me
        proc.kill_if_alive(child.pid)
        assert child.wait(timeout=5) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=5)
    assert not proc.alive(child.pid) and proc.parent_pid(child.pid) is None
    proc.kill_if_alive(child.pid)  # gone: nothing to do, no error
    both = proc.sample(me, me)
    assert both.server_cpu >= proc.cpu_seconds(me) - 0.05  # summed twice, ~2x one


def _bench(*argv: str) -> str:
    """The real runner on a tiny plan; its table on stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench", "--quick", "--json", os.devnull, *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


def test_live_cluster_broadcast_and_typed_echo_on_runtime() -> None:
    out = _bench(
        "--impl",
        "runtime",
        "--scenarios",
        "cluster_broadcast,typed_echo",
        "--params",
        '{"clients": 20, "events": 5, "rounds": 1, "duration_s": 0.3}',
    )
    assert "cluster_broadcast  time to deliver all" in out
    assert "own redis-server" in out or "6379" in out
    assert "typed / plain" in out
    assert "    ok: time_s=" in out and "    ok: plain_msgs_per_s=" in out


@pytest.mark.parametrize("mode", ["threading", "gevent", "gevent-raw"])
def test_live_sync_mode_side_by_side(mode: str) -> None:
    out = _bench("--modes", mode, "--scenarios", "echo_d1,broadcast", "--params", '{"clients": 10}')
    assert out.count("    ok: ") == 4, out
    assert f"echo_d1@{mode}" in out and f"broadcast@{mode}" in out
