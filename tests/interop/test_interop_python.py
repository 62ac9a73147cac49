"""python-socketio's AsyncClient (own virtualenv) against the server."""

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
    client_disconnect_reasons,
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
def server(servers: ServerPool, server_impl: str, server_mode: str) -> Server:
    return servers.get(server_impl, mode=server_mode)


def py(server: Server, python: Path, scenario: str, transport: str, tag: str) -> ClientRun:
    return run_client(ClientSpec("py", scenario, server, transport, tag), python)


@pytest.mark.interop_core
def test_connect_with_auth(server: Server, pysio_python: Path, transport: str) -> None:
    tag = new_tag("py-connect")
    run = py(server, pysio_python, "connect_ok", transport, tag)
    check_connect_ok(run, server, tag, transport, "py")


def test_connect_rejected(server: Server, pysio_python: Path, transport: str) -> None:
    tag = new_tag("py-reject")
    run = py(server, pysio_python, "connect_rejected", transport, tag)
    check_connect_rejected(run, server, tag, "py")


def test_namespaces(server: Server, pysio_python: Path, transport: str) -> None:
    tag = new_tag("py-ns")
    run = py(server, pysio_python, "namespaces", transport, tag)
    check_namespaces(run, server, tag, transport, "py")


@pytest.mark.interop_core
def test_acks_both_ways(server: Server, pysio_python: Path, transport: str) -> None:
    tag = new_tag("py-acks")
    check_acks(py(server, pysio_python, "acks", transport, tag), server, tag)


@pytest.mark.interop_core
def test_binary_both_ways(server: Server, pysio_python: Path, transport: str) -> None:
    check_binary(py(server, pysio_python, "binary", transport, new_tag("py-bin")))


def test_rooms_and_skip_sid(server: Server, pysio_python: Path, transport: str) -> None:
    check_rooms(py(server, pysio_python, "rooms", transport, new_tag("py-rooms")))


def test_catch_all_handlers(server: Server, pysio_python: Path, transport: str) -> None:
    tag = new_tag("py-catch")
    check_catch_all(py(server, pysio_python, "catch_all", transport, tag), server, tag)


def test_sessions(server: Server, pysio_python: Path, transport: str) -> None:
    check_sessions(py(server, pysio_python, "sessions", transport, new_tag("py-sess")))


def test_client_disconnect(server: Server, pysio_python: Path, transport: str) -> None:
    tag = new_tag("py-cdis")
    run = py(server, pysio_python, "disconnect_client", transport, tag)
    assert run.one("disconnect")["reason"] == "client disconnect"
    sid = run.one("connected")["sid"]
    [record] = server.disconnects(tag)
    assert (record["namespace"], record["sid"]) == ("/", sid)
    assert record["reason"] in client_disconnect_reasons("py", transport)


def test_server_disconnect(server: Server, pysio_python: Path, transport: str) -> None:
    tag = new_tag("py-sdis")
    run = py(server, pysio_python, "disconnect_server", transport, tag)
    assert run.one("disconnect")["reason"] == "server disconnect"
    sid = run.one("connected")["sid"]
    assert server.disconnects(tag) == [
        {"namespace": "/", "sid": sid, "reason": "server disconnect"}
    ]


def test_killed_client(server: Server, pysio_python: Path, transport: str) -> None:
    tag = new_tag("py-kill")
    with live_client(ClientSpec("py", "hold", server, transport, tag), pysio_python) as client:
        connected = client.expect("connected")
        client.kill()
    limit = 3 * (server.ping_interval + server.ping_timeout) + 5
    [record] = server.disconnects(tag, timeout=limit)
    assert record["sid"] == connected["sid"]
    if transport == "polling":
        assert record["reason"] in ("transport close", "ping timeout")
    else:
        assert record["reason"] == "transport close"


@pytest.mark.interop_core
def test_burst_in_order(server: Server, pysio_python: Path, transport: str) -> None:
    run = py(server, pysio_python, "burst", transport, new_tag("py-burst"))
    expected = list(range(200))
    seq = run.one("seq_result")
    accept_known_deviation(
        server,
        seq.get("received") == expected,
        "drops a polling POST of more than 16 packets (max_decode_packets)",
    )
    assert seq == {"event": "seq_result", "received": expected}
    burst = run.one("burst_result")
    # The python-engineio *client* aborts on a polling response of more than 16
    # packets; python-socketio's server sends such responses, runtime caps them.
    accept_known_deviation(
        server, not burst.get("error"), "sends polling responses over 16 packets"
    )
    assert (burst["count"], burst["received"]) == (200, expected)
