"""``ZmqManager`` through the ZeroMQ forwarder: two sync server processes, real clients.

The forwarder is ``python -m runtime.pubsub.zmq_forwarder`` started by the tests on
free loopback ports (``zmq_support.py``). Nodes are ``runtime.Server`` in threading
mode under Werkzeug (``apps/sync_mq_node.py``); the clients are python-socketio's,
in ``.venvs/pysio-brokers``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.pubsub.zmq_forwarder import parse_zmq_url
from runtime.pubsub.zmq_manager import ZmqManager
from tests.brokers.harness import ClientRunner, Node
from tests.brokers.sync_mq_nodes import (
    across_two_nodes,
    broker_restart,
    external_emitter,
    two_sync_nodes,
)
from tests.brokers.zmq_support import ForwarderServer


@pytest.fixture(scope="module")
def forwarder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ForwarderServer]:
    server = ForwarderServer(tmp_path_factory.mktemp("zmq")).start()
    try:
        yield server
    finally:
        server.kill()


def test_zmq_urls() -> None:
    assert parse_zmq_url("zmq+tcp://localhost:5555+5556") == (
        "tcp://localhost:5555",
        "tcp://localhost:5556",
    )
    assert parse_zmq_url("zmq+tcp://*:1+2") == ("tcp://*:1", "tcp://*:2")
    for bad in ("tcp://localhost:5555+5556", "zmq+tcp://localhost:5555", "zmq+ipc://x:1+2"):
        with pytest.raises(RuntimeError, match="unexpected connection string"):
            parse_zmq_url(bad)
    manager = ZmqManager("zmq+tcp://h:7+8", channel="ch", write_only=True)
    assert (manager.sink_url, manager.sub_url, manager.name) == ("tcp://h:7", "tcp://h:8", "zmq")


def test_envelope_is_python_socketios() -> None:
    manager = ZmqManager("zmq+tcp://h:7+8", channel="ch", write_only=True)
    message = {"method": "emit", "event": "e", "data": ["x"]}
    raw = manager._envelope(json.dumps(message))
    assert json.loads(raw) == {"type": "message", "channel": "ch", "data": message}
    assert manager._unwrap(raw) == message
    other = json.dumps({"type": "message", "channel": "other", "data": message}).encode()
    assert manager._unwrap(other) is None
    assert manager._unwrap(b"not json") is None


def test_two_sync_nodes_on_zmq(
    forwarder: ForwarderServer, nodes: list[Node], runner: ClientRunner, tmp_path: Path
) -> None:
    a, b = two_sync_nodes(nodes, tmp_path, "zmq", forwarder.url)
    across_two_nodes(runner, a, b)


def test_write_only_emitter_on_zmq(
    forwarder: ForwarderServer, nodes: list[Node], runner: ClientRunner, tmp_path: Path
) -> None:
    a, b = two_sync_nodes(nodes, tmp_path, "zmq", forwarder.url)
    external_emitter(runner, a, b, "zmq", forwarder.url)


def test_zmq_forwarder_killed_and_restarted(
    nodes: list[Node], runner: ClientRunner, tmp_path: Path
) -> None:
    broker = ForwarderServer(tmp_path).start()
    try:
        a, b = two_sync_nodes(nodes, tmp_path, "zmq", broker.url)
        broker_restart(runner, a, b, broker.kill, broker.start)
        for node in (a, b):
            log = node.log()
            assert "listener failed" in log, log[-3000:]
            assert "listening again" in log, log[-3000:]
    finally:
        broker.kill()
