"""The interop app on ``AsyncServer(async_mode='sanic')`` + ``sio.attach(app)``.

Same command line and readiness signal as ``server_app.py`` (see ``framework_common``).
Sanic runs in a single process here (no worker manager), on the bound socket.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sanic import Request, Sanic
from sanic.response import HTTPResponse, raw

sys.path.insert(0, str(Path(__file__).resolve().parent))

from framework_common import FrameworkApp, setup


def make_app(served: FrameworkApp) -> Sanic:  # type: ignore[type-arg]
    app = Sanic("interop_sanic_app")
    app.config.ACCESS_LOG = False
    served.sio.attach(app)

    async def state(request: Request) -> HTTPResponse:
        status, body = served.state(request.path, request.args.get("tag", ""))
        return raw(body, status=status, content_type="application/json")

    app.add_route(state, "/state", name="state")
    app.add_route(state, "/health", name="health")

    @app.after_server_start
    async def announce(*_: object) -> None:
        served.ready()

    return app


def main(argv: list[str] | None = None) -> None:
    served = setup("sanic", argv)
    app = make_app(served)
    app.run(sock=served.sock, single_process=True, motd=False, access_log=False)


if __name__ == "__main__":
    main()
