"""A gevent-mode server whose emits come from a real OS thread.

``python gevent_os_thread.py PORT_FILE``: serves on a free port (written to
PORT_FILE) with gevent's pywsgi, monkey-patched unless ``PATCH=0``. ``start``
starts a real OS thread (an unpatched ``Thread``) that waits for ``go``, then
emits ``count`` ``from_thread`` events (text and binary) to the caller: by then no
handler of that client is running in the hub.
"""

from __future__ import annotations

import os

from gevent import monkey

if os.environ.get("PATCH", "1") == "1":
    monkey.patch_all()

import sys
from pathlib import Path
from typing import Any

from gevent import pywsgi

import runtime as socketio

RealThread = monkey.get_original("threading", "Thread")
RealEvent = monkey.get_original("threading", "Event")
GO_TIMEOUT = 30  # seconds; the test sends go at once

sio = socketio.Server(async_mode="gevent")
app = socketio.WSGIApp(sio)
go_signals: dict[str, Any] = {}


@sio.event
def start(sid: str, count: int) -> str:
    go = go_signals[sid] = RealEvent()

    def emit_all() -> None:
        if go.wait(GO_TIMEOUT):
            for i in range(count):
                sio.emit("from_thread", {"i": i, "blob": bytes([i % 256]) * 3}, to=sid)

    RealThread(target=emit_all, daemon=True).start()
    return "started"


@sio.event
def go(sid: str) -> None:
    go_signals.pop(sid).set()


def main(port_file: str) -> None:
    server: Any = pywsgi.WSGIServer(("127.0.0.1", 0), app, log=None)
    server.start()
    Path(port_file).write_text(str(server.server_port))
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1])
