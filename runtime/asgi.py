"""``ASGIApp``: serves the Socket.IO endpoint, static files and another ASGI app.

Routing precedence follows the user guide: the Socket.IO path first, then static
files, then ``other_asgi_app``, else 404. Paths are matched relative to
``root_path``, so the app can be mounted inside Starlette or FastAPI.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from runtime.static_files import StaticRules, resolve_static_file

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApplication = Callable[[Scope, Receive, Send], Awaitable[None]]
Hook = Callable[[], Any]


class ASGIApp:
    """ASGI application for an ``AsyncServer``.

    ``socketio_path=None`` routes every request to the Socket.IO server.
    ``on_startup`` / ``on_shutdown`` take a callable or a list of them, plain or async.
    """

    def __init__(
        self,
        socketio_server: Any,
        other_asgi_app: ASGIApplication | None = None,
        static_files: StaticRules | None = None,
        socketio_path: str | None = "socket.io",
        on_startup: Hook | list[Hook] | None = None,
        on_shutdown: Hook | list[Hook] | None = None,
    ) -> None:
        self.engineio_server = socketio_server
        self.other_asgi_app = other_asgi_app
        self.static_files = dict(static_files or {})
        self.engineio_path = socketio_path.strip("/") if socketio_path is not None else None
        self._prefix = f"/{self.engineio_path}/" if self.engineio_path else None
        self.on_startup = on_startup
        self.on_shutdown = on_shutdown

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self.lifespan(scope, receive, send)
            return
        path = _route_path(scope)
        if kind in ("http", "websocket") and (
            self._prefix is None or path.startswith(self._prefix) or path + "/" == self._prefix
        ):
            await self.engineio_server.handle_request(scope, receive, send)
            return
        if kind == "http" and self.static_files:
            found = resolve_static_file(path, self.static_files)
            if found is not None and Path(found.filename).is_file():
                await self.serve_static_file(found.filename, found.content_type, send)
                return
        if self.other_asgi_app is not None:
            await self.other_asgi_app(scope, receive, send)
        elif kind == "http":
            await self.not_found(send)
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1000})

    async def serve_static_file(self, filename: str, content_type: str, send: Send) -> None:
        body = await asyncio.to_thread(Path(filename).read_bytes)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", content_type.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def not_found(self, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 404,
                "headers": [(b"content-type", b"text/plain")],
            }
        )
        await send({"type": "http.response.body", "body": b"Not Found"})

    async def lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.other_asgi_app is not None and self.on_startup is None and self.on_shutdown is None:
            await self.other_asgi_app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await _run_hooks(self.on_startup)
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                try:
                    await _run_hooks(self.on_shutdown)
                    await self.engineio_server.shutdown()
                except Exception as exc:
                    await send({"type": "lifespan.shutdown.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.shutdown.complete"})
                return


def _route_path(scope: Scope) -> str:
    """The request path relative to the mount point (``root_path``)."""
    path: str = scope.get("path", "/")
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :] or "/"
    return path


async def _run_hooks(hooks: Hook | list[Hook] | None) -> None:
    if hooks is None:
        return
    for hook in hooks if isinstance(hooks, list) else [hooks]:
        result = hook()
        if inspect.isawaitable(result):
            await result
