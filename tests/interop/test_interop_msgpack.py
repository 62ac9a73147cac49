"""``serializer='msgpack'``: socket.io-msgpack-parser (JS) and python-socketio's client."""

from __future__ import annotations

from pathlib import Path

import pytest
from interop_checks import check_acks, check_binary, check_connect_ok
from interop_harness import (
    TRANSPORTS,
    ClientRun,
    ClientSpec,
    Server,
    ServerPool,
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


@pytest.fixture(params=["js", "py"])
def kind(request: pytest.FixtureRequest, node_client: Path) -> str:
    value: str = request.param
    return value


@pytest.fixture
def server(servers: ServerPool, server_impl: str, server_mode: str) -> Server:
    return servers.get(server_impl, serializer="msgpack", mode=server_mode)


def run(
    server: Server, python: Path, kind: str, scenario: str, transport: str, tag: str
) -> ClientRun:
    return run_client(ClientSpec(kind, scenario, server, transport, tag), python)


def test_connect(server: Server, pysio_python: Path, kind: str, transport: str) -> None:
    tag = new_tag(f"{kind}-mp-connect")
    result = run(server, pysio_python, kind, "connect_ok", transport, tag)
    check_connect_ok(result, server, tag, transport, kind)


@pytest.mark.interop_core
def test_events_and_acks(server: Server, pysio_python: Path, kind: str, transport: str) -> None:
    tag = new_tag(f"{kind}-mp-acks")
    check_acks(run(server, pysio_python, kind, "acks", transport, tag), server, tag)


@pytest.mark.interop_core
def test_binary(server: Server, pysio_python: Path, kind: str, transport: str) -> None:
    tag = new_tag(f"{kind}-mp-bin")
    check_binary(run(server, pysio_python, kind, "binary", transport, tag))
