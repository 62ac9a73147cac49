"""The interop app on ``AsyncServer(async_mode='aiohttp')`` + ``sio.attach(app)``.

Same command line and readiness signal as ``server_app.py`` (see ``framework_common``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent))

from framework_common import FrameworkApp, setup


def make_app(served: FrameworkApp) -> web.Application:
    app = web.Application()
    served.sio.attach(app, socketio_path="socket.io")

    async def state(request: web.Request) -> web.Response:
        status, body = served.state(request.path, request.query.get("tag", ""))
        return web.Response(status=status, body=body, content_type="application/json")

    app.router.add_get("/state", state)
    app.router.add_get("/health", state)
    return app


def main(argv: list[str] | None = None) -> None:
    served = setup("aiohttp", argv)
    app = make_app(served)

    async def announce(_: web.Application) -> None:
        served.ready()

    app.on_startup.append(announce)
    web.run_app(app, sock=served.sock, print=None, handle_signals=True)


if __name__ == "__main__":
    main()
