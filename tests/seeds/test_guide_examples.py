"""Every asyncio example of the user guide, run unchanged with ``import runtime as socketio``.

Each test serves one or more guide blocks (by catalogue key) with uvicorn in a
subprocess, then checks what the guide says about them with python-socketio's
own ``AsyncClient``. Preludes give only what the guide says exists at that
point; epilogues add ``app`` and, where needed, a probe handler that lets the
client trigger a server action.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from tests.seeds import harness
from tests.seeds.conftest import Drive, Serve
from tests.seeds.steps import call, connect, crash, disconnect, emit, wait

pytestmark = pytest.mark.interop

SIO = "sio = socketio.AsyncServer()\n"
APP = "app = socketio.ASGIApp(sio)\n"


def assert_no_traceback(server: harness.Server) -> None:
    assert "Traceback" not in server.stderr(), server.stderr()


def connected(result: dict[str, object]) -> dict[str, str]:
    """The sids of a successful connect step."""
    assert result.get("ok") is True, result
    sids = result["sids"]
    assert isinstance(sids, dict)
    return sids


# --- Creating a Server Instance / Running as an ASGI Application --------------


def test_create_async_server(serve: Serve, drive: Drive) -> None:
    server = serve(["guide:Creating a Server Instance#2"], epilogue=APP)
    out = drive(server, [connect("a"), connect("b"), disconnect("a")])
    a, b = connected(out.results[0]), connected(out.results[1])
    assert a["/"] and b["/"] and a["/"] != b["/"]
    assert out.results[2] == {"ok": True}
    assert_no_traceback(server)


def test_asgi_app(serve: Serve, drive: Drive) -> None:
    server = serve(["guide:Running as an ASGI Application#1"], prelude=SIO)
    out = drive(server, [connect("a")])
    connected(out.results[0])
    # The Socket.IO endpoint answers an Engine.IO handshake; other paths are 404.
    handshake = server.get("/socket.io/?EIO=4&transport=polling")
    assert handshake.status == 200 and handshake.body.startswith(b"0{"), handshake
    assert server.get("/not-socketio").status == 404


# The user's own ASGI application ("mywebapp" / "other_asgi_app" in the guide):
# answers every HTTP request and prints its lifespan startup.
OTHER_APP = """
async def _other_app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                print("other app startup")
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    elif scope["type"] == "http":
        body = ("other app: " + scope["path"]).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": body})
"""

MYWEBAPP = f"""{OTHER_APP}
import types

# `from mywebapp import app` finds the user's web application.
mywebapp = types.ModuleType("mywebapp")
mywebapp.app = _other_app
sys.modules["mywebapp"] = mywebapp
"""


def check_other_app_bundle(server: harness.Server, drive: Drive) -> None:
    """Socket.IO traffic reaches sio; everything else reaches the other app."""
    server.wait_output("other app startup")  # the lifespan is the other app's
    page = server.get("/hello")
    assert (page.status, page.body) == (200, b"other app: /hello")
    handshake = server.get("/socket.io/?EIO=4&transport=polling")
    assert handshake.status == 200 and handshake.body.startswith(b"0{"), handshake
    out = drive(server, [connect("a")])
    connected(out.results[0])


def test_asgi_app_with_other_app(serve: Serve, drive: Drive) -> None:
    server = serve(
        ["guide:Running as an ASGI Application#2"], prelude="import sys\n" + SIO + MYWEBAPP
    )
    check_other_app_bundle(server, drive)


# --- Listening to Events ------------------------------------------------------


def check_handled(server: harness.Server, drive: Drive, events: list[str]) -> None:
    """A handled event with an ack request gets its ack; an unhandled one never does."""
    steps = [connect("a"), emit("a", "no_such_event", ack=True, label="unhandled", data=1)]
    steps += [emit("a", event, ack=True, data={"n": 1}) for event in events]
    out = drive(server, steps)
    connected(out.results[0])
    assert out.results[2:] == [{"ack": []}] * len(events)
    assert out.late == {"unhandled": "pending"}
    assert_no_traceback(server)


def test_listening_plain_handlers(serve: Serve, drive: Drive) -> None:
    server = serve(["guide:Listening to Events#1"], prelude=SIO, epilogue=APP)
    check_handled(server, drive, ["my_event", "my custom event"])


def test_listening_coroutine_handler(serve: Serve, drive: Drive) -> None:
    server = serve(["guide:Listening to Events#2"], prelude=SIO, epilogue=APP)
    check_handled(server, drive, ["my_event"])


# --- Connect and Disconnect Events --------------------------------------------


# Over polling: python-socketio's AsyncClient.disconnect() closes a websocket
# before its queued DISCONNECT is written, so any server sees 'transport close'.
def test_connect_disconnect_prints(serve: Serve, drive: Drive) -> None:
    server = serve(["guide:Connect and Disconnect Events#1"], prelude=SIO, epilogue=APP)
    out = drive(
        server,
        [
            connect("a", transports=["polling"]),
            connect("b", auth={"token": "t"}, transports=["polling"]),
            disconnect("a"),
        ],
    )
    a, b = connected(out.results[0])["/"], connected(out.results[1])["/"]
    server.wait_output(f"connect  {a}")
    server.wait_output(f"connect  {b}")  # the auth argument reaches the handler
    server.wait_output(f"disconnect  {a} client disconnect")


@pytest.mark.parametrize(
    ("prelude", "message"),
    [
        # As written: the builtin ConnectionRefusedError.
        ("", "Connection refused by server"),
        # With the class the guide names (line 251), its arguments reach the client.
        ("from socketio.exceptions import ConnectionRefusedError\n", "authentication failed"),
    ],
    ids=["builtin", "socketio.exceptions"],
)
def test_connect_refused(serve: Serve, drive: Drive, prelude: str, message: str) -> None:
    server = serve(["guide:Connect and Disconnect Events#2"], prelude=SIO + prelude, epilogue=APP)
    out = drive(server, [connect("a")])
    result = out.results[0]
    assert result["ok"] is False, result
    assert result["connect_error"] == [[{"message": message}]], result
    assert_no_traceback(server)


KICK = """
@sio.on("seeds:kick")  # probe: the client asks to be disconnected by the server
async def _kick(sid):
    await sio.disconnect(sid)
