"""The benchmark server in a sync mode, written once for both implementations.

``BENCH_SERVER_IMPL=runtime|python-socketio``, ``--mode threading|gevent|gevent-raw``: a
``Server(async_mode=mode)`` + ``WSGIApp`` with the handlers of ``server_app.py``,
served by the same WSGI server for both implementations, as each one's docs
recommend:

* threading: Gunicorn, one ``gthread`` worker with ``--threads`` threads (a
  connected websocket holds one request thread in both implementations, so the
  thread count bounds the clients). python-engineio needs simple-websocket for
  websocket in this mode; runtime speaks RFC 6455 itself on ``gunicorn.socket``.
* gevent: ``gevent.pywsgi.WSGIServer`` with gevent-websocket's ``WebSocketHandler``
  (the example of python-socketio's guide), after ``monkey.patch_all()`` (which its
  guide recommends; runtime does not need it but runs the same way for fairness).
* gevent-raw: the same ``async_mode="gevent"`` on plain ``pywsgi`` without
  gevent-websocket: python-engineio then uses simple-websocket, runtime its own
  RFC 6455 code on the raw socket. It shows what the websocket layer costs.

Both run from the pysio-bench venv (runtime from ``PYTHONPATH``), so the WSGI
servers are the same files. Standalone: stdlib + the implementation + the server.
Prints ``READY {json}`` from the process that serves (Gunicorn: the worker, a child
of the started process), with its PID, once listening on an OS-chosen port.
"""

from __future__ import annotations

import argparse
import importlib
import sys

MODES = ("threading", "gevent", "gevent-raw")


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", required=True, choices=MODES)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--threads", type=int, default=2200, help="gthread threads (threading)")
    return parser.parse_args()


ARGS = _parse() if __name__ == "__main__" else None
GREEN = ARGS is not None and ARGS.mode.startswith("gevent")
if GREEN:  # before anything imports socket or threading
    importlib.import_module("gevent.monkey").patch_all()
if ARGS is not None and ARGS.mode == "gevent-raw":
    # as if gevent-websocket were not installed: python-engineio then falls back to
    # simple-websocket (it only does when the import fails); runtime is unaffected
    sys.modules["geventwebsocket"] = None  # type: ignore[assignment]

import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
from importlib import metadata  # noqa: E402
from typing import Any  # noqa: E402

IMPL_ENV = "BENCH_SERVER_IMPL"
MODULES = {"runtime": "runtime", "python-socketio": "socketio"}
MAX_BROADCAST = 10_000  # bound on events one trigger may ask for


def build_app(socketio: Any, mode: str) -> Any:
    sio = socketio.Server(async_mode=mode)

    def echo(sid: str, data: Any) -> Any:
        return data

    def join(sid: str, room: str) -> str:
        sio.enter_room(sid, room)
        return room

    def bcast(sid: str, spec: dict[str, Any]) -> int:
        count = min(int(spec["n"]), MAX_BROADCAST)
        room = str(spec["room"])
        for i in range(count):
            sio.emit("tick", i, to=room)
        return count

    for handler in (echo, join, bcast):
        sio.on(handler.__name__, handler)
    return socketio.WSGIApp(sio)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "-"


def server_info(impl: str, mode: str, port: int, socketio: Any, extra: dict[str, Any]) -> str:
    info = {
        "impl": impl,
        "mode": mode,
        "pid": os.getpid(),
        "port": port,
        "python": platform.python_version(),
        "executable": sys.executable,
        "module": getattr(socketio, "__file__", None),
        "impl_version": _version(
            "python-socketio" if impl == "python-socketio" else "sdkgen-socketio"
        ),
        "engineio_version": _version("python-engineio"),
        "gunicorn": _version("gunicorn"),
        "gevent": _version("gevent"),
        "gevent-websocket": _version("gevent-websocket"),
        "simple-websocket": _version("simple-websocket"),
        "wsproto": _version("wsproto"),
        "options": {"mode": mode, **extra},
    }
    return "READY " + json.dumps(info)


def serve_gunicorn(impl: str, socketio: Any, host: str, threads: int) -> None:
    # the servers live in the pysio-bench venv only: imported by name
    base: Any = importlib.import_module("gunicorn.app.base")

    options = {
        "bind": f"{host}:0",
        "workers": 1,
        "worker_class": "gthread",
        "threads": threads,
        "worker_connections": threads + 100,
        "backlog": 4096,
        "graceful_timeout": 1,
        "timeout": 300,  # a busy worker must not be killed as stuck mid-scenario
        "loglevel": "warning",
        "accesslog": None,
    }

    def post_worker_init(worker: Any) -> None:
        port = worker.sockets[0].getsockname()[1]
        print(server_info(impl, "threading", port, socketio, {"threads": threads}), flush=True)

    class Bench(base.BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in {**options, "post_worker_init": post_worker_init}.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return build_app(socketio, "threading")

    Bench().run()


def serve_gevent(impl: str, socketio: Any, host: str, with_handler: bool) -> None:
    pywsgi: Any = importlib.import_module("gevent.pywsgi")
    kwargs: dict[str, Any] = {"backlog": 4096, "log": None}
    if with_handler:
        handler: Any = importlib.import_module("geventwebsocket.handler")
        kwargs["handler_class"] = handler.WebSocketHandler
    server = pywsgi.WSGIServer((host, 0), build_app(socketio, "gevent"), **kwargs)
    server.start()
    extra = {"gevent-websocket handler": with_handler}
    print(server_info(impl, "gevent", server.server_port, socketio, extra), flush=True)
    server.serve_forever()


def main(args: argparse.Namespace) -> None:
    impl = os.environ.get(IMPL_ENV, "")
    if impl not in MODULES:
        sys.exit(f"{IMPL_ENV} must be one of {list(MODULES)}, got {impl!r}")
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        sys.exit("the benchmark server only binds loopback addresses")
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    socketio = importlib.import_module(MODULES[impl])
    if args.mode == "threading":
        serve_gunicorn(impl, socketio, args.host, args.threads)
    else:
        serve_gevent(impl, socketio, args.host, with_handler=args.mode == "gevent")


if __name__ == "__main__" and ARGS is not None:
    main(ARGS)
