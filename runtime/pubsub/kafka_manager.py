"""``KafkaManager``: the sync pub/sub manager over Kafka (``kafka-python``).

The topic is the channel; each record's value is the UTF-8 JSON message, as
python-socketio publishes it, so both can share a topic. Every node reads every
partition of the topic without a consumer group (no offsets are committed), from
the end: a node sees what is published after it subscribed, like the other
brokers. Records are keyed by the sender's ``host_id``: one node's messages stay
in one partition, so they arrive in the order they were emitted.

kafka-python (>= 3.0) reconnects to brokers by itself (and logs that on the
``kafka`` logger); the listener is rebuilt with backoff only when the client
raises. Publishes wait for the broker's acknowledgement; one that fails is
retried by the base class and finally dropped with an ERROR log. Each wait on the
broker is bounded (``bootstrap_timeout_ms``, ``max_block_ms``,
``request_timeout_ms``, far below kafka-python's 30-60 s defaults) so a dead
broker costs each try seconds, not minutes; and a server's handlers never wait
for it at all (see ``runtime.pubsub.sync_manager``).
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Iterator
from typing import Any

from runtime.pubsub.sync_manager import PubSubManager

__all__ = ["KafkaManager", "kafka_servers"]


def kafka_servers(url: str | list[str]) -> list[str]:
    """``kafka://host:port`` URLs (one or a list) -> kafka-python's ``bootstrap_servers``."""
    servers = []
    for one in [url] if isinstance(url, str) else url:
        address = one[len("kafka://") :] if one.startswith("kafka://") else one
        servers.append(address.rstrip("/") or "localhost:9092")
    if not servers:
        raise ValueError("no Kafka URL given")
    return servers


def _kafka() -> Any:
    try:
        return importlib.import_module("kafka")
    except ImportError:
        raise RuntimeError(
            'kafka-python package is not installed (Run "pip install kafka-python" in your '
            "virtualenv)."
        ) from None


class KafkaManager(PubSubManager):
    """Kafka based client manager (python-socketio's constructor; sync servers)."""

    name = "kafka"

    # Client settings, as class attributes so the constructor keeps
    # python-socketio's signature.
    bootstrap_timeout_ms = 2000  # how long creating a client may wait for the broker
    max_block_ms = 2000  # how long a send may wait for broker metadata
    request_timeout_ms = 5000  # how long a send waits for the broker's ack
    reconnect_backoff_max_ms = 1000  # cap of kafka-python's own reconnect delay
    poll_timeout_ms = 250  # how often the listener checks for shutdown
    connect_timeout = 10.0  # how long the listener may wait for its partitions (s)

    def __init__(
        self,
        url: str | list[str] = "kafka://localhost:9092",
        channel: str = "socketio",
        write_only: bool = False,
        logger: Any = None,
        json: Any = None,
    ) -> None:
        self._kafka = _kafka()
        super().__init__(channel=channel, write_only=write_only, logger=logger, json=json)
        self.kafka_urls = kafka_servers(url)
        self.producer: Any = None

    def _client_options(self) -> dict[str, Any]:
        return {
            "bootstrap_servers": self.kafka_urls,
            "bootstrap_timeout_ms": self.bootstrap_timeout_ms,
            "request_timeout_ms": self.request_timeout_ms,
            "reconnect_backoff_max_ms": self.reconnect_backoff_max_ms,
        }

    # -- publishing ------------------------------------------------------------------
    def _send_batch(self, payloads: list[str]) -> None:
        if self.producer is None:
            self.producer = self._kafka.KafkaProducer(
                max_block_ms=self.max_block_ms,
                retries=0,  # the base class retries, and logs
                linger_ms=0,
                **self._client_options(),
            )
        key = self.host_id.encode()
        try:
            sent = [
                self.producer.send(self.channel, value=payload.encode(), key=key)
                for payload in payloads
            ]
            for future in sent:
                future.get(timeout=self.request_timeout_ms / 1000)
        except Exception:
            self._drop_producer()  # the next try starts afresh
            raise

    def _drop_producer(self) -> None:
        producer, self.producer = self.producer, None
        if producer is not None:
            try:
                producer.close(timeout=0)
            except Exception:
                self._get_logger().debug("closing a Kafka producer failed", exc_info=True)

    # -- listening -------------------------------------------------------------------
    def _listen(self) -> Iterator[Any]:
        consumer = self._kafka.KafkaConsumer(
            group_id=None,  # every node reads every partition
            enable_auto_commit=False,
            auto_offset_reset="latest",
            **self._client_options(),
        )
        deadline = time.monotonic() + self.connect_timeout
        up = False
        try:
            consumer.subscribe([self.channel])
            while not self._closed:
                batches = consumer.poll(timeout_ms=self.poll_timeout_ms)
                for records in batches.values():
                    for record in records:
                        yield record.value
                if up:
                    continue
                assigned = consumer.assignment()
                if assigned:
                    # Listening from now on: every partition has its position.
                    for partition in assigned:
                        consumer.position(partition)
                    up = True
                    self._listener_up()
                elif time.monotonic() > deadline:
                    raise ConnectionError(
                        f"no partitions of {self.channel!r} from {self.kafka_urls}"
                    )
        finally:
            consumer.close(autocommit=False)

    def _close_transport(self) -> None:
        self._drop_producer()
