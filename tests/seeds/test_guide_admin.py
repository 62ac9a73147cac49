"""Monitoring and Administration: ``sio.instrument()`` for the Socket.IO Admin UI.

The guide's block runs unchanged on the sync ``Server`` (gunicorn threads); its
asyncio form (``AsyncServer``, guide lines 11-12) on uvicorn. The Admin UI's side is
played by python-socketio's client on ``/admin``: it must get the events the UI
reads (config, server_stats, socket and room and event notices) and its commands
(emit, join, _disconnect) must act on the server's clients.
"""

from __future__ import annotations

import pytest

from tests.seeds import harness
from tests.seeds.conftest import Drive, Serve
from tests.seeds.steps import connect, emit, wait
from tests.seeds.test_guide_examples import assert_no_traceback, connected

pytestmark = pytest.mark.interop

BLOCK = "guide:Monitoring and Administration#1"
PASSWORD = "s3cret-for-tests"
ADMIN_AUTH = {"username": "admin", "password": PASSWORD}

ECHO = """
@sio.on("seeds:echo")
def _echo(sid, data):
    return data
"""

FORMS = {
    "sync": ([BLOCK], "socketio.WSGIApp(sio)", harness.GUNICORN_THREADS),
    "asyncio": (
        [],
        "socketio.ASGIApp(sio)",
        harness.UVICORN,
    ),
}

# The guide's block with the asyncio server: "the methods in the two servers are the same".
ASYNC_FORM = harness.block(BLOCK).text.replace("socketio.Server(", "socketio.AsyncServer(")


@pytest.mark.parametrize("form", sorted(FORMS))
def test_admin_ui_instrumentation(
    serve: Serve, drive: Drive, form: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks, app, runner = FORMS[form]
    monkeypatch.setenv("ADMIN_PASSWORD", PASSWORD)  # the block reads it from the environment
    prelude = "" if blocks else ASYNC_FORM
    server = serve(blocks, prelude=prelude, epilogue=f"app = {app}\n{ECHO}", runner=runner)
    out = drive(
        server,
        [
            connect("intruder", ["/admin"], auth={"username": "admin", "password": "wrong"}),
            connect("admin", ["/admin"], auth=ADMIN_AUTH),
            wait("admin", "config", "/admin"),
            wait("admin", "server_stats", "/admin"),
            connect("user"),
            emit("user", "seeds:echo", ack=True, data=1),
            wait("admin", "event_received", "/admin"),
            # Admin commands: emit to every "/" client, join them to a room, disconnect them.
            emit("admin", "emit", "/admin", args=["/", None, "from admin", "hi"]),
            wait("user", "from admin"),
            emit("admin", "join", "/admin", args=["/", "lobby"]),
            wait("admin", "room_joined", "/admin"),
            emit("admin", "_disconnect", "/admin", args=["/", False]),
            wait("admin", "socket_disconnected", "/admin"),
        ],
    )
    refused = out.results[0]
    assert refused["ok"] is False and "authentication failed" in str(refused), refused
    connected(out.results[1])
    user_sid = connected(out.results[4])["/"]
    assert out.results[5] == {"ack": [1]}
    assert all(r == {"ok": True} for r in out.results[6:]), out.results

    [[config]] = out.received("admin", "config", "/admin")
    assert set(config["supportedFeatures"]) >= {"AGGREGATED_EVENTS", "EMIT", "ALL_EVENTS"}
    stats = out.received("admin", "server_stats", "/admin")[0][0]
    assert stats["pid"] > 0 and stats["clientsCount"] >= 1
    assert {"name": "/admin", "socketsCount": 1} in stats["namespaces"]

    connects = out.received("admin", "socket_connected", "/admin")
    mine = [args[0] for args in connects if args[0]["id"] == user_sid]
    assert mine and mine[0]["nsp"] == "/" and mine[0]["handshake"]["url"].startswith("/socket.io/")
    received = out.received("admin", "event_received", "/admin")
    assert ["/", user_sid, ["seeds:echo", 1]] == received[0][:3]
    sent = out.received("admin", "event_sent", "/admin")
    assert ["/", user_sid, ["from admin", "hi"]] in [args[:3] for args in sent]
    assert out.received("user", "from admin") == [["hi"]]
    joined = out.received("admin", "room_joined", "/admin")
    assert ["/", "lobby", user_sid] in [args[:3] for args in joined]
    [gone] = out.received("admin", "socket_disconnected", "/admin")
    assert gone[:2] == ["/", user_sid]
    assert_no_traceback(server)
