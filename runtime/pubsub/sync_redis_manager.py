"""``RedisManager``: the sync pub/sub manager over Redis (or Valkey) ``PUBLISH``/``SUBSCRIBE``.

The URLs and client settings of ``AsyncRedisManager`` (``redis://``, ``rediss://``,
``unix://``, ``redis+sentinel://``, ``valkey[s]://``, ``valkey+sentinel://``), with
the blocking client. Publishes are pipelined per batch; the listener polls its
subscription with a short timeout so ``close()`` stops it promptly, and a lost
connection is a failed ``_listen()`` that the base class retries with backoff.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from runtime.pubsub.redis_manager import client_module, connect
from runtime.pubsub.sync_manager import PubSubManager

__all__ = ["RedisManager"]


class RedisManager(PubSubManager):
    """Redis based client manager for sync servers (python-socketio's constructor)."""

    name = "redis"

    poll_timeout = 0.5  # how often the listener checks for shutdown (s)

    def __init__(
        self,
        url: str = "redis://localhost:6379/0",
        channel: str = "socketio",
        write_only: bool = False,
        logger: Any = None,
        json: Any = None,
        redis_options: dict[str, Any] | None = None,
    ) -> None:
        self._module = client_module(url, "")  # fail now when the package is missing
        super().__init__(channel=channel, write_only=write_only, logger=logger, json=json)
        self.redis_url = url
        self.redis_options: dict[str, Any] = dict(redis_options or {})
        self.redis: Any = None  # the publishing client

    def _connect(self) -> Any:
        return connect(self._module, self.redis_url, self.redis_options, self.channel)

    def _send_batch(self, payloads: list[str]) -> None:
        client = self.redis
        if client is None:
            client = self.redis = self._connect()
        if len(payloads) == 1:
            client.publish(self.channel, payloads[0])
            return
        pipe = client.pipeline(transaction=False)
        for payload in payloads:
            pipe.publish(self.channel, payload)
        pipe.execute()

    def _listen(self) -> Iterator[Any]:
        client = self._connect()
        pubsub = client.pubsub()
        try:
            pubsub.subscribe(self.channel)
            while not self._closed:
                message = pubsub.get_message(timeout=self.poll_timeout)
                if message is None:
                    continue
                kind = message.get("type")
                if kind in ("message", b"message"):
                    yield message["data"]
                elif kind in ("subscribe", b"subscribe"):
                    self._listener_up()
        finally:
            try:
                pubsub.close()
            finally:
                client.close()

    def _close_transport(self) -> None:
        client, self.redis = self.redis, None
        if client is not None:
            client.close()
