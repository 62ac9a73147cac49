"""The sync server over WSGI, in process: routing, polling, upgrade, threads, async modes.

Requests are direct calls of the WSGI app; websockets run over a socketpair whose
server end is taken over by the app (see ``wsgi_wire``).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

import runtime as socketio
from runtime.drivers import MissingDependencyError, available_modes, get_driver
from runtime.drivers.threading import WorkerPool
from runtime.server import Server
from runtime.wsgi import Middleware, WSGIApp
from tests.runtime.asgi_wire import sid_of
from tests.runtime.wsgi_wire import (
    PollingPeer,
    WebSocketPeer,
    call_app,
    make_environ,
    wait_for,
)


@pytest.fixture
def sio() -> Any:
    server = Server(async_mode="threading")
    yield server
    server.shutdown()


def other_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"other:" + environ["PATH_INFO"].encode()]


# -- WSGIApp routing -------------------------------------------------------------------


def test_routing_precedence_socketio_static_other_404(sio: Server, tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<p>hi</p>")
    (tmp_path / "app.js").write_text("x=1")
    static = {"/": str(tmp_path / "index.html"), "/static": str(tmp_path)}
    app = WSGIApp(sio, other_app, static_files=static)
    handshake = call_app(app, make_environ("GET", "EIO=4&transport=polling"))
    assert handshake.code == 200 and handshake.body.startswith(b"0{")
    page = call_app(app, make_environ(path="/"))
    assert (page.code, page.headers["content-type"], page.body) == (200, "text/html", b"<p>hi</p>")
    js = call_app(app, make_environ(path="/static/app.js"))
    assert js.headers["content-type"].endswith("javascript") and js.body == b"x=1"
    assert (
        call_app(app, make_environ(path="/static/missing.js")).body == b"other:/static/missing.js"
    )
    assert call_app(app, make_environ(path="/api")).body == b"other:/api"
    assert call_app(WSGIApp(sio), make_environ(path="/api")).code == 404


def test_custom_path_and_deprecated_middleware(sio: Server) -> None:
    app = Middleware(sio, other_app, socketio_path="/rt/")
    assert call_app(app, make_environ(path="/socket.io/")).body == b"other:/socket.io/"
    ok = call_app(app, make_environ("GET", "EIO=4&transport=polling", path="/rt/"))
    assert ok.body.startswith(b"0{")
    everything = WSGIApp(sio, socketio_path=None)
    assert (
        call_app(everything, make_environ("GET", "EIO=4&transport=polling", path="/x")).code == 200
    )


# -- polling ---------------------------------------------------------------------------


def test_polling_connect_event_ack_and_environ(sio: Server) -> None:
    seen: dict[str, Any] = {}

    @sio.event
    def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
        seen.update(environ=environ, auth=auth)

    sio.on("echo", lambda sid, x: x)
    app = WSGIApp(sio)
    peer = PollingPeer(app, headers={"X-Custom": "yes"})
    handshake = peer.open()
    assert handshake["upgrades"] == ["websocket"]
    peer.send_packet('0{"token":"abc"}')
    (reply,) = peer.recv_packets()
    sid = sid_of(reply)
    assert seen["auth"] == {"token": "abc"}
    # the real WSGI environ of the handshake reaches the connect handler
    assert seen["environ"]["HTTP_X_CUSTOM"] == "yes"
    assert seen["environ"]["wsgi.url_scheme"] == "http"
    assert sio.transport(sid) == "polling"
    peer.send_packet('21["echo",[1,"two"]]')
    assert peer.recv_packets() == ['31[[1,"two"]]']


def test_long_poll_is_woken_by_an_emit_from_another_thread(sio: Server) -> None:
    app = WSGIApp(sio)
    peer = PollingPeer(app)
    peer.open()
    peer.send_packet("0")
    sid = sid_of(peer.recv_packets()[0])
    result: list[list[str]] = []
    poller = threading.Thread(target=lambda: result.append(peer.get()), daemon=True)
    poller.start()
    wait_for(lambda: sio.eio.core.get(peer.sid).poll_pending, what="the parked poll")  # type: ignore[union-attr]
    threading.Thread(target=sio.emit, args=("news", "hot"), kwargs={"to": sid}).start()
    poller.join(5)
    assert result == [['42["news","hot"]']]


def test_polling_errors(sio: Server) -> None:
    app = WSGIApp(sio)
    bad_version = call_app(app, make_environ("GET", "EIO=3&transport=polling"))
    assert bad_version.code == 400
    assert json.loads(bad_version.body) == {"code": 5, "message": "Unsupported protocol version"}
    unknown = call_app(app, make_environ("GET", "EIO=4&transport=polling&sid=nope"))
    assert unknown.code == 400 and json.loads(unknown.body)["code"] == 1
    small = Server(async_mode="threading", max_http_buffer_size=10)
    try:
        peer = PollingPeer(WSGIApp(small))
        peer.open()
        assert peer.post("4" + "x" * 100).code == 413
    finally:
        small.shutdown()


# -- websocket and upgrade -------------------------------------------------------------


def test_upgrade_from_polling_to_websocket(sio: Server) -> None:
    sio.on("echo", lambda sid, x: x)
    app = WSGIApp(sio)
    polling = PollingPeer(app)
    polling.open()
    polling.send_packet("0")
    sid = sid_of(polling.recv_packets()[0])
    ws = WebSocketPeer(app, query=f"EIO=4&transport=websocket&sid={polling.sid}")
    ws.start()
    ws.send("2probe")
    assert ws.recv() == "3probe"
    assert polling.get() == ["6"]  # the poll is released so the client can pause it
    ws.send("5")
    wait_for(lambda: sio.transport(sid) == "websocket", what="the upgrade")
    ws.send_packet('21["echo","over ws"]')
    assert ws.recv_packet() == '31["over ws"]'
    sio.emit("pushed", 1, to=sid)
    assert ws.recv_packet() == '2["pushed",1]'
    ws.close_transport()


def test_bad_websocket_handshake_is_refused(sio: Server) -> None:
    peer = WebSocketPeer(WSGIApp(sio), headers={"Sec-WebSocket-Version": "8"})
    with pytest.raises(ConnectionError):
        peer.start()
    assert peer.refusal is not None and peer.refusal.code == 400


def test_websocket_messages_over_the_size_limit_close_the_connection() -> None:
    server = Server(async_mode="threading", max_http_buffer_size=1000)
    try:
        peer = WebSocketPeer(WSGIApp(server))
        peer.open()
        peer.connect_namespace()
        peer.send_packet('2["big","' + "x" * 5000 + '"]')
        assert peer.expect_closed().code == 1009
    finally:
        server.shutdown()


def test_heartbeat_and_ping_timeout() -> None:
    server = Server(async_mode="threading", ping_interval=0.1, ping_timeout=0.2)
    reasons: list[str] = []
    server.on("disconnect", lambda sid, reason: reasons.append(reason))
    try:
        peer = WebSocketPeer(WSGIApp(server))
        handshake = peer.open()
        assert (handshake["pingInterval"], handshake["pingTimeout"]) == (100, 200)
        peer.connect_namespace()
        # peer.recv answers PINGs: the session stays up across several intervals
        with pytest.raises(TimeoutError):
            peer.recv(timeout=0.5)
        assert reasons == []
        # stop answering: the server gives up after ping_timeout
        peer.expect_closed(timeout=5)
        wait_for(lambda: reasons, what="the ping timeout")
        assert reasons == ["ping timeout"]
    finally:
        server.shutdown()


# -- threads ---------------------------------------------------------------------------


def test_binary_emits_from_many_threads_never_interleave(sio: Server) -> None:
    peer = WebSocketPeer(WSGIApp(sio))
    peer.open()
    sid = sid_of(peer.connect_namespace())
    threads_n, per_thread = 8, 25

    def blast(t: int) -> None:
        for i in range(per_thread):
            sio.emit("bin", {"t": t, "i": i, "a": bytes([t]) * 3, "b": bytes([i]) * 2}, to=sid)

    threads = [threading.Thread(target=blast, args=(t,)) for t in range(threads_n)]
    for thread in threads:
        thread.start()
    seen: dict[int, list[int]] = {}
    for _ in range(threads_n * per_thread):
        header = peer.recv_packet()
        assert header.startswith("52-"), header
        data = json.loads(header[3:])[1]
        assert peer.recv() == bytes([data["t"]]) * 3  # the attachments follow their header
        assert peer.recv() == bytes([data["i"]]) * 2
        seen.setdefault(data["t"], []).append(data["i"])
    for thread in threads:
        thread.join(5)
    # each thread's packets arrive complete and in that thread's order
    assert seen == {t: list(range(per_thread)) for t in range(threads_n)}
    peer.close_transport()


def test_call_from_a_handler_waits_for_the_client(sio: Server) -> None:
    def ask(sid: str) -> Any:
        return sio.call("question", "why?", to=sid, timeout=5)

    sio.on("ask", ask)
    peer = WebSocketPeer(WSGIApp(sio))
    peer.open()
    peer.connect_namespace()
    peer.send_packet('21["ask"]')
    question = peer.recv_packet()
    assert question.endswith('["question","why?"]')
    peer.send_packet(f"3{question[1 : question.index('[')]}[42]")
    assert peer.recv_packet() == "31[42]"
    peer.close_transport()


def test_async_handlers_false_runs_inline_and_refuses_call() -> None:
    server = Server(async_mode="threading", async_handlers=False)
    threads: list[str] = []
    server.on("where", lambda sid: threads.append(threading.current_thread().name))
    try:
        peer = WebSocketPeer(WSGIApp(server))
        peer.open()
        sid = sid_of(peer.connect_namespace())
        peer.send_packet('21["where"]')
        assert peer.recv_packet() == "31[]"
        assert threads and not threads[0].startswith("socketio-worker")
        with pytest.raises(RuntimeError):
            server.call("x", to=sid)
        peer.close_transport()
    finally:
        server.shutdown()


def test_shutdown_disconnects_everyone(sio: Server) -> None:
    reasons: list[str] = []
    sio.on("disconnect", lambda sid, reason: reasons.append(reason))
    peer = WebSocketPeer(WSGIApp(sio))
    peer.open()
    peer.connect_namespace()
    sio.shutdown()
    peer.expect_closed()
    # the thread still handling that session's last message may be the one to run it
    wait_for(lambda: reasons, what="the disconnect handler")
    assert reasons == ["server disconnect"]
    peer.thread.join(5)
    # the server stays usable after a shutdown
    again = PollingPeer(WSGIApp(sio))
    assert again.open()["sid"]


def test_background_task_and_sleep(sio: Server) -> None:
    done: list[int] = []

    def work(n: int, *, extra: int) -> None:
        sio.sleep(0.01)
        done.append(n + extra)

    task = sio.start_background_task(work, 1, extra=2)
    task.join(5)
    assert done == [3]


def test_worker_pool_reuses_idle_threads() -> None:
    pool = WorkerPool(idle_seconds=5)
    finished = threading.Event()
    for _ in range(20):
        finished.clear()
        pool.submit(finished.set)
        assert finished.wait(5)
        wait_for(lambda: pool._idle == pool.size, what="the worker to be idle again")
    assert pool.size == 1
    release = threading.Event()
    started = threading.Semaphore(0)

    def block() -> None:
        started.release()
        release.wait(5)

    for _ in range(3):
        pool.submit(block)
    for _ in range(3):  # three jobs that block run at once: the pool grew
        assert started.acquire(timeout=5)
    assert pool.size == 3
    release.set()


# -- async modes -----------------------------------------------------------------------


def test_async_mode_selection_and_errors() -> None:
    assert Server(async_mode="threading").async_mode == "threading"
    assert Server().async_mode == available_modes()[0]
    assert "threading" in available_modes()
    with pytest.raises(ValueError, match="Invalid async_mode"):
        Server(async_mode="nope")
    with pytest.raises(ValueError, match="Invalid async_mode"):
        socketio.AsyncServer(async_mode="threading")
    for mode in ("gevent", "eventlet"):
        if mode in available_modes():
            continue
        with pytest.raises(MissingDependencyError, match=f"pip install {mode}"):
            get_driver(mode)
    with pytest.raises(MissingDependencyError, match="not available"):
        get_driver("gevent_uwsgi")


def test_sync_namespace_helpers(sio: Server) -> None:
    class Chat(socketio.namespace.Namespace):
        def on_join(self, sid: str, room: str) -> list[str]:
            self.enter_room(sid, room)
            with self.session(sid) as session:
                session["room"] = room
            self.emit("joined", room, to=room)
            return sorted(self.rooms(sid))

    sio.register_namespace(Chat("/chat"))
    peer = WebSocketPeer(WSGIApp(sio))
    peer.open()
    sid = sid_of(peer.connect_namespace("/chat"))
    peer.send_packet('2/chat,1["join","r"]')
    assert peer.recv_packet() == '2/chat,["joined","r"]'
    # a list is one ack argument
    assert peer.recv_packet() == "3/chat,1" + json.dumps(
        [sorted(["r", sid])], separators=(",", ":")
    )
    assert sio.get_session(sid, namespace="/chat") == {"room": "r"}
    peer.close_transport()
