"""The interop app on the sync ``Server``, behind ``WSGIApp``, for every WSGI mode.

The handlers are those of ``server_app.py`` (written once, for ``AsyncServer``):
here they are registered on a ``Server`` through two small adapters, so the
interop runners and checks apply unchanged to the sync server.

* ``AwaitableServer``: the sync ``Server`` with ``AsyncServer``'s API; the methods
  that ``AsyncServer`` makes awaitable return an awaitable that is already
  complete, and ``session()`` is also an async context manager;
* ``run_to_completion``: turns a shared ``async def`` handler into the plain
  function the sync server calls, by stepping its coroutine once (it never
  suspends, since everything it awaits is already complete).

Served by (``--server``): Werkzeug (``threaded=True``), gevent's pywsgi with or
without gevent-websocket, eventlet.wsgi; or imported by Gunicorn and uWSGI as
``create_app()`` / ``application``, configured by the ``LIVE_*`` environment
variables. ``GET /state?tag=T`` and ``GET /health`` are served by the ``wsgi_app``
behind ``WSGIApp``. Same command line as ``server_app.py`` (plus ``--server``).
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import os
import sys
from collections.abc import Callable, Coroutine, Generator, Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from types import SimpleNamespace, TracebackType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from server_app import IMPLS, Recorder, load_impl, register_handlers, server_options

SERVERS = ("werkzeug", "gevent", "gevent-websocket", "eventlet")
# the async_mode each --server runs (Gunicorn and uWSGI set LIVE_ASYNC_MODE)
SERVER_MODES = {
    "werkzeug": "threading",
    "gevent": "gevent",
    "gevent-websocket": "gevent",
    "eventlet": "eventlet",
}


class Ready:
    """An awaitable whose result is already there."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __await__(self) -> Generator[Any, None, Any]:
        return self.value
        yield  # a generator that returns without suspending


class AsyncSession:
    """``async with`` over the sync server's ``session()`` context manager."""

    def __init__(self, manager: AbstractContextManager[Any]) -> None:
        self._manager = manager

    async def __aenter__(self) -> Any:
        return self._manager.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        return self._manager.__exit__(exc_type, exc, tb)


class AwaitableServer:
    """A sync ``Server`` seen through ``AsyncServer``'s API (see the module docstring)."""

    AWAITABLE = frozenset(
        {
            "emit",
            "send",
            "call",
            "enter_room",
            "leave_room",
            "close_room",
            "disconnect",
            "save_session",
            "get_session",
            "sleep",
        }
    )

    def __init__(self, server: Any) -> None:
        self._server = server

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._server, name)
        if name not in self.AWAITABLE:
            return target

        @functools.wraps(target)
        def awaitable(*args: Any, **kwargs: Any) -> Ready:
            return Ready(target(*args, **kwargs))

        return awaitable

    def session(self, sid: str, namespace: str | None = None) -> AsyncSession:
        return AsyncSession(self._server.session(sid, namespace=namespace))


def run_to_completion(handler: Callable[..., Any]) -> Callable[..., Any]:
    """The sync form of a shared ``async def`` handler (same signature, for arity checks)."""

    @functools.wraps(handler)
    def run(*args: Any) -> Any:
        coroutine: Coroutine[Any, Any, Any] = handler(*args)
        try:
            coroutine.send(None)
        except StopIteration as done:
            return done.value
        coroutine.close()
        raise RuntimeError(f"{handler.__name__} suspended: it awaited something not complete")

    return run


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
        async_mode=async_mode, **server_options(serializer, ping_interval, ping_timeout)
    )
    register_handlers(sio, AwaitableServer(sio), sio_module.exceptions, recorder, run_to_completion)
    return sio


def state_app(recorder: Recorder, info: dict[str, Any]) -> Callable[..., Iterable[bytes]]:
    """The ``wsgi_app`` behind the server: ``/state`` and ``/health`` as JSON."""
    from urllib.parse import parse_qs

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
    """The WSGI app; unset arguments come from ``LIVE_*`` variables (Gunicorn, uWSGI)."""
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
    info = {
        "impl": impl,
        "async_mode": sio.async_mode,
        "serializer": serializer,
        "ping_interval": interval,
        "ping_timeout": timeout,
        "pid": os.getpid(),
    }
    return sio_module.WSGIApp(sio, state_app(recorder, info))


def _impl(impl: str) -> Any:
    module = load_impl(impl)
    if hasattr(module, "Server") and hasattr(module, "WSGIApp"):
        return module
    # while ``runtime/__init__.py`` does not export the sync names
    from runtime.server import Server
    from runtime.wsgi import WSGIApp

    return SimpleNamespace(Server=Server, WSGIApp=WSGIApp, exceptions=module.exceptions)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--impl", default=os.environ.get("SIO_IMPL", "runtime"), choices=IMPLS)
    parser.add_argument("--serializer", default="default", choices=["default", "msgpack"])
    parser.add_argument("--ping-interval", type=float, default=25.0)
    parser.add_argument("--ping-timeout", type=float, default=20.0)
    parser.add_argument("--port-file", type=Path, required=True)
    parser.add_argument("--server", default="werkzeug", choices=SERVERS)
    args = parser.parse_args(argv)

    def ready(port: int) -> None:
        tmp = args.port_file.with_suffix(".tmp")
        tmp.write_text(str(port))
        tmp.replace(args.port_file)  # atomic: readers never see a partial number
        print(f"serving {args.impl}/{args.server} on 127.0.0.1:{port}", file=sys.stderr)

    def app() -> Any:
        return create_app(
            args.impl,
            SERVER_MODES[args.server],
            args.serializer,
            args.ping_interval,
            args.ping_timeout,
        )

    if args.server == "werkzeug":
        import logging

        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request

        server = make_server("127.0.0.1", 0, app(), threaded=True)
        ready(server.server_port)
        server.serve_forever()
        return
    # the green libraries live in .venvs/deploy only: imported by name
    if args.server == "eventlet":
        eventlet: Any = importlib.import_module("eventlet")
        eventlet_wsgi: Any = importlib.import_module("eventlet.wsgi")
        listener = eventlet.listen(("127.0.0.1", 0))
        ready(listener.getsockname()[1])
        eventlet_wsgi.server(listener, app(), log_output=False)
        return
    pywsgi: Any = importlib.import_module("gevent.pywsgi")
    kwargs: dict[str, Any] = {"log": None}
    if args.server == "gevent-websocket":
        handler: Any = importlib.import_module("geventwebsocket.handler")
        kwargs["handler_class"] = handler.WebSocketHandler
    gevent_server = pywsgi.WSGIServer(("127.0.0.1", 0), app(), **kwargs)
    gevent_server.start()
    ready(gevent_server.server_port)
    gevent_server.serve_forever()


if __name__ == "__main__":
    main()
