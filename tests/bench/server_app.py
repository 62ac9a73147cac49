"""The benchmark server, written once for both implementations.

``BENCH_SERVER_IMPL=runtime`` serves ``import runtime as socketio``;
``BENCH_SERVER_IMPL=python-socketio`` serves ``import socketio`` (from the
pysio-bench virtualenv). Both run as ``AsyncServer`` + ``ASGIApp`` on uvicorn
with the options given on the command line, which the runner passes identically.
``BENCH_SERVER_IMPL=asgi-floor`` serves asgi_floor.py the same way (reference).

Standalone on purpose (stdlib + uvicorn + the implementation only): the
python-socketio copy runs under another interpreter that cannot import ``tests``.
It binds its own loopback socket on an OS-chosen port and prints one line
``READY {json}`` (port, versions) once uvicorn has started.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import resource
import socket
import sys
from importlib import metadata
from typing import Any

import uvicorn

IMPL_ENV = "BENCH_SERVER_IMPL"
MODULES = {"runtime": "runtime", "python-socketio": "socketio"}
FLOOR = "asgi-floor"  # asgi_floor.py: the least an ASGI app on this uvicorn can do
MAX_BROADCAST = 10_000  # bound on events one trigger may ask for


def load(impl: str) -> Any:
    socketio: Any = importlib.import_module(MODULES[impl])
    if not hasattr(socketio, "AsyncServer") or not hasattr(socketio, "ASGIApp"):
        where = getattr(socketio, "__file__", None) or list(getattr(socketio, "__path__", []))
        sys.exit(f"{MODULES[impl]} (from {where}) has no AsyncServer/ASGIApp")
    return socketio


def build_app(socketio: Any, redis_url: str = "", channel: str = "socketio") -> Any:
    """The app; with ``redis_url``, a node of a cluster on ``AsyncRedisManager`` (issue #4)."""
    manager = socketio.AsyncRedisManager(redis_url, channel=channel) if redis_url else None
    sio = socketio.AsyncServer(async_mode="asgi", client_manager=manager)

    async def echo(sid: str, data: Any) -> Any:
        return data

    async def join(sid: str, room: str) -> str:
        await sio.enter_room(sid, room)
        return room

    async def bcast(sid: str, spec: dict[str, Any]) -> int:
        count = min(int(spec["n"]), MAX_BROADCAST)
        room = str(spec["room"])
        for i in range(count):
            await sio.emit("tick", i, to=room)
        return count

    for handler in (echo, join, bcast):
        sio.on(handler.__name__, handler)
    if socketio.__name__ == "runtime":
        add_typed_echo(sio)
    return socketio.ASGIApp(sio)


PLAIN_NS = "/plain"


def add_typed_echo(sio: Any) -> None:
    """Issue #5: one acked contract event, through generated code and by hand.

    ``presence:set`` of the example contract, on ``/chat`` through the generated
    ``ChatNamespace`` (payload validated into ``SetPresence``, ack ``PresenceAccepted``
    dumped into the ``{"ok": true, "data": ...}`` envelope), and the same event on
    ``/plain`` answered by a plain handler with the same bytes, unvalidated.
    runtime only: the generated code imports ``runtime.typed`` and the contracts.
    """
    from contracts.chat import PresenceAccepted, SetPresence
    from generated.server.chat import ChatNamespace

    chat = ChatNamespace()

    @chat.on(SetPresence)
    async def set_presence(sid: str, payload: SetPresence) -> PresenceAccepted:
        return PresenceAccepted(status=payload.status, note=payload.note)

    chat.register(sio)

    async def plain_set_presence(sid: str, data: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "data": {"status": data["status"], "note": data.get("note")}}

    sio.on("presence:set", plain_set_presence, namespace=PLAIN_NS)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "-"


class _Server(uvicorn.Server):
    """Prints READY once listening, so the runner never races the startup."""

    ready_line = ""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if not self.should_exit:
            print(self.ready_line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--loop", default="uvloop")
    parser.add_argument("--http", default="httptools")
    parser.add_argument("--ws", default="websockets-sansio")
    parser.add_argument("--redis", default="", help="Redis URL: a cluster node (pub/sub)")
    parser.add_argument("--channel", default="socketio", help="the nodes' pub/sub channel")
    args = parser.parse_args()
    impl = os.environ.get(IMPL_ENV, "")
    if impl not in MODULES and impl != FLOOR:
        sys.exit(f"{IMPL_ENV} must be one of {[*MODULES, FLOOR]}, got {impl!r}")
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        sys.exit("the benchmark server only binds loopback addresses")

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    if impl == FLOOR:
        socketio = importlib.import_module("tests.bench.asgi_floor")
        app = socketio.app
    else:
        socketio = load(impl)
        app = build_app(socketio, args.redis, args.channel)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, 0))
    sock.listen(4096)
    config = uvicorn.Config(
        app,
        loop=args.loop,
        http=args.http,
        ws=args.ws,
        lifespan="off",
        access_log=False,
        log_level="warning",
        backlog=4096,
    )
    server = _Server(config)
    info = {
        "impl": impl,
        "pid": os.getpid(),
        "port": sock.getsockname()[1],
        "python": platform.python_version(),
        "executable": sys.executable,
        "module": getattr(socketio, "__file__", None),
        "impl_version": _version(
            "python-socketio" if impl == "python-socketio" else "sdkgen-socketio"
        ),
        "engineio_version": _version("python-engineio"),
        "uvicorn": _version("uvicorn"),
        "websockets": _version("websockets"),
        "uvloop": _version("uvloop"),
        "httptools": _version("httptools"),
        "redis": _version("redis"),
        "options": {"loop": args.loop, "http": args.http, "ws": args.ws},
    }
    server.ready_line = "READY " + json.dumps(info)
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