"""


def test_disconnect_reasons(serve: Serve, drive: Drive) -> None:
    server = serve(["guide:Connect and Disconnect Events#3"], prelude=SIO, epilogue=APP + KICK)
    out = drive(server, [connect("a", transports=["polling"]), disconnect("a")])
    connected(out.results[0])
    server.wait_output("the client disconnected")

    out = drive(
        server,
        [
            connect("b"),
            emit("b", "seeds:kick"),
            wait("b", "disconnect"),
        ],
    )
    connected(out.results[0])
    server.wait_output("the server disconnected the client")
    assert out.received("b", "disconnect") == [["server disconnect"]]

    out = drive(server, [connect("c", transports=["websocket"]), crash()])
    connected(out.results[0])
    server.wait_output("disconnect reason: transport close")


# --- Catch-All Event Handlers -------------------------------------------------


def check_catch_all(serve: Serve, drive: Drive, key: str) -> None:
    server = serve([key], prelude=SIO, epilogue=APP)
    # connect/disconnect are not sent to '*': (event, sid, data) would not fit them.
    out = drive(
        server,
        [
            connect("a"),
            emit("a", "anything", ack=True, data=[1, 2]),
            emit("a", "x y", ack=True, data="z"),
        ],
    )
    connected(out.results[0])
    assert out.results[1:] == [{"ack": []}, {"ack": []}]
    assert_no_traceback(server)


def test_catch_all_plain(serve: Serve, drive: Drive) -> None:
    check_catch_all(serve, drive, "guide:Catch-All Event Handlers#1")


def test_catch_all_coroutine(serve: Serve, drive: Drive) -> None:
    check_catch_all(serve, drive, "guide:Catch-All Event Handlers#2")


# --- Acknowledging Events -----------------------------------------------------


def test_handler_return_is_the_ack(serve: Serve, drive: Drive) -> None:
    server = serve(["guide:Acknowledging Events#1"], prelude=SIO, epilogue=APP)
    out = drive(
        server,
        [connect("a"), emit("a", "my_event", ack=True, data="m"), call("a", "my_event", data="m")],
    )
    connected(out.results[0])
    assert out.results[1] == {"ack": ["OK", 123]}
    assert out.results[2] == {"value": ["OK", 123]}


# --- Namespaces ---------------------------------------------------------------


def test_decorator_namespace(serve: Serve, drive: Drive) -> None:
    server = serve(["guide:Decorator-Based Namespaces#1"], prelude=SIO, epilogue=APP)
    out = drive(
        server,
        [
            connect("a", ["/", "/chat"]),
            emit("a", "my_custom_event", ack=True, label="default namespace", data=1),
            emit("a", "my_custom_event", "/chat", ack=True, data=1),
            emit("a", "my custom event", "/chat", ack=True, data=1),
        ],
    )
    sids = connected(out.results[0])
    assert sids["/"] != sids["/chat"]  # separate sids per namespace
    assert out.results[2:] == [{"ack": []}, {"ack": []}]
    assert out.late == {"default namespace": "pending"}  # /chat handlers only


def test_class_based_namespace(serve: Serve, drive: Drive) -> None:
    server = serve(["guide:Class-Based Namespaces#2"], prelude=SIO, epilogue=APP)
    check_class_based_namespace(server, drive)


def check_class_based_namespace(server: harness.Server, drive: Drive) -> None:
    """The guide's MyCustomNamespace on /test: on_my_event answers every /test client."""
    out = drive(
        server,
        [
            connect("a", ["/test"]),
            connect("b", ["/test"]),
            connect("c", ["/"]),
            emit("a", "no_method", "/test", ack=True, label="ignored", data=0),
            emit("a", "my_event", "/test", data={"text": "hello"}),
            wait("a", "my_response", "/test"),
            wait("b", "my_response", "/test"),
        ],
    )
    for result in out.results[:3]:
        connected(result)
    assert out.results[5:] == [{"ok": True}, {"ok": True}]
    # self.emit() defaults to the namespace's own: every /test client, only those.
    assert out.received("a", "my_response", "/test") == [[{"text": "hello"}]]
    assert out.received("b", "my_response", "/test") == [[{"text": "hello"}]]
    assert out.received("c", "my_response", "/") == []
    # No on_no_method: no handler runs, but (as in python-socketio) the ack comes, empty.
    assert out.late == {"ignored": []}
    assert_no_traceback(server)


