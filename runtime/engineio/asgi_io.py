"""ASGI translation helpers of the Engine.IO edge, and the eager coroutine starter.

Pure plumbing with no Engine.IO logic: scope -> ``HttpRequest``, reading a bounded
request body, writing an ``HttpResponse``, refusing a websocket handshake, and
``run_eagerly``, which runs a coroutine inline until it first has to wait and only
then hands it to a task (so writing a frame the server takes at once costs no task).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from runtime.eager import start_eagerly
from runtime.engineio.http import HttpRequest, HttpResponse

__all__ = [
    "ClientGone",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "deny_websocket",
    "header_pairs",
    "make_request",
    "read_body",
    "run_eagerly",
    "send_response",
]

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_WS_SCHEMES = {"ws": "http", "wss": "https"}


class ClientGone(Exception):
    """The HTTP client disconnected before its request was read."""


def header_pairs(headers: Sequence[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    """ASGI header list: lower-case latin-1 names and values."""
    return [
        (name.lower().encode("latin-1"), value.encode("latin-1", "replace"))
        for name, value in headers
    ]


def make_request(scope: Scope, body: bytes, websocket: bool) -> HttpRequest:
    """Translate an ASGI http/websocket scope into the core's ``HttpRequest``."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers") or ():
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        previous = headers.get(name)
        headers[name] = value if previous is None else previous + ", " + value
    scheme = scope.get("scheme") or ("ws" if websocket else "http")
    if websocket:
        headers.setdefault("upgrade", "websocket")
        scheme = _WS_SCHEMES.get(scheme, scheme)
    client = scope.get("client")
    server = scope.get("server")
    return HttpRequest(
        method="GET" if websocket else scope.get("method", "GET"),
        path=scope.get("path", ""),
        query_string=(scope.get("query_string") or b"").decode("latin-1"),
        headers=headers,
        body=body,
        scheme=scheme,
        client=(client[0], client[1]) if client else None,
        server=(server[0], server[1]) if server else None,
        root_path=scope.get("root_path", ""),
        extra={"asgi.scope": scope},
    )


async def read_body(scope: Scope, receive: Receive, limit: int) -> tuple[bytes, bool]:
    """The request body, or (b"", True) once it exceeds ``limit`` bytes.

    Raises ``ClientGone`` if the client disconnects first.
    """
    for name, value in scope.get("headers") or ():
        if name.lower() == b"content-length":
            try:
                if int(value) > limit:
                    return b"", True
            except ValueError:
                pass
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body") or b""
        if chunk:
            size += len(chunk)
            if size > limit:
                return b"", True
            chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), False


async def send_response(send: Send, response: HttpResponse) -> None:
    """Write a complete response (a client that went away is not an error)."""
    try:
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": header_pairs(response.headers),
            }
        )
        await send({"type": "http.response.body", "body": response.body})
    except OSError:  # the client went away; nothing to tell it
        pass


async def deny_websocket(scope: Scope, send: Send, response: HttpResponse) -> None:
    """Refuse a websocket handshake: with an HTTP response when the server supports it."""
    extensions = scope.get("extensions") or {}
    try:
        if "websocket.http.response" in extensions:
            await send(
                {
                    "type": "websocket.http.response.start",
                    "status": response.status,
                    "headers": header_pairs(response.headers),
                }
            )
            await send({"type": "websocket.http.response.body", "body": response.body})
        else:
            await send({"type": "websocket.close", "code": 1008})
    except OSError:
        pass


def run_eagerly(
    coro: Coroutine[Any, Any, None],
    loop: asyncio.AbstractEventLoop,
    tasks: set[asyncio.Task[None]],
    log: logging.Logger,
) -> None:
    """Run ``coro`` inline until it first waits; a task on ``loop`` takes over only then.

    The task is kept in ``tasks`` until it finishes (asyncio holds tasks weakly).
    Errors raised before the first wait are logged, as a task would report them.
    """
    try:
        task = start_eagerly(coro, loop)
    except Exception:
        log.exception("engine background error")
        return
    if task is None:
        return
    tasks.add(task)
    task.add_done_callback(tasks.discard)
