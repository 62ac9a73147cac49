"""The threading mode on a threaded WSGI server that hides the socket (stdlib wsgiref).

``python wsgiref_app.py`` serves ``wsgi_app:app`` on a port the OS picks and logs
``Running on http://127.0.0.1:PORT``. wsgiref gives the application no access to
the connection, so websocket requests are refused and clients stay on polling.
"""

from __future__ import annotations

import os
import sys
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

os.environ.setdefault("DEPLOY_ASYNC_MODE", "threading")

from wsgi_app import app


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # no line per request


if __name__ == "__main__":
    server = make_server(
        "127.0.0.1", 0, app, server_class=ThreadingWSGIServer, handler_class=QuietHandler
    )
    print(f"Running on http://127.0.0.1:{server.server_port}", file=sys.stderr, flush=True)
    server.serve_forever()
