"""A raw Engine.IO client that never answers PING must be dropped with 'ping timeout'.

The client is written here with plain ``websockets`` / ``httpx``: it completes the
Engine.IO handshake, connects the default namespace, then stays silent. The
server runs the "fast" heartbeat profile (ping_interval=0.5, ping_timeout=0.5).
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from interop_checks import accept_known_deviation
from interop_harness import Server, ServerPool, new_tag
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

# generous cap: the first test may build the pysio venv (about a minute); every
# wait inside a test has its own, shorter bound with a clear message
pytestmark = [pytest.mark.interop, pytest.mark.timeout(300)]

DETECTION_LIMIT = 10.0  # seconds; a correct server needs about ping_interval + ping_timeout


@pytest.fixture
def server(servers: ServerPool, server_impl: str, server_mode: str) -> Server:
    return servers.get(server_impl, profile="fast", mode=server_mode)


def parse_handshake(packet: str) -> dict[str, Any]:
    assert packet[0] == "0", f"expected an OPEN packet, got {packet!r}"
    handshake: dict[str, Any] = json.loads(packet[1:])
    assert isinstance(handshake["sid"], str) and handshake["sid"]
    assert handshake["pingTimeout"] == 500
    assert handshake["maxPayload"] == 1_000_000
    return handshake


def check_advertised_interval(handshake: dict[str, Any], server: Server) -> None:
    """Checked last: on the reference run it ends the test as an xfail."""
    # python-socketio truncates the interval to whole seconds before scaling it
    # (int(0.5) * 1000 == 0); we advertise what we enforce
    accept_known_deviation(
        server, handshake["pingInterval"] == 500, "advertises a 0.5 s ping_interval as 0"
    )
    assert handshake["pingInterval"] == 500


def auth_packet(tag: str) -> str:
    return "40" + json.dumps({"token": "good", "tag": tag})


def assert_ping_timeout(server: Server, tag: str, sid: str, started: float) -> None:
    [record] = server.disconnects(tag, timeout=DETECTION_LIMIT)
    elapsed = time.monotonic() - started
    assert record == {"namespace": "/", "sid": sid, "reason": "ping timeout"}
    # no PONG can be missing before one PING interval plus the PONG timeout
    assert elapsed >= server.ping_interval + server.ping_timeout - 0.1, elapsed


@pytest.mark.interop_core
def test_silent_websocket_client(server: Server) -> None:
    tag = new_tag("raw-ws")
    url = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    frames: list[Any] = []
    with connect(url, open_timeout=5, close_timeout=1) as ws:
        started = time.monotonic()
        handshake_packet = ws.recv(timeout=5)
        assert isinstance(handshake_packet, str)
        handshake = parse_handshake(handshake_packet)
        ws.send(auth_packet(tag))
        reply = ws.recv(timeout=5)
        frames.append(reply)
        assert isinstance(reply, str) and reply.startswith("40{"), frames
        sid = json.loads(reply[2:])["sid"]
        # stay silent; keep reading only to see what the server sends
        closed = False
        deadline = started + DETECTION_LIMIT
        while not closed and time.monotonic() < deadline:
            try:
                frames.append(ws.recv(timeout=0.1))
            except TimeoutError:
                if server.state(tag)["disconnects"]:
                    break
            except ConnectionClosed:
                closed = True
        assert_ping_timeout(server, tag, sid, started)
    assert "2" in frames, f"the server never sent a PING: {frames}"
    assert "3" not in frames
    check_advertised_interval(handshake, server)


@pytest.mark.interop_core
def test_silent_polling_client(server: Server) -> None:
    tag = new_tag("raw-poll")
    endpoint = f"{server.url}/socket.io/"
    with httpx.Client(timeout=10) as http:
        started = time.monotonic()
        opened = http.get(endpoint, params={"EIO": "4", "transport": "polling"})
        assert opened.status_code == 200, opened.text
        handshake = parse_handshake(opened.text)
        assert handshake["upgrades"] == ["websocket"]
        params = {"EIO": "4", "transport": "polling", "sid": handshake["sid"]}
        posted = http.post(endpoint, params=params, content=auth_packet(tag))
        assert posted.status_code == 200, posted.text  # body: "ok" (JS), "OK" (python-socketio)
        polled = http.get(endpoint, params=params)
        assert polled.status_code == 200, polled.text
        packets = polled.text.split("\x1e")
        connect_packets = [p for p in packets if p.startswith("40{")]
        assert len(connect_packets) == 1, packets
        sid = json.loads(connect_packets[0][2:])["sid"]
        # never poll again: the PING waits in the server's queue, unanswered
        assert_ping_timeout(server, tag, sid, started)
    check_advertised_interval(handshake, server)
