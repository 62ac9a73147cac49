"""A sync runtime node on Redis (``RedisManager``) or RabbitMQ (``KombuManager``).

The server, its ``cmd`` operations and the external emitter are those of
``sync_mq_node.py`` (same environment variables, ``CLUSTER_BROKER`` = ``redis``
or ``kombu``); only the manager differs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sync_mq_node as node

from runtime.pubsub.kombu_manager import KombuManager
from runtime.pubsub.sync_redis_manager import RedisManager


def make_manager(write_only: bool = False) -> Any:
    mgr: Any
    if node.BROKER == "redis":
        mgr = RedisManager(
            node.URL, channel=node.CHANNEL, write_only=write_only, logger=node.logger
        )
    else:
        # Connections named after the channel: a test closes exactly these from the broker.
        name = {"client_properties": {"connection_name": node.CHANNEL}}
        mgr = KombuManager(
            node.URL,
            channel=node.CHANNEL,
            write_only=write_only,
            logger=node.logger,
            connection_options={"transport_options": name},
        )
    # Short reconnect delays keep the broker-restart tests quick.
    mgr.listen_backoff_initial = 0.2
    mgr.listen_backoff_max = 1.0
    return mgr


node.make_manager = make_manager

if __name__ == "__main__":
    sys.exit(node.emit_once()) if sys.argv[1:] == ["emit"] else node.serve()
