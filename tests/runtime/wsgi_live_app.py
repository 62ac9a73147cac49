"""The interop server app in its sync form: ``socketio.Server`` behind ``WSGIApp``.

The same handlers as ``tests/interop/apps/server_app.py`` (written there for
``AsyncServer``), as a python-socketio user writes them for ``Server``, so the
interop runners and checks apply unchanged. Served by a real WSGI server:

* ``python wsgi_live_app.py --port-file F``: Werkzeug, ``threaded=True``;
* ``gunicorn --threads N 'tests.runtime.wsgi_live_app:create_app()'``, configured
  by the ``LIVE_*`` environment variables.

``GET /state?tag=T`` and ``GET /health`` are served by the ``wsgi_app`` behind it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[0] / "interop" / "apps"))

from server_app import Recorder, auth_field, describe, load_impl, query_transport  # noqa: E402

HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])


def build_server(
    sio_module: Any,
    recorder: Recorder,
    *,
    async_mode: str,
    serializer: str,
    ping_interval: float,
    ping_timeout: float,
) -> Any:
    sio: Any = sio_module.Server(
        async_mode=async_mode,
        cors_allowed_origins="*",
        serializer=serializer,
        ping_interval=ping_interval,
        ping_timeout=ping_timeout,
        namespaces=["/", "/chat", "/other"],
    )
    exceptions: Any = sio_module.exceptions

    def on(event: str, namespace: str | None = None) -> Callable[[HandlerT], HandlerT]:
        decorator: Callable[[HandlerT], HandlerT] = sio.on(event, namespace=namespace)
        return decorator

    @on("connect")
    def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> Any:
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
    def disconnect(sid: str, reason: Any = None) -> None:
        recorder.disconnect("/", sid, reason)

    @on("whoami")
    def whoami(sid: str) -> dict[str, Any]:
        return {"sid": sid, "transport": sio.transport(sid), "rooms": sorted(sio.rooms(sid))}

    @on("echo")
    def echo(sid: str, *args: Any) -> tuple[Any, ...]:
        return tuple(args)

    @on("multi")
    def multi(sid: str) -> tuple[Any, ...]:
        return ("one", 2, {"three": [3]}, None)

    @on("sync")
    def sync(sid: str) -> str:
        return "ok"

    @on("please_call")
    def please_call(sid: str, a: Any, b: Any) -> dict[str, Any]:
        return {"answer": sio.call("question", (a, b), to=sid, timeout=10)}

    @on("please_call_timeout")
    def please_call_timeout(sid: str) -> dict[str, Any]:
        try:
            answer = sio.call("question_ignored", "are you there?", to=sid, timeout=0.5)
        except exceptions.TimeoutError as exc:
            return {"timeout": True, "error": type(exc).__name__}
        return {"timeout": False, "answer": answer}

    @on("please_emit_cb")
    def please_emit_cb(sid: str, payload: Any) -> str:
        def on_ack(*args: Any) -> None:
            recorder.callback("/", sid, args)
            sio.start_background_task(sio.emit, "cb_done", list(args), to=sid)

        sio.emit("ping_me", payload, to=sid, callback=on_ack)
        return "sent"

    @on("bin_echo")
    def bin_echo(sid: str, data: Any) -> dict[str, Any]:
        sio.emit("bin_back", (b"\xde\xad\xbe\xef", {"list": [b"\x01", b"\x02\x03"]}), to=sid)
        return {
            "echo": data,
            "seen": describe(data),
            "made": b"\x00\x01\xfe\xff",
            "nested": [b"abc", {"deep": b"\x00"}],
        }

    @on("join")
    def join(sid: str, room: str) -> list[str]:
        sio.enter_room(sid, room)
        return sorted(sio.rooms(sid))

    @on("leave")
    def leave(sid: str, room: str) -> list[str]:
        sio.leave_room(sid, room)
        return sorted(sio.rooms(sid))

    @on("to_room")
    def to_room(sid: str, room: Any, payload: Any, skip_self: bool = False) -> str:
        target = tuple(room) if isinstance(room, list) else room
        sio.emit("room_msg", payload, to=target, skip_sid=sid if skip_self else None)
        return "ok"

    @on("close")
    def close(sid: str, room: str) -> str:
        sio.close_room(room)
        return "ok"

    @on("sess_set")
    def sess_set(sid: str, key: str, value: Any) -> str:
        sio.save_session(sid, {key: value})
        return "ok"

    @on("sess_ctx")
    def sess_ctx(sid: str, key: str, value: Any) -> str:
        with sio.session(sid) as session:
            session[key] = value
        return "ok"

    @on("sess_get")
    def sess_get(sid: str) -> Any:
        return dict(sio.get_session(sid))

    @on("kick_me")
    def kick_me(sid: str) -> None:
        sio.disconnect(sid)

    @on("seq")
    def seq(sid: str, n: Any) -> None:
        recorder.seq.setdefault(("/", sid), []).append(n)

    @on("seq_done")
    def seq_done(sid: str) -> list[Any]:
        return recorder.seq.pop(("/", sid), [])

    @on("burst_back")
    def burst_back(sid: str, count: int) -> int:
        for i in range(count):
            sio.emit("burst", i, to=sid)
        return count

    @on("*")
    def catch_all(event: str, sid: str, *data: Any) -> tuple[Any, ...]:
        return ("catch-all", event, sid, list(data))

    @on("connect", namespace="*")
    def any_connect(namespace: str, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        recorder.connect(namespace, sid, auth, query_transport(environ))

    @on("disconnect", namespace="*")
    def any_disconnect(namespace: str, sid: str, reason: Any = None) -> None:
        recorder.disconnect(namespace, sid, reason)

    @on("*", namespace="*")
    def any_namespace(event: str, namespace: str, sid: str, *data: Any) -> tuple[Any, ...]:
        return ("any-namespace", event, namespace, sid, list(data))

    @on("connect", namespace="/chat")
    def chat_connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        recorder.connect("/chat", sid, auth, query_transport(environ))

    @on("disconnect", namespace="/chat")
    def chat_disconnect(sid: str, reason: Any = None) -> None:
        recorder.disconnect("/chat", sid, reason)

    @on("say", namespace="/chat")
    def chat_say(sid: str, text: str) -> dict[str, Any]:
        sio.emit("said", {"text": text, "from": sid}, to=sid, namespace="/chat")
        return {"ok": True, "sid": sid, "namespace": "/chat"}

    @on("whoami", namespace="/chat")
    def chat_whoami(sid: str) -> dict[str, Any]:
        return {"sid": sid, "transport": sio.transport(sid, namespace="/chat")}

    @on("sess_ctx", namespace="/chat")
    def chat_sess_ctx(sid: str, key: str, value: Any) -> str:
        with sio.session(sid, namespace="/chat") as session:
            session[key] = value
        return "ok"

    @on("sess_get", namespace="/chat")
    def chat_sess_get(sid: str) -> Any:
        return dict(sio.get_session(sid, namespace="/chat"))

    return sio


def state_app(recorder: Recorder, info: dict[str, Any]) -> Callable[..., Iterable[bytes]]:
    """The ``wsgi_app`` behind the server: ``/state`` and ``/health`` as JSON."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        path = environ.get("PATH_INFO", "")
        body: Any
        if path == "/state":
            tag = query.get("tag", [""])[0]
            status, body = "200 OK", recorder.by_tag.get(tag) or recorder.bucket(tag)
        elif path == "/health":
            status, body = "200 OK", info
        else:
            status, body = "404 Not Found", {"error": "not found"}
        raw = json.dumps(body).encode()
        start_response(
            status, [("Content-Type", "application/json"), ("Content-Length", str(len(raw)))]
        )
        return [raw]

    return app