def test_catch_all_namespace_event(serve: Serve, drive: Drive) -> None:
    server = serve(
        ["guide:Decorator-Based Namespaces#1", "guide:Catch-All Namespaces#1"],
        prelude=SIO,
        epilogue=APP,
    )
    out = drive(
        server,
        [
            connect("a", ["/", "/chat"]),
            emit("a", "my_event", ack=True, data=1),
            emit("a", "my_event", "/chat", ack=True, data=1),
            emit("a", "other_event", "/chat", ack=True, label="other event", data=1),
            emit("a", "my_custom_event", "/chat", ack=True, data=1),
        ],
    )
    connected(out.results[0])
    assert out.results[1:3] == [{"ack": []}, {"ack": []}]
    assert out.results[4] == {"ack": []}
    assert out.late == {"other event": "pending"}


# The user's class for '*' (the guide reuses the name MyCustomNamespace): handlers
# of a catch-all namespace get the namespace first, as the guide says of catch-all
# namespace functions (line 508). The guide's line-463 class takes no namespace
# argument; under '*' python-socketio fails its connect with a TypeError.
CATCH_ALL_CLASS = """
class MyCustomNamespace(socketio.AsyncNamespace):
    async def on_connect(self, namespace, sid, environ):
        print("connect", namespace, sid)

    async def on_my_event(self, namespace, sid, data):
        return namespace, data
"""


def test_catch_all_namespace_class(serve: Serve, drive: Drive) -> None:
    server = serve(["guide:Catch-All Namespaces#2"], prelude=SIO + CATCH_ALL_CLASS, epilogue=APP)
    out = drive(server, [connect("a"), emit("a", "my_event", ack=True, data="d")])
    sid = connected(out.results[0])["/"]
    assert out.results[1] == {"ack": ["/", "d"]}
    server.wait_output(f"connect / {sid}")


def test_catch_all_event_and_namespace(serve: Serve, drive: Drive) -> None:
    server = serve(
        ["guide:Decorator-Based Namespaces#1", "guide:Catch-All Namespaces#3"],
        prelude=SIO,
        epilogue=APP,
    )
    out = drive(
        server,
        [
            connect("a", ["/", "/chat"]),
            emit("a", "anything", ack=True, data=1),
            emit("a", "anything", "/chat", ack=True, data=1),
        ],
    )
    connected(out.results[0])
    assert out.results[1:] == [{"ack": []}, {"ack": []}]
    assert_no_traceback(server)


# --- User Sessions ------------------------------------------------------------

