"""The interop scenarios against the aiohttp, tornado and sanic modes.

``tests/interop`` runs its ``interop_core`` scenarios (connect, acks, binary, server
disconnect, killed client, burst, msgpack, heartbeat) on every mode, these three
included. This module adds, for each of them, the scenarios it runs on the full modes
only: room broadcasts with ``skip_sid``, namespaces, refused connections and client
disconnects, with socket.io-client (npm) and python-socketio's ``AsyncClient`` over
polling, websocket and upgrade. Servers are ``tests/interop/apps/<mode>_app.py``
subprocesses started by the interop harness.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

INTEROP = Path(__file__).resolve().parents[2] / "interop"
sys.path.insert(0, str(INTEROP))

from interop_checks import (  # noqa: E402
    check_connect_rejected,
    check_namespaces,
    check_rooms,
    client_disconnect_reasons,
)
from interop_harness import (  # noqa: E402
    FRAMEWORK_MODES,
    RUNTIME,
    TRANSPORTS,
    ClientRun,
    ClientSpec,
    Server,
    ServerPool,
    ensure_node_modules,
    ensure_pysio_venv,
    new_tag,
    run_client,
)

pytestmark = [pytest.mark.interop, pytest.mark.timeout(300)]

KINDS = ("js", "py")


@pytest.fixture(scope="module", params=FRAMEWORK_MODES)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    mode: str = request.param
    pool = ServerPool(tmp_path_factory.mktemp(f"modes-{mode}"), ensure_pysio_venv)
    try:
        yield pool.get(RUNTIME, mode=mode)
    finally:
        pool.stop_all()


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


def run(server: Server, kind: str, scenario: str, transport: str, tag: str) -> ClientRun:
    if kind == "js":
        ensure_node_modules()
        return run_client(ClientSpec("js", scenario, server, transport, tag), None)
    python = ensure_pysio_venv()
    return run_client(ClientSpec("py", scenario, server, transport, tag), python)


def test_server_reports_its_mode(server: Server) -> None:
    import httpx

    health = httpx.get(f"{server.url}/health", timeout=5).json()
    assert health["mode"] == server.mode


def test_rooms_broadcast(server: Server, kind: str, transport: str) -> None:
    check_rooms(run(server, kind, "rooms", transport, new_tag(f"{kind}-rooms")))


def test_namespaces(server: Server, kind: str, transport: str) -> None:
    tag = new_tag(f"{kind}-ns")
    check_namespaces(run(server, kind, "namespaces", transport, tag), server, tag, transport, kind)


def test_connect_rejected(server: Server, kind: str, transport: str) -> None:
    tag = new_tag(f"{kind}-reject")
    check_connect_rejected(run(server, kind, "connect_rejected", transport, tag), server, tag, kind)


def test_client_disconnect(server: Server, kind: str, transport: str) -> None:
    tag = new_tag(f"{kind}-cdis")
    result = run(server, kind, "disconnect_client", transport, tag)
    expected = "io client disconnect" if kind == "js" else "client disconnect"
    assert result.one("disconnect")["reason"] == expected
    sid = result.one("connected")["sid"]
    [record] = server.disconnects(tag)
    assert (record["namespace"], record["sid"]) == ("/", sid)
    assert record["reason"] in client_disconnect_reasons(kind, transport)
