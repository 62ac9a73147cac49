"""The interop app on ``AsyncServer(async_mode='tornado')`` + ``get_tornado_handler(sio)``.

Same command line and readiness signal as ``server_app.py`` (see ``framework_common``).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import tornado.httpserver
import tornado.web

sys.path.insert(0, str(Path(__file__).resolve().parent))

from framework_common import FrameworkApp, setup


def tornado_handler(socketio_module: Any, sio: Any) -> Any:
    """``socketio.get_tornado_handler(sio)``; from its module until ``runtime`` exports it."""
    factory: Any = getattr(socketio_module, "get_tornado_handler", None)
    if factory is None:
        from runtime.integrations import get_tornado_handler

        factory = get_tornado_handler
    return factory(sio)


def make_app(served: FrameworkApp, socketio_module: Any) -> tornado.web.Application:
    class StateHandler(tornado.web.RequestHandler):
        def get(self) -> None:
            status, body = served.state(self.request.path, self.get_query_argument("tag", ""))
            self.set_status(status)
            self.set_header("Content-Type", "application/json")
            self.finish(body)

    return tornado.web.Application(
        [
            (r"/socket.io/", tornado_handler(socketio_module, served.sio)),
            (r"/state", StateHandler),
            (r"/health", StateHandler),
        ]
    )


async def serve(served: FrameworkApp, socketio_module: Any) -> None:
    server = tornado.httpserver.HTTPServer(make_app(served, socketio_module))
    served.sock.setblocking(False)  # tornado expects a non-blocking listener
    server.add_sockets([served.sock])
    served.ready()
    await asyncio.Event().wait()  # until the harness kills the process


def main(argv: list[str] | None = None) -> None:
    served = setup("tornado", argv)
    from server_app import load_impl

    asyncio.run(serve(served, load_impl(served.impl)))


if __name__ == "__main__":
    main()
