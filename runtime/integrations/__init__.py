"""The asyncio async modes of ``AsyncServer``: asgi, aiohttp, tornado and sanic.

Every mode runs the same asyncio Engine.IO edge (``runtime.engineio.asgi_edge``);
aiohttp, tornado and sanic only present their requests to it as ASGI scopes
(``bridge``). python-socketio auto-detects the first importable of aiohttp, sanic,
tornado, asgi; since our edge serves them all, ``async_mode=None`` starts as
``asgi`` and becomes the framework's mode when the server is attached to one
(``attach()``, ``get_tornado_handler()``). An explicit mode whose library is
missing fails with ``MissingDependencyError`` naming what to ``pip install``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runtime.drivers.registry import ASYNC_AUTO_ORDER, ASYNC_MODES, check_async_mode

if TYPE_CHECKING:
    from runtime.async_server import AsyncServer

__all__ = [
    "ASYNC_AUTO_ORDER",
    "ASYNC_MODES",
    "attach",
    "check_async_mode",
    "get_tornado_handler",
]


def _claim(server: AsyncServer, mode: str) -> None:
    """Set the server's mode to ``mode``, unless the user chose another one."""
    check_async_mode(mode)
    if server.async_mode != mode and getattr(server, "_async_mode_explicit", False):
        raise ValueError(
            f"this server was created with async_mode={server.async_mode!r}, "
            f"not {mode!r}: create it with AsyncServer(async_mode={mode!r})"
        )
    server.async_mode = mode


def _app_mode(app: Any) -> str | None:
    """Which attachable framework ``app`` belongs to, from its class's module."""
    for cls in type(app).__mro__:
        root = cls.__module__.partition(".")[0]
        if root in ("aiohttp", "sanic"):
            return root
    return None


def attach(server: AsyncServer, app: Any, socketio_path: str = "socket.io") -> None:
    """Register the Socket.IO routes on an aiohttp or Sanic application."""
    mode = _app_mode(app)
    if mode is None:
        if server.async_mode in ("aiohttp", "sanic"):
            mode = server.async_mode
        else:
            raise ValueError(
                "attach() takes an aiohttp.web.Application or a Sanic app; "
                "for ASGI wrap the server in ASGIApp, for tornado use get_tornado_handler()"
            )
    _claim(server, mode)
    if mode == "aiohttp":
        from runtime.integrations.aiohttp_mode import attach as attach_aiohttp

        attach_aiohttp(server, app, socketio_path)
    else:
        from runtime.integrations.sanic_mode import attach as attach_sanic

        attach_sanic(server, app, socketio_path)


def get_tornado_handler(server: AsyncServer) -> Any:
    """The ``tornado.web.RequestHandler`` class serving ``server`` (mount it at ``/socket.io/``)."""
    _claim(server, "tornado")
    from runtime.integrations.tornado_mode import make_handler

    return make_handler(server)


async def handle_framework_request(server: AsyncServer, request: Any) -> Any:
    """``AsyncServer.handle_request(request)`` for an aiohttp or Sanic request object."""
    mode = _app_mode(request)
    if mode == "aiohttp":
        from runtime.integrations.aiohttp_mode import handle

        return await handle(server, request)
    if mode == "sanic":
        from runtime.integrations.sanic_mode import handle as handle_sanic

        return await handle_sanic(server, request)
    raise TypeError(
        "handle_request() takes an ASGI (scope, receive, send) or an aiohttp/Sanic request"
    )
