"""The interop server app, written as a python-socketio user would write it.

The same code runs on our ``runtime`` and on python-socketio: ``SIO_IMPL`` (or
``--impl``) picks ``import runtime as socketio`` or ``import socketio``. It is
served by uvicorn in a subprocess started by the interop fixtures; the socket is
bound here (port 0, chosen by the OS) and its port written to ``--port-file``.

Observation: ``other_asgi_app`` serves ``GET /state?tag=T`` with what the server
recorded for the connections whose auth carried ``tag=T`` (connects,
disconnects with reasons, callbacks), and ``GET /health``. Tests poll it.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import importlib
import json
import os
import socket
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar
from urllib.parse import parse_qs

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])

IMPLS = {"runtime": "runtime", "python-socketio": "socketio"}


def load_impl(name: str) -> ModuleType:
    """``import runtime as socketio`` or ``import socketio``, by name."""
    return importlib.import_module(IMPLS[name])


def describe(value: Any) -> Any:
    """A JSON view of a decoded payload that keeps bytes distinguishable.

    Must match ``describe`` in the JS and Python runners: short bytes as hex,
    long bytes as length + sha256 (keeps the JSON lines small).
    """
    if isinstance(value, bytes | bytearray):
        raw = bytes(value)
        if len(raw) <= 64:
            return {"$bytes": raw.hex()}
        return {"$bytes_len": len(raw), "$sha256": hashlib.sha256(raw).hexdigest()}
    if isinstance(value, list | tuple):
        return [describe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): describe(v) for k, v in value.items()}
    return value


class Recorder:
    """What the server saw, grouped by the client-chosen ``tag`` in the auth."""

    def __init__(self) -> None:
        self.by_tag: dict[str, dict[str, list[Any]]] = {}
        self.tags: dict[tuple[str, str], str] = {}  # (namespace, sid) -> tag
        self.seq: dict[tuple[str, str], list[Any]] = {}

    def bucket(self, tag: str) -> dict[str, list[Any]]:
        return self.by_tag.setdefault(
            tag, {"connects": [], "rejects": [], "disconnects": [], "callbacks": []}
        )

    def connect(self, namespace: str, sid: str, auth: Any, transport: str) -> None:
        tag = auth_field(auth, "tag")
        if tag is None:
            return
        self.tags[(namespace, sid)] = tag
        self.bucket(tag)["connects"].append(
            {"namespace": namespace, "sid": sid, "transport": transport, "auth": describe(auth)}
        )

    def reject(self, namespace: str, auth: Any, why: str) -> None:
        tag = auth_field(auth, "tag")
        if tag is not None:
            self.bucket(tag)["rejects"].append({"namespace": namespace, "why": why})

    def disconnect(self, namespace: str, sid: str, reason: Any) -> None:
        tag = self.tags.pop((namespace, sid), None)
        self.seq.pop((namespace, sid), None)
        if tag is not None:
            self.bucket(tag)["disconnects"].append(
                {"namespace": namespace, "sid": sid, "reason": reason}
            )

    def callback(self, namespace: str, sid: str, args: tuple[Any, ...]) -> None:
        tag = self.tags.get((namespace, sid))
        if tag is not None:
            self.bucket(tag)["callbacks"].append({"sid": sid, "args": describe(list(args))})


def auth_field(auth: Any, key: str) -> str | None:
    if isinstance(auth, dict):
        value = auth.get(key)
        return value if isinstance(value, str) else None
    return None


def query_transport(environ: dict[str, Any]) -> str:
    """The transport of the request that carried the CONNECT (from the query string)."""
    query: str = environ.get("QUERY_STRING", "")
    return parse_qs(query).get("transport", ["?"])[0]


def build_server(
    sio_module: ModuleType,
    recorder: Recorder,
    *,
    serializer: str,
    ping_interval: float,
    ping_timeout: float,
    async_mode: str = "asgi",
) -> Any:
    """The ``AsyncServer`` of the interop app (``async_mode``: any asyncio mode)."""
    sio: Any = sio_module.AsyncServer(
        async_mode=async_mode, **server_options(serializer, ping_interval, ping_timeout)
    )
    register_handlers(sio, sio, sio_module.exceptions, recorder)
    return sio


def server_options(serializer: str, ping_interval: float, ping_timeout: float) -> dict[str, Any]:
    """The options of the interop server, sync or async."""
    return {
        "cors_allowed_origins": "*",
        "serializer": serializer,
        "ping_interval": ping_interval,
        "ping_timeout": ping_timeout,
        "namespaces": ["/", "/chat", "/other"],
    }


def _as_is(handler: HandlerT) -> HandlerT:
    return handler


def register_handlers(
    sio: Any,
    api: Any,
    exceptions: Any,
    recorder: Recorder,
    adapt: Callable[[Callable[..., Any]], Callable[..., Any]] = _as_is,
) -> None:
    """The interop handlers, written once for ``AsyncServer``.

    ``sio`` is the server they are registered on; ``api`` is what they call, with
    ``AsyncServer``'s API (``sio`` itself, or the sync ``Server`` behind an adapter
    whose awaitables are already complete, see ``sync_app.py``); ``adapt`` turns
    each handler into what ``sio`` calls.
    """

    def on(event: str, namespace: str | None = None) -> Callable[[HandlerT], HandlerT]:
        """``sio.on`` with a type: the impl module is untyped here."""

        def register(handler: HandlerT) -> HandlerT:
            sio.on(event, namespace=namespace)(adapt(handler))
            return handler

        return register

    # -- default namespace: connect / disconnect ------------------------------

    @on("connect")
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> Any:
        token = auth_field(auth, "token")
        if token == "bad":
            recorder.reject("/", auth, "bad token")
            raise exceptions.ConnectionRefusedError("bad token", {"code": 4001, "hint": "renew"})
        if token == "false":
            recorder.reject("/", auth, "returned False")
            return False
        recorder.connect("/", sid, auth, query_transport(environ))
        return None

    @on("disconnect")
    async def disconnect(sid: str, reason: Any = None) -> None:
        recorder.disconnect("/", sid, reason)

    # -- acks -------------------------------------------------------------------

    @on("whoami")
    async def whoami(sid: str) -> dict[str, Any]:
        return {"sid": sid, "transport": api.transport(sid), "rooms": sorted(api.rooms(sid))}

    @on("echo")
    async def echo(sid: str, *args: Any) -> tuple[Any, ...]:
        return tuple(args)  # a tuple is sent back as multiple ack arguments

    @on("multi")
    async def multi(sid: str) -> tuple[Any, ...]:
        return ("one", 2, {"three": [3]}, None)

    @on("sync")
    async def sync(sid: str) -> str:
        return "ok"

    @on("please_call")
    async def please_call(sid: str, a: Any, b: Any) -> dict[str, Any]:
        answer = await api.call("question", (a, b), to=sid, timeout=10)
        return {"answer": answer}

    @on("please_call_timeout")
    async def please_call_timeout(sid: str) -> dict[str, Any]:
        try:
            answer = await api.call("question_ignored", "are you there?", to=sid, timeout=0.5)
        except exceptions.TimeoutError as exc:
            return {"timeout": True, "error": type(exc).__name__}
        return {"timeout": False, "answer": answer}

    @on("please_emit_cb")
    async def please_emit_cb(sid: str, payload: Any) -> str:
        def on_ack(*args: Any) -> None:
            recorder.callback("/", sid, args)
            api.start_background_task(api.emit, "cb_done", list(args), to=sid)

        await api.emit("ping_me", payload, to=sid, callback=on_ack)
        return "sent"

    # -- binary -------------------------------------------------------------------

    @on("bin_echo")
    async def bin_echo(sid: str, data: Any) -> dict[str, Any]:
        await api.emit("bin_back", (b"\xde\xad\xbe\xef", {"list": [b"\x01", b"\x02\x03"]}), to=sid)
        return {
            "echo": data,
            "seen": describe(data),
            "made": b"\x00\x01\xfe\xff",
            "nested": [b"abc", {"deep": b"\x00"}],
        }

    # -- rooms --------------------------------------------------------------------

    @on("join")
    async def join(sid: str, room: str) -> list[str]:
        await api.enter_room(sid, room)
        return sorted(api.rooms(sid))

    @on("leave")
    async def leave(sid: str, room: str) -> list[str]:
        await api.leave_room(sid, room)
        return sorted(api.rooms(sid))

    @on("to_room")
    async def to_room(sid: str, room: Any, payload: Any, skip_self: bool = False) -> str:
        target = tuple(room) if isinstance(room, list) else room
        await api.emit("room_msg", payload, to=target, skip_sid=sid if skip_self else None)
        return "ok"

    @on("close")
    async def close(sid: str, room: str) -> str:
        await api.close_room(room)
        return "ok"

    # -- sessions -----------------------------------------------------------------

    @on("sess_set")
    async def sess_set(sid: str, key: str, value: Any) -> str:
        await api.save_session(sid, {key: value})
        return "ok"

    @on("sess_ctx")
    async def sess_ctx(sid: str, key: str, value: Any) -> str:
        async with api.session(sid) as session:
            session[key] = value
        return "ok"

    @on("sess_get")
    async def sess_get(sid: str) -> Any:
        return dict(await api.get_session(sid))

    # -- server-side disconnect ---------------------------------------------------

    @on("kick_me")
    async def kick_me(sid: str) -> None:
        await api.disconnect(sid)

    # -- ordering -----------------------------------------------------------------

    @on("seq")
    async def seq(sid: str, n: Any) -> None:
        # recorded before any await, so handler tasks keep arrival order
        recorder.seq.setdefault(("/", sid), []).append(n)

    @on("seq_done")
    async def seq_done(sid: str) -> list[Any]:
        return recorder.seq.pop(("/", sid), [])

    @on("burst_back")
    async def burst_back(sid: str, count: int) -> int:
        for i in range(count):
            await api.emit("burst", i, to=sid)
        return count

    # -- catch-alls -------------------------------------------------------------

    @on("*")
    async def catch_all(event: str, sid: str, *data: Any) -> tuple[Any, ...]:
        return ("catch-all", event, sid, list(data))

    @on("connect", namespace="*")
    async def any_connect(
        namespace: str, sid: str, environ: dict[str, Any], auth: Any = None
    ) -> None:
        recorder.connect(namespace, sid, auth, query_transport(environ))

    @on("disconnect", namespace="*")
    async def any_disconnect(namespace: str, sid: str, reason: Any = None) -> None:
        recorder.disconnect(namespace, sid, reason)

    @on("*", namespace="*")
    async def any_namespace(event: str, namespace: str, sid: str, *data: Any) -> tuple[Any, ...]:
        return ("any-namespace", event, namespace, sid, list(data))

    # -- /chat: function handlers; they take precedence over the '*' namespace ones --

    @on("connect", namespace="/chat")
    async def chat_connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        recorder.connect("/chat", sid, auth, query_transport(environ))

    @on("disconnect", namespace="/chat")
    async def chat_disconnect(sid: str, reason: Any = None) -> None:
        recorder.disconnect("/chat", sid, reason)

    @on("say", namespace="/chat")
    async def chat_say(sid: str, text: str) -> dict[str, Any]:
        await api.emit("said", {"text": text, "from": sid}, to=sid, namespace="/chat")
        return {"ok": True, "sid": sid, "namespace": "/chat"}

    @on("whoami", namespace="/chat")
    async def chat_whoami(sid: str) -> dict[str, Any]:
        return {"sid": sid, "transport": api.transport(sid, namespace="/chat")}

    @on("sess_ctx", namespace="/chat")
    async def chat_sess_ctx(sid: str, key: str, value: Any) -> str:
        async with api.session(sid, namespace="/chat") as session:
            session[key] = value
        return "ok"

    @on("sess_get", namespace="/chat")
    async def chat_sess_get(sid: str) -> Any:
        return dict(await api.get_session(sid, namespace="/chat"))


def state_app(recorder: Recorder, info: dict[str, Any]) -> Callable[..., Awaitable[None]]:
    """The ``other_asgi_app``: a tiny JSON endpoint over the recorder."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        query = parse_qs(scope.get("query_string", b"").decode())
        body: Any
        if scope["path"] == "/state":
            tag = query.get("tag", [""])[0]
            status, body = 200, recorder.by_tag.get(tag) or recorder.bucket(tag)
        elif scope["path"] == "/health":
            status, body = 200, info
        else:
            status, body = 404, {"error": "not found"}
        raw = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(raw)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": raw})

    return app


