"""The guide's sync examples: ``Server``, ``Namespace``, ``WSGIApp``/``Middleware`` and
the threading, gevent and eventlet deployments, run unchanged with
``import runtime as socketio``.

Threaded blocks are served by gunicorn's threaded worker (the guide's Gunicorn
section); blocks that start their own server (pywsgi, eventlet.wsgi, Flask's
``app.run``) run as scripts, with the guide's port swapped for a free one. The
gevent and eventlet ones run in their own venv (tests/runtime/requirements-green.txt).
Clients are python-socketio's, over polling and websocket.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from tests.seeds import harness
from tests.seeds.conftest import Drive, Serve
from tests.seeds.steps import connect, emit
from tests.seeds.test_guide_examples import (
    assert_no_traceback,
    check_class_based_namespace,
    check_sessions,
    connected,
)

pytestmark = pytest.mark.interop

SIO = "sio = socketio.Server()\n"
APP = "app = socketio.WSGIApp(sio)\n"

# The user's own WSGI application ("mywebapp" / "other_wsgi_app" in the guide).
OTHER_WSGI_APP = """
def other_wsgi_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [("other app: " + environ["PATH_INFO"]).encode()]
"""

MYWEBAPP = f"""{OTHER_WSGI_APP}
import types

# `from mywebapp import app` finds the user's web application.
mywebapp = types.ModuleType("mywebapp")
mywebapp.app = other_wsgi_app
sys.modules["mywebapp"] = mywebapp
"""

# An echo the clients can ack against: proof that events reach handlers.
ECHO = """
@sio.on("seeds:echo")
def _echo(sid, data):
    return data
"""

# For blocks that end by serving forever (nothing after them runs): every Server
# the block creates gets the echo probe at construction.
PROBED_SERVER = """
class _ProbedServer(socketio.Server):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.on("seeds:echo", lambda sid, data: data)


socketio.Server = _ProbedServer
"""


def check_serves(server: harness.Server, drive: Drive) -> None:
    """Clients connect over polling and over websocket, and get acked events through."""
    out = drive(
        server,
        [
            connect("a", transports=["polling"]),
            connect("b", transports=["websocket"]),
            emit("a", "seeds:echo", ack=True, data="over polling"),
            emit("b", "seeds:echo", ack=True, data="over websocket"),
        ],
    )
    assert connected(out.results[0]) and out.results[0]["transport"] == "polling"
    assert connected(out.results[1]) and out.results[1]["transport"] == "websocket"
    assert out.results[2:] == [{"ack": ["over polling"]}, {"ack": ["over websocket"]}]
    assert_no_traceback(server)


def check_other_wsgi_app(server: harness.Server, drive: Drive) -> None:
    """Socket.IO traffic reaches sio; everything else reaches the other WSGI app."""
    page = server.get("/hello")
    assert (page.status, page.body) == (200, b"other app: /hello")
    check_serves(server, drive)


# --- Creating a Server Instance / Running as a WSGI Application ----------------


def test_sync_server_as_wsgi_app(serve: Serve, drive: Drive) -> None:
    server = serve(
        ["guide:Creating a Server Instance#1", "guide:Running as a WSGI Application#1"],
        epilogue=ECHO,
        runner=harness.GUNICORN_THREADS,
    )
    check_serves(server, drive)
    handshake = server.get("/socket.io/?EIO=4&transport=polling")
    assert handshake.status == 200 and handshake.body.startswith(b"0{"), handshake
    assert server.get("/not-socketio").status == 404


def test_wsgi_app_with_other_app(serve: Serve, drive: Drive) -> None:
    server = serve(
        ["guide:Running as a WSGI Application#2"],
        prelude="import sys\n" + SIO + MYWEBAPP + ECHO,
        runner=harness.GUNICORN_THREADS,
    )
    check_other_wsgi_app(server, drive)


# The block builds a WSGIApp, then rebinds `sio` and `app` to the asyncio pair (the
# static-files tests serve that half). Recording the WSGIApp lets gunicorn serve the
# first half from the same unchanged module.
RECORD_WSGI_APPS = """
_wsgi_apps = []


class _RecordedWSGIApp(socketio.WSGIApp):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _wsgi_apps.append(self)


