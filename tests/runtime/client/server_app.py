"""The runtime server the client tests talk to (run by uvicorn in a subprocess).

Usage: ``python server_app.py PORT [default|msgpack] [PING_SECONDS]``. The behaviour matches
``node/server.js`` event for event, so one test body runs against both servers.
"""

from __future__ import annotations

import sys
from typing import Any

import uvicorn

import runtime
from runtime.exceptions import ConnectionRefusedError

NAMESPACES = ("/", "/chat")


def build(serializer: str, ping: float) -> Any:
    sio = runtime.AsyncServer(
        async_mode="asgi",
        serializer=serializer,
        namespaces=[*NAMESPACES, "/private"],
        ping_interval=ping,
        ping_timeout=ping,
    )
    auths: dict[tuple[str, str], Any] = {}
    headers: dict[tuple[str, str], Any] = {}

    def register(ns: str) -> None:
        async def connect(sid: str, environ: Any, auth: Any = None) -> None:
            if isinstance(auth, dict) and auth.get("token") == "bad":
                raise ConnectionRefusedError("bad token", {"code": 42})
            auths[(ns, sid)] = auth
            headers[(ns, sid)] = environ.get("HTTP_X_TEST")

        async def echo(sid: str, *args: Any) -> Any:
            return tuple(args)

        async def echo_emit(sid: str, *args: Any) -> None:
            await sio.emit("echoed", tuple(args), to=sid, namespace=ns)

        async def whoami(sid: str, *args: Any) -> Any:
            return auths.get((ns, sid))

        async def ask(sid: str, question: Any) -> None:
            try:
                answer = await sio.call("question", question, to=sid, namespace=ns, timeout=5)
            except runtime.exceptions.TimeoutError:
                answer = "timeout"
            await sio.emit("answered", answer, to=sid, namespace=ns)

        async def kick(sid: str, *args: Any) -> None:
            await sio.disconnect(sid, namespace=ns)

        async def transport(sid: str, *args: Any) -> Any:
            return sio.transport(sid, namespace=ns)

        async def header(sid: str, *args: Any) -> Any:
            return headers.get((ns, sid))

        async def watch(sid: str, *args: Any) -> None:
            await sio.enter_room(sid, "watchers", namespace=ns)

        async def disconnect(sid: str, reason: str) -> None:
            await sio.emit("left", reason, room="watchers", namespace=ns)

        for name, fn in (
            ("connect", connect),
            ("echo", echo),
            ("echo_emit", echo_emit),
            ("whoami", whoami),
            ("ask", ask),
            ("kick", kick),
            ("transport", transport),
            ("watch", watch),
            ("header", header),
            ("disconnect", disconnect),
        ):
            sio.on(name, fn, namespace=ns)

    for ns in NAMESPACES:
        register(ns)

    async def private_connect(sid: str, environ: Any, auth: Any = None) -> None:
        raise ConnectionRefusedError("private", {"why": "no"})

    sio.on("connect", private_connect, namespace="/private")
    return runtime.ASGIApp(sio)


if __name__ == "__main__":
    port = int(sys.argv[1])
    serializer = sys.argv[2] if len(sys.argv) > 2 else "default"
    ping = float(sys.argv[3]) if len(sys.argv) > 3 else 20.0
    uvicorn.run(build(serializer, ping), host="127.0.0.1", port=port, log_level="warning")
