"""An Engine.IO echo server as an ASGI app, for the tests that run a real uvicorn.

Options come from the ``EIO_TEST_CONFIG`` environment variable (JSON of
``EngineConfig`` keyword arguments). Messages are echoed; a message ``"close me"``
makes the server close the session. Disconnect reasons are printed to stdout.
"""

from __future__ import annotations

import json
import os
from typing import Any

from runtime.engineio.asgi_edge import AsyncEngineServer
from runtime.engineio.config import EngineConfig
from runtime.engineio.http import HttpRequest


class Echo:
    server: AsyncEngineServer

    def on_connect(self, sid: str, request: HttpRequest) -> None:
        print("connect", sid, flush=True)

    def on_message(self, sid: str, data: str | bytes) -> None:
        if data == "close me":
            self.server.close(sid)
        else:
            self.server.send(sid, data)

    def on_disconnect(self, sid: str, reason: str) -> None:
        print("disconnect", sid, reason, flush=True)


handler = Echo()
server = AsyncEngineServer(
    EngineConfig(**json.loads(os.environ.get("EIO_TEST_CONFIG", "{}"))), handler
)
handler.server = server


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await server.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return
    await server.handle_asgi(scope, receive, send)
