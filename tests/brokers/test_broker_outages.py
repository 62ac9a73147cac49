"""RabbitMQ outages for ``KombuManager`` (sync) and ``AsyncAioPikaManager`` (async) nodes.

The machine's RabbitMQ is shared (CI needs it), so it is not killed: both nodes
reach it through a ``TcpProxy`` that the test cuts, which drops every AMQP
connection of the nodes and refuses new ones, then restores. Redis, Kafka and
ZeroMQ outages kill and restart a broker of the test's own (``test_sync_pubsub``,
``test_pubsub_cluster``, ``test_kafka_cluster``, ``test_zmq_cluster``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.brokers.harness import ClientRunner, Node, RabbitServer
from tests.brokers.sync_mq_nodes import HANDLER_BOUND, broker_restart
from tests.brokers.tcp_proxy import TcpProxy
from tests.brokers.test_pubsub_cluster import two_runtime_nodes
from tests.brokers.test_sync_pubsub import two_nodes


@pytest.fixture
def rabbit_proxy(rabbit_server: RabbitServer) -> Iterator[TcpProxy]:
    proxy = TcpProxy(rabbit_server.port).start()
    try:
        yield proxy
    finally:
        proxy.close()


@pytest.mark.parametrize("flavour", ["kombu", "aiopika"])
def test_rabbitmq_outage(
    flavour: str,
    rabbit_proxy: TcpProxy,
    nodes: list[Node],
    runner: ClientRunner,
    tmp_path: Path,
) -> None:
    """Connections cut, broker unreachable, then back: no node dies, broadcasts resume."""
    url = f"amqp://guest:guest@127.0.0.1:{rabbit_proxy.port}/"
    if flavour == "kombu":
        a, b = two_nodes(nodes, tmp_path, "kombu", url)
        bound: float | None = HANDLER_BOUND
    else:
        a, b = two_runtime_nodes(nodes, tmp_path, "aiopika", url)
        bound = None  # an asyncio handler awaits its publish; the loop serves the others
    broker_restart(runner, a, b, rabbit_proxy.cut, rabbit_proxy.restore, bound)
    for node in (a, b):
        log = node.log()
        assert "listener failed" in log, log[-3000:]
        assert "listening again" in log, log[-3000:]