def build_app(
    impl: str, serializer: str = "default", ping_interval: float = 25, ping_timeout: float = 20
) -> Any:
    sio_module = load_impl(impl)
    recorder = Recorder()
    sio = build_server(
        sio_module,
        recorder,
        serializer=serializer,
        ping_interval=ping_interval,
        ping_timeout=ping_timeout,
    )
    info = {
        "impl": impl,
        "serializer": serializer,
        "ping_interval": ping_interval,
        "ping_timeout": ping_timeout,
        "pid": os.getpid(),
    }
    return sio_module.ASGIApp(sio, other_asgi_app=state_app(recorder, info))


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--impl", default=os.environ.get("SIO_IMPL", "runtime"), choices=IMPLS)
    parser.add_argument("--serializer", default="default", choices=["default", "msgpack"])
    parser.add_argument("--ping-interval", type=float, default=25.0)
    parser.add_argument("--ping-timeout", type=float, default=20.0)
    parser.add_argument("--port-file", type=Path, required=True)
    args = parser.parse_args(argv)

    app = build_app(args.impl, args.serializer, args.ping_interval, args.ping_timeout)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # the OS picks a free port; no race with other tests
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    tmp = args.port_file.with_suffix(".tmp")
    tmp.write_text(str(port))
    tmp.replace(args.port_file)  # atomic: readers never see a partial number
    print(f"serving {args.impl}/{args.serializer} on 127.0.0.1:{port}", file=sys.stderr, flush=True)
    asyncio.run(server.serve(sockets=[sock]))


if __name__ == "__main__":
    main()