# The user's own authentication (the guide leaves it to the application): the
# user name comes from a request header, read from the WSGI-style environ.
AUTHENTICATE = """
def authenticate_user(environ):
    return environ["HTTP_X_USERNAME"]
"""


def check_sessions(
    serve: Serve,
    drive: Drive,
    key: str,
    sio: str = SIO,
    app: str = APP,
    runner: harness.Runner = harness.UVICORN,
) -> None:
    server = serve([key], prelude=sio + AUTHENTICATE, epilogue=app, runner=runner)
    out = drive(
        server,
        [
            connect("a", headers={"X-Username": "alice"}),
            connect("b", headers={"X-Username": "bob"}),
            # send() is emit('message'); the ack tells the handler has run.
            emit("b", "message", ack=True, data="hi"),
            emit("a", "message", ack=True, data="hi"),
        ],
    )
    connected(out.results[0])
    connected(out.results[1])
    server.wait_output("message from  alice")
    server.wait_output("message from  bob")
    assert_no_traceback(server)


def test_session_save_get(serve: Serve, drive: Drive) -> None:
    check_sessions(serve, drive, "guide:User Sessions#2")


def test_session_context_manager(serve: Serve, drive: Drive) -> None:
    check_sessions(serve, drive, "guide:User Sessions#4")


# --- Deployment: Uvicorn ------------------------------------------------------


def test_uvicorn_module(serve: Serve, drive: Drive) -> None:
    key = "guide:Uvicorn (and other ASGI web servers)#1"
    # The deployment notes print the same block; one run covers both.
    assert (
        harness.block("deploy:Uvicorn, Daphne, and other ASGI servers#1").text
        == harness.block(key).text
    )
    server = serve([key])
    out = drive(
        server, [connect("a", transports=["websocket"]), connect("b", transports=["polling"])]
    )
    assert connected(out.results[0]) and out.results[0]["transport"] == "websocket"
    assert connected(out.results[1]) and out.results[1]["transport"] == "polling"


def test_uvicorn_with_other_asgi_app(serve: Serve, drive: Drive) -> None:
    server = serve(
        ["guide:Uvicorn (and other ASGI web servers)#2"],
        prelude=OTHER_APP + "other_asgi_app = _other_app\n",
    )
    check_other_app_bundle(server, drive)


def test_uvicorn_command(
    implementation: str, server_python: Path, drive: Drive, tmp_path: Path
) -> None:
    """``uvicorn --port 5000 module:app`` with the block at line 782 as module.py.

    The one change is the port number: a free one instead of 5000.
    """
    command = shlex.split(harness.block("guide:Uvicorn (and other ASGI web servers)#3").text)
    assert command[:2] == ["uvicorn", "--port"] and command[3] == "module:app", command
    port = harness.free_port()
    argv = [str(server_python.parent / "uvicorn"), "--port", str(port), *command[3:]]
    source = harness.module_source(implementation, ["guide:Uvicorn (and other ASGI web servers)#1"])
    (tmp_path / "module.py").write_text(source)
    with harness.run_server(argv, tmp_path, port, harness.server_env(implementation)) as server:
        out = drive(server, [connect("a")])
        connected(out.results[0])


def test_gunicorn_uvicorn_worker_command(
    implementation: str, server_python: Path, drive: Drive, tmp_path: Path
) -> None:
    """``gunicorn --workers 1 --worker-class uvicorn.workers.UvicornWorker --bind
    127.0.0.1:5000`` with the block at line 782 as module.py. The guide's command stops
    before the application; ``module:app`` is appended, and a free port replaces 5000."""
    key = "guide:Uvicorn (and other ASGI web servers)#4"
    command = shlex.split(harness.block(key).text)
    assert command[0] == "gunicorn" and "127.0.0.1:5000" in command, command
    port = harness.free_port()
    argv = [str(server_python.parent / "gunicorn")]
    argv += [f"127.0.0.1:{port}" if arg == "127.0.0.1:5000" else arg for arg in command[1:]]
    argv.append("module:app")
    source = harness.module_source(implementation, ["guide:Uvicorn (and other ASGI web servers)#1"])
    (tmp_path / "module.py").write_text(source)
    with harness.run_server(argv, tmp_path, port, harness.server_env(implementation)) as server:
        out = drive(
            server, [connect("a", transports=["websocket"]), connect("b", transports=["polling"])]
        )
        assert connected(out.results[0]) and out.results[0]["transport"] == "websocket"
        assert connected(out.results[1]) and out.results[1]["transport"] == "polling"
