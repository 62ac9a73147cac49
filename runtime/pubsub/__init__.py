"""Message-queue managers: several server processes, one set of rooms.

Async: ``AsyncRedisManager`` (Redis/Valkey) and ``AsyncAioPikaManager`` (RabbitMQ).
Sync (``Server``): ``RedisManager``, ``KombuManager`` (RabbitMQ and other kombu
transports), ``KafkaManager`` (kafka-python) and ``ZmqManager`` (pyzmq). All speak
python-socketio's JSON pub/sub protocol on the same channel, so runtime and
python-socketio (>= 5.14.2) nodes can run in one cluster. The broker client
packages are optional extras, imported only when a manager is created.

Failure policy: the listener reconnects for ever with a capped exponential
backoff and logs every failure; a publish is retried a bounded number of times
and then dropped with an ERROR log (never raised to the emitter). Who waits
for those retries: an asyncio emit awaits its publish (the event loop serves
everyone else meanwhile); a sync server's emit only queues it for a background
sender (bounded queue), so a handler thread never waits for a dead broker; a
``write_only`` emitter sends in the caller, so a script may exit right after
``emit()``. See docs/message-queues.md.
"""

from __future__ import annotations

from runtime.pubsub.aiopika_manager import AsyncAioPikaManager
from runtime.pubsub.cluster import ClusterAnswer
from runtime.pubsub.kafka_manager import KafkaManager
from runtime.pubsub.kombu_manager import KombuManager
from runtime.pubsub.manager import AsyncPubSubManager
from runtime.pubsub.messages import QueryKind
from runtime.pubsub.redis_manager import AsyncRedisManager
from runtime.pubsub.sync_manager import PubSubManager
from runtime.pubsub.sync_redis_manager import RedisManager
from runtime.pubsub.zmq_manager import ZmqManager

__all__ = [
    "AsyncAioPikaManager",
    "AsyncPubSubManager",
    "AsyncRedisManager",
    "ClusterAnswer",
    "KafkaManager",
    "KombuManager",
    "PubSubManager",
    "QueryKind",
    "RedisManager",
    "ZmqManager",
]