def create_app(
    impl: str | None = None,
    async_mode: str | None = None,
    serializer: str | None = None,
    ping_interval: float | None = None,
    ping_timeout: float | None = None,
) -> Any:
    """The WSGI app; unset arguments come from ``LIVE_*`` variables (for gunicorn)."""
    env = os.environ
    impl = impl or env.get("LIVE_IMPL", "runtime")
    async_mode = async_mode or env.get("LIVE_ASYNC_MODE", "threading")
    serializer = serializer or env.get("LIVE_SERIALIZER", "default")
    interval = ping_interval or float(env.get("LIVE_PING_INTERVAL", "25"))
    timeout = ping_timeout or float(env.get("LIVE_PING_TIMEOUT", "20"))
    sio_module = _impl(impl)
    recorder = Recorder()
    sio = build_server(
        sio_module,
        recorder,
        async_mode=async_mode,
        serializer=serializer,
        ping_interval=interval,
        ping_timeout=timeout,
    )
    info = {"impl": impl, "async_mode": sio.async_mode, "pid": os.getpid()}
    return sio_module.WSGIApp(sio, state_app(recorder, info))


def _impl(impl: str) -> Any:
    module = load_impl(impl)
    if hasattr(module, "Server") and hasattr(module, "WSGIApp"):
        return module
    # until ``runtime/__init__.py`` exports the sync names
    from types import SimpleNamespace

    from runtime.server import Server
    from runtime.wsgi import WSGIApp

    return SimpleNamespace(Server=Server, WSGIApp=WSGIApp, exceptions=module.exceptions)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port-file", type=Path, required=True)
    parser.add_argument(
        "--server",
        default="werkzeug",
        choices=["werkzeug", "gevent", "gevent-websocket", "eventlet"],
    )
    args = parser.parse_args(argv)

    def ready(port: int) -> None:
        tmp = args.port_file.with_suffix(".tmp")
        tmp.write_text(str(port))
        tmp.replace(args.port_file)  # atomic: readers never see a partial number

    if args.server == "werkzeug":
        from werkzeug.serving import make_server

        server = make_server("127.0.0.1", 0, create_app(), threaded=True)
        ready(server.server_port)
        server.serve_forever()
        return
    if args.server == "eventlet":
        import eventlet
        import eventlet.wsgi

        listener = eventlet.listen(("127.0.0.1", 0))
        ready(listener.getsockname()[1])
        eventlet.wsgi.server(listener, create_app(async_mode="eventlet"), log_output=False)
        return
    from gevent import pywsgi

    kwargs: dict[str, Any] = {"log": None}
    if args.server == "gevent-websocket":
        from geventwebsocket.handler import WebSocketHandler

        kwargs["handler_class"] = WebSocketHandler
    app = create_app(async_mode="gevent")
    gevent_server = pywsgi.WSGIServer(("127.0.0.1", 0), app, **kwargs)
    gevent_server.start()
    ready(gevent_server.server_port)
    gevent_server.serve_forever()


if __name__ == "__main__":
    main()
