"""Guide sections whose examples are written for the sync ``Server``, or which have no
example at all, run in both forms: the sync blocks unchanged on ``Server`` (served by
gunicorn's threaded worker, as the guide's Gunicorn section deploys it), and their
asyncio form on ``AsyncServer``.

The guide (lines 11-12): "The methods in the two servers are the same, with the
only difference that in the asyncio server most methods are implemented as
coroutines." Each asyncio ``*_FORMS`` below is a sync block of the guide with exactly
that difference applied (``await``, ``async def``); its line is named beside it. The
sync forms paste the blocks themselves, unchanged, into probe handlers.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import pytest

from tests.seeds import harness
from tests.seeds.conftest import Drive, Serve
from tests.seeds.steps import connect, emit, reply, wait

pytestmark = pytest.mark.interop

SIO = "sio = socketio.AsyncServer()\n"
APP = "app = socketio.ASGIApp(sio)\n"

# Probes: the client asks the server to run a guide call; the ack (sent after the
# call returned) orders it before anything the client does next.
EMIT_FORMS = """
@sio.on("seeds:broadcast")
async def _broadcast(sid):
    # guide line 303
    await sio.emit('my event', {'data': 'foobar'})

@sio.on("seeds:emit_to")
async def _emit_to(sid, user_sid):
    # guide line 316
    await sio.emit('my event', {'data': 'foobar'}, to=user_sid)

@sio.on("seeds:call")
async def _call(sid, user_sid):
    # guide line 350
    response = await sio.call('my event', {'data': 'foobar'}, to=user_sid)
    return response

@sio.on("seeds:callback")
async def _callback(sid, user_sid):
    # guide lines 358-361
    def my_callback():
        print("callback invoked!")

    await sio.emit('my event', {'data': 'foobar'}, to=user_sid, callback=my_callback)

@sio.on("seeds:fence")
async def _fence(sid):
    pass
"""


def inside(key: str) -> str:
    """A guide block, unchanged, as the body of a probe handler."""
    return textwrap.indent(harness.block(key).text, "    ")


SYNC_EMIT_FORMS = f"""
@sio.on("seeds:broadcast")
def _broadcast(sid):
{inside("guide:Emitting Events to Clients#1")}

@sio.on("seeds:emit_to")
def _emit_to(sid, user_sid):
{inside("guide:Emitting Events to Clients#2")}

@sio.on("seeds:call")
def _call(sid, user_sid):
{inside("guide:Requesting Client Acknowledgements#1")}
    return response

@sio.on("seeds:callback")
def _callback(sid, user_sid):
{inside("guide:Requesting Client Acknowledgements#2")}

@sio.on("seeds:fence")
def _fence(sid):
    pass
"""

FOOBAR = [{"data": "foobar"}]


def serve_emits(serve: Serve, form: Form) -> harness.Server:
    return serve(prelude=form.sio, epilogue=form.emit_forms + form.app, runner=form.runner)


def fence(client: str) -> dict[str, object]:
    """An acked round trip: whatever the server sent ``client`` before has arrived."""
    return emit(client, "seeds:fence", ack=True)


def test_emit_broadcast(serve: Serve, drive: Drive, form: Form) -> None:
    server = serve_emits(serve, form)
    out = drive(
        server,
        [connect("a"), connect("b"), emit("a", "seeds:broadcast", ack=True), wait("b", "my event")],
    )
    assert out.results[2:] == [{"ack": []}, {"ok": True}]
    assert out.received("a", "my event") == [FOOBAR]
    assert out.received("b", "my event") == [FOOBAR]


def test_emit_to_one_client(serve: Serve, drive: Drive, form: Form) -> None:
    server = serve_emits(serve, form)
    out = drive(
        server,
        [
            connect("a"),
            connect("b"),
            connect("c"),
            emit("a", "seeds:emit_to", ack=True, sid_of="b"),
            wait("b", "my event"),
            fence("c"),
        ],
    )
    assert out.results[3:] == [{"ack": []}, {"ok": True}, {"ack": []}]
    assert out.received("b", "my event") == [FOOBAR]
    assert out.received("a", "my event") == []  # its ack came after any such event
    assert out.received("c", "my event") == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [("pong", ["pong"]), (["several", 2], ["several", 2]), (None, [])],
    ids=["one value", "several values", "no value"],
)
def test_call_waits_for_ack(
    serve: Serve, drive: Drive, form: Form, value: object, expected: object
) -> None:
    server = serve_emits(serve, form)
    out = drive(
        server,
        [
            reply("b", "my event", value),
            connect("a"),
            connect("b"),
            emit("a", "seeds:call", ack=True, sid_of="b"),
        ],
    )
    # call() returned what b's handler returned (a tuple for several values), and
    # the probe returned that as its own ack.
    assert out.results[3] == {"ack": expected}
    assert out.received("b", "my event") == [FOOBAR]


def test_emit_callback(serve: Serve, drive: Drive, form: Form) -> None:
    server = serve_emits(serve, form)
    out = drive(
        server, [connect("a"), connect("b"), emit("a", "seeds:callback", ack=True, sid_of="b")]
    )
    assert out.results[2] == {"ack": []}
    server.wait_output("callback invoked!")


ROOM_FORMS = """
# guide line 382
@sio.event
async def begin_chat(sid):
    await sio.enter_room(sid, 'chat_users')

