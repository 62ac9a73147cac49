"""The guide's aiohttp, Tornado and Sanic deployments, run unchanged on ``runtime``.

Each test pastes the section's blocks, in order, into a script that serves itself
(``harness.SCRIPT``), then python-socketio's ``AsyncClient`` connects over polling
and over websocket and gets acked events through. The preludes give what the guide
takes for granted (the framework imports, Tornado's ``port``) and a probe handler
registered by every ``AsyncServer`` the blocks create; the one change to how a block
runs is its port: a free one instead of the framework's default (8080 for aiohttp,
8000 for Sanic).
"""

from __future__ import annotations

import pytest

from tests.seeds import harness
from tests.seeds.conftest import Drive, Serve
from tests.seeds.steps import connect, emit

pytestmark = pytest.mark.interop

# Every AsyncServer the blocks create answers the probes: an echo, and its async_mode.
PROBED_ASYNC_SERVER = """
class _ProbedServer(socketio.AsyncServer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.on("seeds:echo", lambda sid, data: data)
        self.on("seeds:mode", lambda sid, data=None: self.async_mode)


socketio.AsyncServer = _ProbedServer
"""

AIOHTTP = f"""{PROBED_ASYNC_SERVER}
import functools

from aiohttp import web

# web.run_app(app) listens on aiohttp's default port (8080): a free one instead.
web.run_app = functools.partial(web.run_app, host="127.0.0.1", port={harness.PORT_TOKEN})
"""

TORNADO = f"""{PROBED_ASYNC_SERVER}
import tornado.ioloop
import tornado.web

port = {harness.PORT_TOKEN}
"""

# The deployment notes' Sanic section prints aiohttp's `app = web.Application()`;
# here `web.Application()` makes the Sanic application the section is about.
# Sanic runs in one process (no worker manager), so that stopping the server by its
# PID stops everything; and on a free port instead of its default (8000).
SANIC = f"""{PROBED_ASYNC_SERVER}
import types

from sanic import Sanic


class _SeedsSanic(Sanic):
    def run(self, *args, **kwargs):
        kwargs.setdefault("port", {harness.PORT_TOKEN})
        kwargs.setdefault("single_process", True)
        kwargs.setdefault("motd", False)
        super().run(*args, **kwargs)


web = types.SimpleNamespace(Application=lambda: _SeedsSanic("seedapp"))
"""


@pytest.fixture(autouse=True)
def runtime_only(implementation: str) -> None:
    if implementation != "runtime":
        # the reference venv carries python-socketio's client, not these servers
        pytest.skip("the reference run serves asgi only (no tornado/sanic in its venv)")


def check_serves(server: harness.Server, drive: Drive, mode: str) -> None:
    """Polling and websocket clients connect and get acked events; the server is in ``mode``."""
    out = drive(
        server,
        [
            connect("a", transports=["polling"]),
            connect("b", transports=["websocket"]),
            connect("c"),  # polling, then the upgrade to websocket
            emit("a", "seeds:echo", ack=True, data="over polling"),
            emit("b", "seeds:echo", ack=True, data="over websocket"),
            emit("c", "seeds:echo", ack=True, data="after the upgrade"),
            emit("a", "seeds:mode", ack=True, data=None),
        ],
    )
    transports = [result.get("transport") for result in out.results[:3]]
    assert all(result.get("ok") for result in out.results[:3]), out.results
    assert transports[:2] == ["polling", "websocket"], out.results
    assert out.results[3:6] == [
        {"ack": ["over polling"]},
        {"ack": ["over websocket"]},
        {"ack": ["after the upgrade"]},
    ], out.results
    assert out.results[6] == {"ack": [mode]}
    assert "Traceback" not in server.stderr(), server.stderr()


def test_aiohttp_attach(serve: Serve, drive: Drive) -> None:
    keys = ["guide:Aiohttp#1", "guide:Aiohttp#2", "guide:Aiohttp#3"]
    # The deployment notes print the same three blocks; one run covers both.
    for key in keys:
        twin = key.replace("guide:Aiohttp", "deploy:aiohttp")
        assert harness.block(twin).text == harness.block(key).text
    server = serve(keys, prelude=AIOHTTP, runner=harness.SCRIPT)
    check_serves(server, drive, "aiohttp")
    assert server.get("/not-socketio").status == 404


def test_tornado_handler(serve: Serve, drive: Drive) -> None:
    keys = ["guide:Tornado#1", "guide:Tornado#2", "guide:Tornado#3"]
    for key in ("guide:Tornado#1", "guide:Tornado#3"):  # the notes' #2 differs: see below
        twin = key.replace("guide:", "deploy:")
        assert harness.block(twin).text == harness.block(key).text
    server = serve(keys, prelude=TORNADO, runner=harness.SCRIPT)
    check_serves(server, drive, "tornado")
    assert server.get("/not-socketio").status == 404


def test_tornado_deploy_notes_route(serve: Serve) -> None:
    """The notes mount the handler at ``/socketio.io/`` (sic): it serves Engine.IO there."""
    keys = ["deploy:Tornado#1", "deploy:Tornado#2", "deploy:Tornado#3"]
    server = serve(keys, prelude=TORNADO, runner=harness.SCRIPT)
    handshake = server.get("/socketio.io/?EIO=4&transport=polling")
    assert handshake.status == 200 and handshake.body.startswith(b"0{"), handshake
    assert server.get("/socket.io/?EIO=4&transport=polling").status == 404


def test_sanic_attach(serve: Serve, drive: Drive) -> None:
    keys = ["deploy:Sanic#1", "deploy:Sanic#2", "deploy:Sanic#3"]
    server = serve(keys, prelude=SANIC, runner=harness.SCRIPT)
    check_serves(server, drive, "sanic")
    assert server.get("/not-socketio").status == 404
