"""Message-queue managers: several server processes, one set of rooms.

``AsyncRedisManager`` (Redis/Valkey) and ``AsyncAioPikaManager`` (RabbitMQ) speak
python-socketio's JSON pub/sub protocol on the same channel, so runtime and
python-socketio (>= 5.14.2) nodes can run in one cluster. The broker client
packages are optional extras, imported only when a manager is created.

Failure policy: the listener reconnects for ever with a capped exponential
backoff and logs every failure; a publish is retried a bounded number of times
and then dropped with an ERROR log (never raised to the emitter).
"""

from __future__ import annotations

from runtime.pubsub.aiopika_manager import AsyncAioPikaManager
from runtime.pubsub.cluster import ClusterAnswer
from runtime.pubsub.manager import AsyncPubSubManager
from runtime.pubsub.messages import QueryKind
from runtime.pubsub.redis_manager import AsyncRedisManager

__all__ = [
    "AsyncAioPikaManager",
    "AsyncPubSubManager",
    "AsyncRedisManager",
    "ClusterAnswer",
    "QueryKind",
]