@sio.event
async def exit_chat(sid):
    await sio.leave_room(sid, 'chat_users')

# guide line 398
@sio.event
async def my_message(sid, data):
    await sio.emit('my reply', data, room='chat_users', skip_sid=sid)

@sio.on("seeds:to_room")
async def _to_room(sid, data):
    # the room as `to`, guide lines 370-373
    await sio.emit('room event', data, to='chat_users')

@sio.on("seeds:fence")
async def _fence(sid):
    pass
"""


# The sync blocks (lines 382 and 398) are served as they are; these are the probes.
SYNC_ROOM_PROBES = """
@sio.on("seeds:to_room")
def _to_room(sid, data):
    sio.emit('room event', data, to='chat_users')

@sio.on("seeds:fence")
def _fence(sid):
    pass
"""


@dataclass(frozen=True, slots=True)
class Form:
    """One of the guide's two server forms: what a test module needs of it."""

    sio: str
    app: str
    runner: harness.Runner
    emit_forms: str
    room_blocks: tuple[str, ...]
    room_forms: str
    logging_marker: str


FORMS = {
    "asyncio": Form(SIO, APP, harness.UVICORN, EMIT_FORMS, (), ROOM_FORMS, "# asyncio\n"),
    "sync": Form(
        "sio = socketio.Server()\n",
        "app = socketio.WSGIApp(sio)\n",
        harness.GUNICORN_THREADS,
        SYNC_EMIT_FORMS,
        ("guide:Rooms#1", "guide:Rooms#2"),
        SYNC_ROOM_PROBES,
        "# standard Python\n",
    ),
}


@pytest.fixture(params=sorted(FORMS))
def form(request: pytest.FixtureRequest) -> Form:
    return FORMS[request.param]


def serve_rooms(serve: Serve, form: Form) -> harness.Server:
    return serve(
        form.room_blocks,
        prelude=form.sio,
        epilogue=form.room_forms + form.app,
        runner=form.runner,
    )


def test_rooms_enter_leave(serve: Serve, drive: Drive, form: Form) -> None:
    server = serve_rooms(serve, form)
    out = drive(
        server,
        [
            connect("a"),
            connect("b"),
            connect("c"),
            emit("a", "begin_chat", ack=True),
            emit("b", "begin_chat", ack=True),
            emit("c", "seeds:to_room", ack=True, data=1),
            emit("b", "exit_chat", ack=True),
            emit("c", "seeds:to_room", ack=True, data=2),
            wait("a", "room event", count=2),
            fence("b"),
        ],
    )
    assert out.results[3:8] == [{"ack": []}] * 5
    assert out.received("a", "room event") == [[1], [2]]
    assert out.received("b", "room event") == [[1]]  # left before the second
    assert out.received("c", "room event") == []  # never entered


def test_rooms_skip_sid(serve: Serve, drive: Drive, form: Form) -> None:
    server = serve_rooms(serve, form)
    out = drive(
        server,
        [
            connect("a"),
            connect("b"),
            connect("c"),
            connect("d"),
            emit("a", "begin_chat", ack=True),
            emit("b", "begin_chat", ack=True),
            emit("c", "begin_chat", ack=True),
            emit("a", "my_message", ack=True, data={"text": "hi"}),
            wait("b", "my reply"),
            wait("c", "my reply"),
            fence("d"),
        ],
    )
    assert out.results[4:8] == [{"ack": []}] * 4
    assert out.received("b", "my reply") == [[{"text": "hi"}]]
    assert out.received("c", "my reply") == [[{"text": "hi"}]]
    assert out.received("a", "my reply") == []  # the sender is skipped
    assert out.received("d", "my reply") == []  # not in the room


