"""A python-socketio node of a mixed cluster: ``socketio.Server`` with its sync ``RedisManager``.

Runs in ``.venvs/pysio-brokers`` (no WSGI server there but the standard
library's: clients use polling). Environment: ``CLUSTER_URL``,
``CLUSTER_CHANNEL``, ``CLUSTER_PORT``. A ``cmd`` event drives it, as the other
node apps: ``emit`` (broadcast or to a room/sid) and ``call`` (an emit with a
callback to one sid, answered with the client's ack).
"""

from __future__ import annotations

import logging
import os
import socketserver
import sys
import threading
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import socketio

logging.basicConfig(stream=sys.stderr, level=logging.INFO)

mgr = socketio.RedisManager(os.environ["CLUSTER_URL"], channel=os.environ["CLUSTER_CHANNEL"])
sio = socketio.Server(client_manager=mgr, async_mode="threading")


@sio.event
def cmd(sid: str, data: dict[str, Any]) -> Any:
    if data["op"] == "emit":
        sio.emit(data["event"], data.get("data"), to=data.get("to"))
        return "ok"
    if data["op"] == "call":
        answer: list[Any] = []
        done = threading.Event()

        def on_ack(*args: Any) -> None:
            answer.extend(args)
            done.set()

        sio.emit(data["event"], data.get("data"), to=data["to"], callback=on_ack)
        return answer[0] if done.wait(10) else {"error": "no ack"}
    return {"error": "unknown op"}


class Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any) -> None:
        pass


class ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


port = int(os.environ["CLUSTER_PORT"])
make_server(
    "127.0.0.1", port, socketio.WSGIApp(sio), ThreadingServer, handler_class=Quiet
).serve_forever()
