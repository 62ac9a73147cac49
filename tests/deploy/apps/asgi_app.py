"""An async Socket.IO app for Uvicorn's Gunicorn worker: ``socketio.ASGIApp(sio, other)``."""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import runtime as socketio

sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins="*")


@sio.event
async def echo(sid: str, data: Any) -> dict[str, Any]:
    return {"echo": data, "async_mode": sio.async_mode, "transport": sio.transport(sid)}


async def other_asgi_app(
    scope: MutableMapping[str, Any],
    receive: Callable[[], Awaitable[Any]],
    send: Callable[[Any], Awaitable[None]],
) -> None:
    if scope["type"] != "http":
        return
    body = json.dumps({"async_mode": sio.async_mode, "pid": os.getpid()}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


app = socketio.ASGIApp(sio, other_asgi_app)