socketio.WSGIApp = _RecordedWSGIApp
static_files = {"/": "index.html", "/static": "./public"}
"""


def test_static_files_on_wsgi(serve: Serve) -> None:
    server = serve(
        ["guide:Serving Static Files#6"],
        prelude=RECORD_WSGI_APPS,
        epilogue="app = _wsgi_apps[0]\n",
        files={"index.html": b"<h1>index</h1>", "public/app.js": b"let x = 1;"},
        runner=harness.GUNICORN_THREADS,
    )
    index = server.get("/")
    assert (index.status, index.body) == (200, b"<h1>index</h1>")
    assert index.headers["content-type"].startswith("text/html")
    script = server.get("/static/app.js")
    assert (script.status, script.body) == (200, b"let x = 1;")
    assert server.get("/static/missing.js").status == 404


# --- Namespaces and sessions ----------------------------------------------------


def test_sync_class_based_namespace(serve: Serve, drive: Drive) -> None:
    server = serve(
        ["guide:Class-Based Namespaces#1"],
        prelude=SIO,
        epilogue=APP,
        runner=harness.GUNICORN_THREADS,
    )
    check_class_based_namespace(server, drive)


@pytest.mark.parametrize("key", ["guide:User Sessions#1", "guide:User Sessions#3"])
def test_sync_sessions(serve: Serve, drive: Drive, key: str) -> None:
    check_sessions(serve, drive, key, sio=SIO, app=APP, runner=harness.GUNICORN_THREADS)


# --- Concurrency: threading and gunicorn's threaded worker ----------------------


def test_threading_mode(serve: Serve, drive: Drive) -> None:
    key = "guide:Concurrency and Web Server Integration#1"
    # The deployment notes print the same line; one run covers both.
    assert harness.block("deploy:Standard Threads#1").text == harness.block(key).text
    server = serve([key], epilogue=APP + ECHO, runner=harness.GUNICORN_THREADS)
    check_serves(server, drive)


def test_gunicorn_threaded_module(serve: Serve, drive: Drive) -> None:
    server = serve(["guide:Gunicorn#1"], epilogue=ECHO, runner=harness.GUNICORN_THREADS)
    check_serves(server, drive)


def test_gunicorn_with_other_wsgi_app(serve: Serve, drive: Drive) -> None:
    server = serve(
        ["guide:Gunicorn#2"], prelude=OTHER_WSGI_APP, epilogue=ECHO, runner=harness.GUNICORN_THREADS
    )
    check_other_wsgi_app(server, drive)


def test_gunicorn_threaded_command(
    implementation: str, server_python: Path, drive: Drive, tmp_path: Path
) -> None:
    """``gunicorn --workers 1 --threads 100 --bind 127.0.0.1:5000 module:app`` as printed,
    with the Gunicorn#1 block as module.py; the one change is a free port for 5000."""
    command = shlex.split(harness.block("guide:Gunicorn#3").text.removeprefix("$ "))
    assert command[0] == "gunicorn" and "127.0.0.1:5000" in command, command
    port = harness.free_port()
    argv = [str(server_python.parent / "gunicorn")]
    argv += [f"127.0.0.1:{port}" if arg == "127.0.0.1:5000" else arg for arg in command[1:]]
    source = harness.module_source(implementation, ["guide:Gunicorn#1"], epilogue=ECHO)
    (tmp_path / "module.py").write_text(source)
    with harness.run_server(argv, tmp_path, port, harness.server_env(implementation)) as server:
        check_serves(server, drive)


# A Flask for the block that starts with Flask(__name__): app.run() listens on the
# test's free port instead of Flask's default 5000, and a view stands for the
# guide's "... Flask handler functions ...".
FLASK_ON_FREE_PORT = f"""
import flask


class Flask(flask.Flask):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_url_rule("/hello", view_func=lambda: "flask: hello")

    def run(self, host=None, port=None, **options):
        super().run(host=host, port=port or {harness.PORT_TOKEN}, **options)
"""


def test_flask_threaded_middleware(serve: Serve, drive: Drive) -> None:
    server = serve(
        ["deploy:Standard Threads#2"],
        prelude=PROBED_SERVER + FLASK_ON_FREE_PORT,
        runner=harness.SCRIPT,
    )
    check_serves(server, drive)
    page = server.get("/hello")
    assert (page.status, page.body) == (200, b"flask: hello")


# --- gevent ------------------------------------------------------------------


def test_gevent_pywsgi(serve: Serve, drive: Drive) -> None:
    server = serve(
        ["guide:Gevent#1", "guide:Gevent#2", "guide:Gevent#4"],
        prelude=PROBED_SERVER,
        runner=harness.GREEN_SCRIPT,
    )
    check_serves(server, drive)


def test_gevent_with_other_wsgi_app(serve: Serve, drive: Drive) -> None:
    server = serve(
        ["guide:Gevent#3", "guide:Gevent#4"],
        prelude=PROBED_SERVER + OTHER_WSGI_APP,
        runner=harness.GREEN_SCRIPT,
    )
    check_other_wsgi_app(server, drive)


@pytest.mark.parametrize(
    "keys",
    [
        ["deploy:Gevent#1", "deploy:Gevent#2"],  # pywsgi alone
        ["deploy:Gevent#1", "deploy:Gevent#3"],  # with gevent-websocket's handler
    ],
    ids=["pywsgi", "gevent-websocket"],
)
def test_gevent_middleware(serve: Serve, drive: Drive, keys: list[str]) -> None:
    server = serve(keys, prelude=PROBED_SERVER, runner=harness.GREEN_SCRIPT)
    check_serves(server, drive)


# --- eventlet ------------------------------------------------------------------


@pytest.mark.parametrize(
    "keys",
    [
        ["guide:Eventlet#1", "guide:Eventlet#2"],  # WSGIApp
        ["deploy:Eventlet#1", "deploy:Eventlet#2"],  # the deprecated Middleware
    ],
    ids=["WSGIApp", "Middleware"],
)
def test_eventlet_wsgi_server(serve: Serve, drive: Drive, keys: list[str]) -> None:
    server = serve(keys, prelude=PROBED_SERVER, runner=harness.GREEN_SCRIPT)
    check_serves(server, drive)
