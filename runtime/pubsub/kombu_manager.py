"""``KombuManager``: the sync pub/sub manager over Kombu (RabbitMQ and other AMQP brokers).

The exchange and queues of python-socketio's ``KombuManager`` so both can share a
channel (and ``AsyncAioPikaManager`` nodes too): a non-durable fanout exchange
named after the channel; each listening node consumes from its own non-durable
queue ``python-socketio.<uuid>`` (``x-expires`` 300 s) bound to it, without
acks. The queue keeps its name across reconnects, so messages published while
a node reconnects (within 300 s) are not lost. Bodies are the UTF-8 JSON text,
published with content type ``application/json`` as Kombu's JSON serializer does.

Connections are opened with a single try: reconnecting is the base class's job,
with its logged, capped backoff (Kombu's own ``ensure`` retries are not used).
"""

from __future__ import annotations

import contextlib
import importlib
import uuid
from collections.abc import Iterator
from typing import Any

from runtime.pubsub.sync_manager import PubSubManager

__all__ = ["KombuManager"]


def _kombu() -> Any:
    try:
        return importlib.import_module("kombu")
    except ImportError:
        raise RuntimeError(
            'Kombu package is not installed (Run "pip install kombu" in your virtualenv).'
        ) from None


class KombuManager(PubSubManager):
    """Client manager over Kombu (python-socketio's constructor; sync servers)."""

    name = "kombu"

    poll_timeout = 0.5  # how often the listener checks for shutdown (s)

    def __init__(
        self,
        url: str = "amqp://guest:guest@localhost:5672//",
        channel: str = "socketio",
        write_only: bool = False,
        logger: Any = None,
        json: Any = None,
        connection_options: dict[str, Any] | None = None,
        exchange_options: dict[str, Any] | None = None,
        queue_options: dict[str, Any] | None = None,
        producer_options: dict[str, Any] | None = None,
    ) -> None:
        self._kombu = _kombu()
        super().__init__(channel=channel, write_only=write_only, logger=logger, json=json)
        self.url = url
        self.connection_options = dict(connection_options or {})
        self.exchange_options = dict(exchange_options or {})
        self.queue_options = dict(queue_options or {})
        self.producer_options = dict(producer_options or {})
        self.queue_name = f"python-socketio.{uuid.uuid4()}"
        self._publisher: Any = None  # connection
        self._producer: Any = None

    def _connection(self) -> Any:
        connection = self._kombu.Connection(self.url, **self.connection_options)
        connection.connect()  # one try; raises when the broker is not there
        return connection

    def _exchange(self) -> Any:
        options: dict[str, Any] = {"type": "fanout", "durable": False}
        options.update(self.exchange_options)
        return self._kombu.Exchange(self.channel, **options)

    def _queue(self) -> Any:
        options: dict[str, Any] = {"durable": False, "queue_arguments": {"x-expires": 300000}}
        options.update(self.queue_options)
        return self._kombu.Queue(self.queue_name, self._exchange(), **options)

    # -- publishing ------------------------------------------------------------------
    def _send_batch(self, payloads: list[str]) -> None:
        try:
            if self._producer is None:
                self._publisher = self._connection()
                self._producer = self._kombu.Producer(
                    self._publisher.channel(), exchange=self._exchange(), **self.producer_options
                )
            for payload in payloads:
                self._producer.publish(
                    payload, content_type="application/json", content_encoding="utf-8"
                )
        except BaseException:
            # Whatever failed, the next try starts from a fresh connection.
            self._drop_publisher()
            raise

    def _drop_publisher(self) -> None:
        connection, self._publisher, self._producer = self._publisher, None, None
        if connection is not None:
            try:
                connection.release()
            except Exception:
                self._get_logger().debug("closing a broken AMQP connection failed", exc_info=True)

    # -- listening -------------------------------------------------------------------
    def _listen(self) -> Iterator[Any]:
        connection = self._connection()
        received: list[Any] = []
        try:
            consumer = self._kombu.Consumer(
                connection.channel(),
                queues=[self._queue()],
                on_message=lambda message: received.append(message.body),
                no_ack=True,
            )
            with consumer:
                self._listener_up()
                while not self._closed:
                    with contextlib.suppress(TimeoutError):  # socket.timeout is TimeoutError
                        connection.drain_events(timeout=self.poll_timeout)
                    while received:
                        yield received.pop(0)
        finally:
            try:
                connection.release()
            except Exception:
                self._get_logger().debug("closing an AMQP connection failed", exc_info=True)

    def _close_transport(self) -> None:
        self._drop_publisher()