# --- Cross-Origin Controls (prose only) ----------------------------------------

HANDSHAKE = "/socket.io/?EIO=4&transport=polling"


def origin_allowed(server: harness.Server, origin: str | None) -> bool:
    headers = {"Origin": origin} if origin else {}
    response = server.get(HANDSHAKE, headers)
    assert response.status in (200, 400), response
    if response.status == 200:
        assert response.body.startswith(b"0{"), response
        if origin:  # an allowed cross-origin request gets the CORS header back
            assert response.headers.get("access-control-allow-origin") == origin
    return response.status == 200


def test_cors_same_origin_by_default(serve: Serve, drive: Drive) -> None:
    server = serve(prelude=SIO, epilogue=APP)
    assert origin_allowed(server, None)
    assert origin_allowed(server, f"http://127.0.0.1:{server.port}")
    assert not origin_allowed(server, "http://evil.example")
    assert not origin_allowed(server, f"https://127.0.0.1:{server.port}")  # scheme differs
    # The rule holds for WebSocket requests too.
    out = drive(
        server,
        [
            connect("a", transports=["websocket"], headers={"Origin": "http://evil.example"}),
            connect("b", transports=["websocket"], headers={"Origin": server.url}),
        ],
    )
    assert out.results[0]["ok"] is False, out.results[0]
    assert out.results[1]["ok"] is True, out.results[1]


@pytest.mark.parametrize(
    ("setting", "allowed", "refused"),
    [
        ("'https://app.example'", ["https://app.example"], ["https://other.example"]),
        (
            "['https://app.example', 'http://localhost:5000']",
            ["https://app.example", "http://localhost:5000"],
            ["https://other.example"],
        ),
        ("'*'", ["https://app.example", "http://anything.example"], []),
    ],
    ids=["string", "list", "star"],
)
def test_cors_allowed_origins(
    serve: Serve, setting: str, allowed: list[str], refused: list[str]
) -> None:
    server = serve(
        prelude=f"sio = socketio.AsyncServer(cors_allowed_origins={setting})\n", epilogue=APP
    )
    assert origin_allowed(server, None)
    for origin in allowed:
        assert origin_allowed(server, origin), origin
    for origin in refused:
        assert not origin_allowed(server, origin), origin


# --- Debugging and Troubleshooting ----------------------------------------------


def half_of_logging_block(form: Form) -> str:
    """The block from ``form``'s comment to the next blank line, unchanged."""
    text = harness.block("guide:Debugging and Troubleshooting#1").text
    assert form.logging_marker in text
    half = text[text.index(form.logging_marker) :]
    return half.split("\n\n")[0] + "\n"


@pytest.mark.parametrize("logging_on", [True, False], ids=["logger=True", "default"])
def test_logger_options(serve: Serve, drive: Drive, form: Form, logging_on: bool) -> None:
    """``logger=True, engineio_logger=True`` log to stderr; by default nothing is logged."""
    prelude = "import socketio\n" + half_of_logging_block(form) if logging_on else form.sio
    server = serve(prelude=prelude, epilogue=form.app, runner=form.runner)
    out = drive(server, [connect("a"), emit("a", "hello", data="x")])
    # Logs that help with "connection problems" name the connection: its Socket.IO
    # or its Engine.IO sid.
    sids = (out.results[0]["sids"]["/"], out.results[0]["eio_sid"])
    if logging_on:
        harness.wait_until(
            lambda: any(sid in server.stderr() for sid in sids),
            harness.WAIT_TIMEOUT,
            f"a log line naming the client ({sids})",
        )
    else:
        assert server_log(server, form).strip() == "", server.stderr()


def server_log(server: harness.Server, form: Form) -> str:
    """The server's stderr, without the WSGI server's own start/stop lines."""
    lines = server.stderr().splitlines()
    if form.runner is harness.GUNICORN_THREADS:
        lines = [line for line in lines if "[INFO]" not in line]
    return "\n".join(lines)
