"""socket.io-client v4 (npm) against the server, over polling, websocket and upgrade."""

from __future__ import annotations

from pathlib import Path

import pytest
from interop_checks import (
    accept_known_deviation,
    check_acks,
    check_binary,
    check_catch_all,
    check_connect_ok,
    check_connect_rejected,
    check_namespaces,
    check_rooms,
    check_sessions,
)
from interop_harness import (
    TRANSPORTS,
    ClientRun,
    ClientSpec,
    Server,
    ServerPool,
    live_client,
    new_tag,
    run_client,
)

# generous cap: the first test may build the pysio venv (about a minute); every
# wait inside a test has its own, shorter bound with a clear message
pytestmark = [pytest.mark.interop, pytest.mark.timeout(300)]


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.fixture
def server(servers: ServerPool, server_impl: str, server_mode: str, node_client: Path) -> Server:
    return servers.get(server_impl, mode=server_mode)


def js(server: Server, scenario: str, transport: str, tag: str) -> ClientRun:
    return run_client(ClientSpec("js", scenario, server, transport, tag), None)


@pytest.mark.interop_core
def test_connect_with_auth(server: Server, transport: str) -> None:
    tag = new_tag("js-connect")
    check_connect_ok(js(server, "connect_ok", transport, tag), server, tag, transport, "js")


def test_connect_rejected(server: Server, transport: str) -> None:
    tag = new_tag("js-reject")
    check_connect_rejected(js(server, "connect_rejected", transport, tag), server, tag, "js")


def test_namespaces(server: Server, transport: str) -> None:
    tag = new_tag("js-ns")
    check_namespaces(js(server, "namespaces", transport, tag), server, tag, transport, "js")


@pytest.mark.interop_core
def test_acks_both_ways(server: Server, transport: str) -> None:
    tag = new_tag("js-acks")
    check_acks(js(server, "acks", transport, tag), server, tag)


@pytest.mark.interop_core
def test_binary_both_ways(server: Server, transport: str) -> None:
    check_binary(js(server, "binary", transport, new_tag("js-bin")))


def test_rooms_and_skip_sid(server: Server, transport: str) -> None:
    check_rooms(js(server, "rooms", transport, new_tag("js-rooms")))


def test_catch_all_handlers(server: Server, transport: str) -> None:
    tag = new_tag("js-catch")
    check_catch_all(js(server, "catch_all", transport, tag), server, tag)


def test_sessions(server: Server, transport: str) -> None:
    check_sessions(js(server, "sessions", transport, new_tag("js-sess")))


def test_client_disconnect(server: Server, transport: str) -> None:
    tag = new_tag("js-cdis")
    run = js(server, "disconnect_client", transport, tag)
    assert run.one("disconnect")["reason"] == "io client disconnect"
    sid = run.one("connected")["sid"]
    assert server.disconnects(tag) == [
        {"namespace": "/", "sid": sid, "reason": "client disconnect"}
    ]


@pytest.mark.interop_core
def test_server_disconnect(server: Server, transport: str) -> None:
    tag = new_tag("js-sdis")
    run = js(server, "disconnect_server", transport, tag)
    assert run.one("disconnect")["reason"] == "io server disconnect"
    sid = run.one("connected")["sid"]
    assert server.disconnects(tag) == [
        {"namespace": "/", "sid": sid, "reason": "server disconnect"}
    ]


@pytest.mark.interop_core
def test_killed_client(server: Server, transport: str) -> None:
    """SIGKILL the client process: the server notices and says why."""
    tag = new_tag("js-kill")
    with live_client(ClientSpec("js", "hold", server, transport, tag), None) as client:
        connected = client.expect("connected")
        client.kill()
    # websocket: the TCP close is seen at once; polling: maybe only when PONGs stop
    limit = 3 * (server.ping_interval + server.ping_timeout) + 5
    [record] = server.disconnects(tag, timeout=limit)
    assert record["sid"] == connected["sid"]
    if transport == "polling":
        assert record["reason"] in ("transport close", "ping timeout")
    else:
        assert record["reason"] == "transport close"


@pytest.mark.interop_core
def test_burst_in_order(server: Server, transport: str) -> None:
    """200 events each way, emitted at once, arrive complete and in order."""
    run = js(server, "burst", transport, new_tag("js-burst"))
    expected = list(range(200))
    burst = run.one("burst_result")
    assert (burst["count"], burst["received"]) == (200, expected)
    seq = run.one("seq_result")
    accept_known_deviation(
        server,
        seq.get("received") == expected,
        "drops a polling POST of more than 16 packets (max_decode_packets)",
    )
    assert seq == {"event": "seq_result", "received": expected}
