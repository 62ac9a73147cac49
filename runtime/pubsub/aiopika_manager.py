"""``AsyncAioPikaManager``: the pub/sub manager over RabbitMQ (AMQP 0-9-1, ``aio-pika``).

Same exchange as python-socketio, so mixed clusters share it: a non-durable
fanout exchange named after the channel; bodies are UTF-8 JSON published with
routing key ``'*'``. Each listening node consumes from its own server-named,
exclusive queue (``x-expires`` 300 s, as python-socketio) bound to the exchange,
without per-message acks.

Connections are plain (not ``connect_robust``): reconnecting is the base class's
job, with its logged, capped backoff, for the listener and the publisher alike.
Publishes go out on a channel without publisher confirms, in order.

A URL without a host (the guide's ``'amqp://'``) means ``localhost``, as Kombu
reads it; aio-pika itself would refuse it.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from runtime.pubsub.manager import AsyncPubSubManager

__all__ = ["AsyncAioPikaManager", "amqp_url"]


def amqp_url(url: str) -> str:
    """``url`` with ``localhost`` as its host when it names none (``amqp://``, ``amqp://u:p@/v``)."""
    parts = urlsplit(url)
    if parts.hostname:
        return url
    userinfo, at, port = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{userinfo}{at}localhost{port}"))


def _aio_pika() -> Any:
    try:
        return importlib.import_module("aio_pika")
    except ImportError:
        raise RuntimeError(
            'aio_pika package is not installed (Run "pip install aio_pika" in your virtualenv).'
        ) from None


class AsyncAioPikaManager(AsyncPubSubManager):
    """RabbitMQ based client manager for asyncio servers (python-socketio's constructor)."""

    name = "asyncaiopika"

    def __init__(
        self,
        url: str = "amqp://guest:guest@localhost:5672//",
        channel: str = "socketio",
        write_only: bool = False,
        logger: Any = None,
        json: Any = None,
    ) -> None:
        super().__init__(channel=channel, write_only=write_only, logger=logger, json=json)
        self._pika = _aio_pika()
        self.url = url
        self._connect_url = amqp_url(url)
        self._publisher: Any = None  # connection
        self._exchange: Any = None

    async def _declare_exchange(self, channel: Any) -> Any:
        # Must match python-socketio's declaration, or RabbitMQ refuses one of them.
        return await channel.declare_exchange(self.channel, self._pika.ExchangeType.FANOUT)

    async def _send_batch(self, payloads: list[str]) -> None:
        pika = self._pika
        try:
            if self._exchange is None:
                self._publisher = await pika.connect(self._connect_url)
                channel = await self._publisher.channel(publisher_confirms=False)
                self._exchange = await self._declare_exchange(channel)
            for payload in payloads:
                await self._exchange.publish(pika.Message(body=payload.encode()), routing_key="*")
        except BaseException:
            # Whatever failed, the next try starts from a fresh connection.
            await self._drop_publisher()
            raise

    async def _drop_publisher(self) -> None:
        connection, self._publisher, self._exchange = self._publisher, None, None
        if connection is not None:
            try:
                await connection.close()
            except Exception:
                self._get_logger().debug("closing a broken AMQP connection failed", exc_info=True)

    async def _listen(self) -> AsyncIterator[Any]:
        connection = await self._pika.connect(self._connect_url)
        try:
            channel = await connection.channel()
            exchange = await self._declare_exchange(channel)
            queue = await channel.declare_queue(
                exclusive=True, durable=False, arguments={"x-expires": 300000}
            )
            await queue.bind(exchange)
            async with queue.iterator(no_ack=True) as messages:
                await self._listener_up()
                async for message in messages:
                    yield message.body
        finally:
            await connection.close()

    async def _close_transport(self) -> None:
        await self._drop_publisher()
