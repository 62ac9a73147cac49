"""One sync node of a test cluster: ``runtime.Server`` (threading, WSGI) on Kafka or ZeroMQ.

``python sync_mq_node.py`` with the environment ``CLUSTER_BROKER`` (``kafka`` or
``zmq``), ``CLUSTER_URL``, ``CLUSTER_CHANNEL``, ``CLUSTER_NODE`` and
``CLUSTER_PORT``; served by Werkzeug's threaded server on 127.0.0.1. Clients
drive it with a ``cmd`` event whose ack is the result, as ``cluster_app.py``.

``python sync_mq_node.py emit`` instead runs the guide's external emitter once
(``write_only`` manager; event, JSON data and room from ``EMIT_EVENT``,
``EMIT_DATA``, ``EMIT_ROOM``) and exits 0 once the broker has the message.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any

import runtime as socketio
from runtime.pubsub.kafka_manager import KafkaManager
from runtime.pubsub.zmq_manager import ZmqManager

logging.basicConfig(
    stream=sys.stderr, level=logging.INFO, format="%(name)s %(levelname)s %(message)s"
)
logging.getLogger("kafka").setLevel(logging.CRITICAL)  # kafka-python logs every reconnect try
logging.getLogger("werkzeug").setLevel(logging.WARNING)

BROKER = os.environ["CLUSTER_BROKER"]
URL = os.environ["CLUSTER_URL"]
CHANNEL = os.environ["CLUSTER_CHANNEL"]
NODE = os.environ.get("CLUSTER_NODE", "node")
logger = logging.getLogger("cluster." + NODE)


def make_manager(write_only: bool = False) -> Any:
    if BROKER == "kafka":
        mgr: Any = KafkaManager(URL, channel=CHANNEL, write_only=write_only, logger=logger)
    else:
        mgr = ZmqManager(URL, channel=CHANNEL, write_only=write_only, logger=logger)
    # Short reconnect delays keep the broker-restart tests quick.
    mgr.listen_backoff_initial = 0.2
    mgr.listen_backoff_max = 1.0
    return mgr


def serve() -> None:
    from werkzeug.serving import make_server

    mgr = make_manager()
    sio = socketio.Server(client_manager=mgr, async_mode="threading")
    disconnects: list[tuple[str, str]] = []

    @sio.event
    def disconnect(sid: str, reason: Any = None) -> None:
        disconnects.append((sid, str(reason)))

    @sio.event
    def cmd(sid: str, data: dict[str, Any]) -> Any:
        op = data["op"]
        if op == "info":
            return {"node": NODE, "impl": "runtime-sync", "host_id": mgr.host_id}
        if op == "emit":
            sio.emit(
                data["event"],
                data.get("data"),
                to=data.get("to"),
                skip_sid=sid if data.get("skip_self") else data.get("skip_sid"),
            )
            return "ok"
        if op == "call":
            try:
                return sio.call(data["event"], data.get("data"), to=data["to"], timeout=10)
            except Exception as exc:
                return {"error": repr(exc)}
        if op == "enter_room":
            sio.enter_room(data.get("sid", sid), data["room"])
            return "ok"
        if op == "leave_room":
            sio.leave_room(data.get("sid", sid), data["room"])
            return "ok"
        if op == "close_room":
            sio.close_room(data["room"])
            return "ok"
        if op == "disconnect":
            sio.disconnect(data["sid"])
            return "ok"
        if op == "rooms":
            return sorted(str(r) for r in sio.rooms(data.get("sid", sid)))
        if op == "disconnects":
            return [list(d) for d in disconnects]
        if op == "stats":
            return {"published": mgr.published, "dropped": mgr.dropped}
        return {"error": f"unknown op {op}"}

    server = make_server(
        "127.0.0.1", int(os.environ["CLUSTER_PORT"]), socketio.WSGIApp(sio), threaded=True
    )
    logger.info("serving on %s", server.server_port)
    server.serve_forever()


def emit_once() -> int:
    mgr = make_manager(write_only=True)
    mgr.emit(
        os.environ["EMIT_EVENT"],
        data=json.loads(os.environ["EMIT_DATA"]),
        room=os.environ["EMIT_ROOM"],
    )
    published: int = mgr.published
    mgr.close()
    return 0 if published == 1 else 1


if __name__ == "__main__":
    if sys.argv[1:] == ["emit"]:
        sys.exit(emit_once())
    serve()
