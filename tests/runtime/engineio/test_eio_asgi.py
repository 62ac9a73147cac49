"""AsyncEngineServer driven in-process through hand-made ASGI receive/send callables."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable

import pytest
from eio_asgi_harness import (
    WAIT,
    FakeWebSocket,
    Recorder,
    handshake,
    http,
    make_server,
    ws_session,
)

from runtime.engineio.asgi_edge import AsyncEngineServer
from runtime.engineio.config import EngineConfig
from runtime.engineio.http import HttpRequest


def q(sid: str, transport: str = "polling") -> str:
    return f"EIO=4&transport={transport}&sid={sid}"


# -- polling -------------------------------------------------------------------------


async def test_polling_echo_with_long_poll() -> None:
    server, handler = make_server(echo=True)
    sid = await handshake(server)
    assert handler.calls == [("connect", sid)]
    poll = asyncio.ensure_future(http(server, "GET", q(sid)))
    await asyncio.sleep(0)
    assert not poll.done()  # parked: nothing to send
    post = await http(server, "POST", q(sid), b"4hello\x1ebAQI=")
    assert (post.status, post.body, post.headers["content-type"]) == (200, b"ok", "text/html")
    result = await asyncio.wait_for(poll, WAIT)
    assert result.body == b"4hello\x1ebAQI="
    assert handler.messages(sid) == ["hello", b"\x01\x02"]
    assert server.transport(sid) == "polling"
    assert server.request(sid).query["transport"] == "polling"
    assert set(server.session_ids()) == {sid}
    await server.shutdown()


async def test_post_body_in_chunks() -> None:
    server, handler = make_server()
    sid = await handshake(server)
    result = await http(server, "POST", q(sid), [b"4ab", b"c\x1e4", b"def"])
    assert result.status == 200
    assert handler.messages(sid) == ["abc", "def"]
    await server.shutdown()


async def test_send_api() -> None:
    server, _ = make_server()
    sid = await handshake(server)
    assert server.send(sid, "one")
    assert server.send_many(sid, ["two", b"\x03", "four"])
    assert not server.send("nope", "x")
    assert not server.send_many("nope", ["x"])
    result = await http(server, "GET", q(sid))
    assert result.body == b"4one\x1e4two\x1ebAw==\x1e4four"
    with pytest.raises(KeyError):
        server.transport("nope")
    with pytest.raises(KeyError):
        server.request("nope")
    await server.shutdown()


async def test_callbacks_are_ordered_and_awaited_per_session() -> None:
    server, handler = make_server(message_delay=0.01)
    sid = await handshake(server)
    first = asyncio.ensure_future(http(server, "POST", q(sid), b"4a\x1e4b"))
    await asyncio.sleep(0)
    second = await http(server, "POST", q(sid), b"4c")  # queued behind a and b
    assert second.status == 200
    await asyncio.wait_for(first, WAIT)
    server.close(sid)
    await handler.wait_disconnects(1)
    await server.shutdown()
    order = [c[0] + ":" + (c[2] if isinstance(c[2], str) else "") for c in handler.calls[1:]]
    assert order == [
        "message:a",
        "message-done:a",
        "message:b",
        "message-done:b",
        "message:c",
        "message-done:c",
        "disconnect:server disconnect",
    ]


async def test_close_inside_on_message_runs_disconnect_after_it() -> None:
    server, handler = make_server()

    def hook(sid: str, data: str | bytes) -> None:
        server.close(sid, "parse error")
        handler.calls.append(("hook-returned", sid, data))

    handler.on_message_hook = hook
    sid = await handshake(server)
    await http(server, "POST", q(sid), b"4x\x1e4y")
    assert handler.calls == [
        ("connect", sid),
        ("message", sid, "x"),
        ("hook-returned", sid, "x"),
        ("disconnect", sid, "parse error"),
    ]
    await server.shutdown()


async def test_client_close_over_polling() -> None:
    server, handler = make_server()
    sid = await handshake(server)
    poll = asyncio.ensure_future(http(server, "GET", q(sid)))
    await asyncio.sleep(0)
    await http(server, "POST", q(sid), b"1")
    assert (await asyncio.wait_for(poll, WAIT)).body == b"6"
    assert handler.disconnects() == [(sid, "client disconnect")]
    await server.shutdown()


async def test_server_close_answers_the_parked_poll_with_close() -> None:
    server, handler = make_server()
    sid = await handshake(server)
    poll = asyncio.ensure_future(http(server, "GET", q(sid)))
    await asyncio.sleep(0)
    server.send(sid, "bye")
    server.close(sid)
    assert (await asyncio.wait_for(poll, WAIT)).body == b"4bye\x1e1"
    assert handler.disconnects() == [(sid, "server disconnect")]
    assert not server.send(sid, "late")
    await server.shutdown()


# -- websocket -----------------------------------------------------------------------


async def test_websocket_session_echo_and_client_close() -> None:
    server, handler = make_server(echo=True)
    ws, sid = await ws_session(server)
    assert server.transport(sid) == "websocket"
    ws.send("4hello")
    assert await ws.frame() == "4hello"
    ws.send(b"\x00\xff")
    assert await ws.frame() == b"\x00\xff"
    ws.send("1")
    assert await ws.closed_by_server() == 1000
    assert handler.disconnects() == [(sid, "client disconnect")]
    await server.shutdown()


async def test_websocket_dropped_is_transport_close() -> None:
    server, handler = make_server()
    ws, sid = await ws_session(server)
    await ws.disconnect(1006)
    assert handler.disconnects() == [(sid, "transport close")]
    assert sid not in server.session_ids()
    await server.shutdown()


async def test_server_close_on_websocket() -> None:
    server, handler = make_server()
    ws, sid = await ws_session(server)
    server.send(sid, "last")
    server.close(sid)
    assert await ws.frame() == "4last"
    assert await ws.frame() == "1"
    assert await ws.closed_by_server() == 1000
    assert handler.disconnects() == [(sid, "server disconnect")]
    await server.shutdown()


async def test_cookie_on_websocket_accept() -> None:
    server, _ = make_server(EngineConfig(cookie="io"))
    ws = FakeWebSocket(server, "EIO=4&transport=websocket")
    accept = await ws.accepted()
    ((name, value),) = accept["headers"]
    assert name == b"set-cookie" and value.startswith(b"io=")
    await ws.disconnect()
    await server.shutdown()


async def test_upgrade_in_process() -> None:
    server, handler = make_server(echo=True)
    sid = await handshake(server)
    poll = asyncio.ensure_future(http(server, "GET", q(sid)))
    await asyncio.sleep(0)
    ws = FakeWebSocket(server, q(sid, "websocket"))
    await ws.accepted()
    server.send(sid, "during probe")  # goes to the parked poll
    assert (await asyncio.wait_for(poll, WAIT)).body == b"4during probe"
    poll = asyncio.ensure_future(http(server, "GET", q(sid)))
    await asyncio.sleep(0)
    ws.send("2probe")
    assert await ws.frame() == "3probe"
    assert (await asyncio.wait_for(poll, WAIT)).body == b"6"  # the client may pause polling
    server.send(sid, "queued while upgrading")
    ws.send("5")
    assert await ws.frame() == "4queued while upgrading"
    assert server.transport(sid) == "websocket"
    ws.send("4over ws")
    assert await ws.frame() == "4over ws"
    stale = await http(server, "GET", q(sid))
    assert stale.status == 400  # polling after the upgrade: transport mismatch
    await ws.disconnect()
    assert handler.disconnects() == [(sid, "transport close")]
    await server.shutdown()


# -- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "query", "code"),
    [
        ("GET", "EIO=4&transport=polling&sid=unknown", 1),
        ("GET", "EIO=3&transport=polling", 5),
        ("GET", "EIO=4", 0),
        ("GET", "EIO=4&transport=carrier", 0),
        ("PUT", "EIO=4&transport=polling", 2),
        ("POST", "EIO=4&transport=polling", 2),
    ],
)
async def test_bad_requests(method: str, query: str, code: int) -> None:
    server, handler = make_server()
    healthy = await handshake(server)
    result = await http(server, method, query)
    assert result.status == 400
    assert result.json()["code"] == code
    assert result.headers["content-type"] == "application/json"
    assert handler.disconnects() == []
    server.send(healthy, "still fine")
    assert (await http(server, "GET", q(healthy))).body == b"4still fine"
    await server.shutdown()


async def test_wrong_transport_for_websocket_session() -> None:
    server, handler = make_server()
    ws, sid = await ws_session(server)
    result = await http(server, "GET", q(sid))
    assert (result.status, result.json()["code"]) == (400, 3)
    assert handler.disconnects() == []
    await ws.disconnect()
    await server.shutdown()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ([b"4" + b"x" * 600, b"x" * 600], 413),  # over max_http_buffer_size, in chunks
        ([b"\x1e".join([b"4x"] * 20)], 400),  # over max_packets_per_payload
        ([b"4\xff\xfe\xfd"], 400),  # not UTF-8
        ([b"8what"], 400),  # malformed packet
    ],
)
async def test_bad_posts_close_only_that_session(body: list[bytes], status: int) -> None:
    server, handler = make_server(
        EngineConfig(max_http_buffer_size=1000, max_packets_per_payload=10)
    )
    victim = await handshake(server)
    healthy = await handshake(server)
    result = await http(server, "POST", q(victim), body)
    assert result.status == status
    assert handler.disconnects() == [(victim, "transport error")]
    assert (await http(server, "POST", q(healthy), b"4ok")).status == 200
    assert handler.messages(healthy) == ["ok"]
    await server.shutdown()


async def test_oversized_post_by_content_length_is_not_read() -> None:
    server, handler = make_server(EngineConfig(max_http_buffer_size=10))
    sid = await handshake(server)
    result = await http(server, "POST", q(sid), b"4tiny", headers=[("content-length", "1000")])
    assert result.status == 413
    assert handler.disconnects() == [(sid, "transport error")]
    await server.shutdown()


async def test_duplicate_concurrent_get() -> None:
    server, handler = make_server()
    sid = await handshake(server)
    healthy = await handshake(server)
    first = asyncio.ensure_future(http(server, "GET", q(sid)))
    await asyncio.sleep(0)
    second = await http(server, "GET", q(sid))
    assert second.status == 400
    assert (await asyncio.wait_for(first, WAIT)).body == b"1"
    assert handler.disconnects() == [(sid, "transport error")]
    assert server.send(healthy, "x")
    await server.shutdown()


async def test_foreign_origin() -> None:
    server, handler = make_server()
    result = await http(
        server, "GET", "EIO=4&transport=polling", headers=[("origin", "http://evil.com")]
    )
    assert (result.status, result.json()["message"]) == (400, "Not an accepted origin.")
    ok = await http(
        server, "GET", "EIO=4&transport=polling", headers=[("origin", "http://testserver")]
    )
    assert ok.status == 200
    assert ok.headers["access-control-allow-origin"] == "http://testserver"
    assert handler.calls[0][0] == "connect" and len(handler.calls) == 1
    await server.shutdown()


async def test_refused_websocket_with_and_without_http_response_extension() -> None:
    server, _ = make_server()
    plain = FakeWebSocket(server, "EIO=4&transport=websocket&sid=unknown")
    message = await plain.next_message()
    assert message == {"type": "websocket.close", "code": 1008}
    await asyncio.wait_for(plain.task, WAIT)
    rich = FakeWebSocket(
        server, "EIO=4&transport=websocket&sid=unknown", extensions={"websocket.http.response": {}}
    )
    start = await rich.next_message()
    body = await rich.next_message()
    assert (start["type"], start["status"]) == ("websocket.http.response.start", 400)
    assert json.loads(body["body"]) == {"code": 1, "message": "Session ID unknown"}
    await server.shutdown()


async def test_oversized_and_malformed_websocket_messages() -> None:
    server, handler = make_server(EngineConfig(max_http_buffer_size=100))
    big, big_sid = await ws_session(server)
    bad, bad_sid = await ws_session(server)
    good, good_sid = await ws_session(server)
    big.send("4" + "x" * 200)
    assert await big.closed_by_server() == 1009
    bad.send("not a packet")
    assert await bad.closed_by_server() == 1002
    assert sorted(handler.disconnects()) == sorted(
        [(big_sid, "transport error"), (bad_sid, "transport error")]
    )
    server.send(good_sid, "alive")
    assert await good.frame() == "4alive"
    await good.disconnect()
    await server.shutdown()


async def test_upgrade_timeout_closes_probe_only() -> None:
    server, handler = make_server(EngineConfig(upgrade_timeout=0.05))
    sid = await handshake(server)
    ws = FakeWebSocket(server, q(sid, "websocket"))
    await ws.accepted()
    assert await ws.closed_by_server() == 1000  # no 2probe within upgrade_timeout
    assert handler.disconnects() == []
    assert server.transport(sid) == "polling"
    server.send(sid, "polling goes on")
    assert (await http(server, "GET", q(sid))).body == b"4polling goes on"
    await server.shutdown()


async def test_ping_timeout_with_short_interval() -> None:
    # The polite client has ping_timeout (0.3 s) to answer: ample even on a loaded machine.
    server, handler = make_server(EngineConfig(ping_interval=0.05, ping_timeout=0.3))
    silent, silent_sid = await ws_session(server)
    polite, polite_sid = await ws_session(server)

    async def answer_pings() -> None:
        while True:
            frame = await polite.frame()
            if frame == "2":
                polite.send("3")

    responder = asyncio.ensure_future(answer_pings())
    assert await silent.frame() == "2"
    assert await silent.closed_by_server() == 1000
    await handler.wait_disconnects(1)
    assert handler.disconnects() == [(silent_sid, "ping timeout")]
    # The polite session saw several pings by now and is still open.
    await asyncio.sleep(0.1)
    assert polite_sid in server.session_ids()
    responder.cancel()
    await polite.disconnect()
    await server.shutdown()


async def test_ping_timeout_on_polling_lingers_with_close_packet() -> None:
    server, handler = make_server(EngineConfig(ping_interval=0.05, ping_timeout=0.05))
    sid = await handshake(server)
    await handler.wait_disconnects(1)
    assert handler.disconnects() == [(sid, "ping timeout")]
    late = await http(server, "GET", q(sid))
    assert late.body == b"1"
    await server.shutdown()


async def test_monitor_clients_false_keeps_silent_sessions() -> None:
    server, handler = make_server(
        EngineConfig(ping_interval=0.02, ping_timeout=0.02, monitor_clients=False)
    )
    ws, _sid = await ws_session(server)
    assert await ws.frame() == "2"
    await asyncio.sleep(0.15)
    assert handler.disconnects() == []
    await ws.disconnect()
    await server.shutdown()


# -- resources -----------------------------------------------------------------------


async def test_idle_websockets_cost_no_extra_tasks() -> None:
    server, handler = make_server(echo=True)
    baseline = len(asyncio.all_tasks())
    sockets = [await ws_session(server) for _ in range(20)]
    tasks = len(asyncio.all_tasks()) - baseline
    assert tasks == 20 + 1  # one ASGI coroutine per websocket + the one timer task
    for _ws, sid in sockets:
        server.send(sid, "ping-pong")  # written eagerly: the fake send never blocks
    assert len(asyncio.all_tasks()) - baseline == tasks
    for ws, _ in sockets:
        assert await ws.frame() == "4ping-pong"
        await ws.disconnect()
    await server.shutdown()
    assert server._timer_task is None
    assert handler.disconnects() and all(r == "transport close" for _, r in handler.disconnects())


async def test_shutdown_closes_every_session() -> None:
    server, handler = make_server()
    ws, ws_sid = await ws_session(server)
    poll_sid = await handshake(server)
    poll = asyncio.ensure_future(http(server, "GET", q(poll_sid)))
    await asyncio.sleep(0)
    await server.shutdown()
    assert (await asyncio.wait_for(poll, WAIT)).body == b"1"
    assert await ws.frame() == "1"
    assert await ws.closed_by_server() == 1000
    assert sorted(handler.disconnects()) == sorted(
        [(ws_sid, "server disconnect"), (poll_sid, "server disconnect")]
    )
    assert list(server.session_ids()) == []


class SlowConnect(Recorder):
    """on_connect returns an awaitable: it must finish before anything else of the session."""

    def on_connect(self, sid: str, request: HttpRequest) -> Awaitable[None] | None:  # type: ignore[override]
        self.calls.append(("connect", sid))
        return self._finish_connect(sid)

    async def _finish_connect(self, sid: str) -> None:
        await asyncio.sleep(0.01)
        self.calls.append(("connect-done", sid))


async def test_awaitable_on_connect_finishes_before_handshake_and_messages() -> None:
    handler = SlowConnect(echo=True)
    server = AsyncEngineServer(EngineConfig(), handler)
    handler.server = server
    sid = await handshake(server)
    assert handler.calls == [("connect", sid), ("connect-done", sid)]
    ws = FakeWebSocket(server, "EIO=4&transport=websocket")
    await ws.accepted()
    ws.send("4early")  # already waiting in the receive queue while on_connect runs
    opened = await ws.frame()
    assert isinstance(opened, str) and opened.startswith("0{")
    ws_sid = json.loads(opened[1:])["sid"]
    assert await ws.frame() == "4early"
    ws_calls = [c for c in handler.calls if c[1] == ws_sid]
    assert ws_calls == [("connect", ws_sid), ("connect-done", ws_sid), ("message", ws_sid, "early")]
    await ws.disconnect()
    await server.shutdown()


async def test_handler_errors_do_not_break_the_connection(caplog: pytest.LogCaptureFixture) -> None:
    server, handler = make_server(echo=True)
    loop = asyncio.get_running_loop()
    cancelled: asyncio.Future[None] = loop.create_future()
    cancelled.cancel()

    def hook(sid: str, data: str | bytes) -> None:
        if data == "raise":
            raise RuntimeError("handler bug")

    handler.on_message_hook = hook
    original = handler.on_message

    def on_message(sid: str, data: str | bytes) -> Awaitable[None] | None:
        result = original(sid, data)
        if data == "async-raise":
            return _fail()
        if data == "cancelled-task":
            return cancelled
        return result

    async def _fail() -> None:
        raise ValueError("async handler bug")

    handler.on_message = on_message  # type: ignore[method-assign]
    ws, sid = await ws_session(server)
    with caplog.at_level(logging.ERROR, logger="engineio.server"):
        for data in ("raise", "async-raise", "cancelled-task", "fine"):
            ws.send("4" + data)
        frames = [await ws.frame() for _ in range(3)]
    assert frames == ["4async-raise", "4cancelled-task", "4fine"]  # "raise" failed before echo
    assert sum("engine handler error" in r.getMessage() for r in caplog.records) == 2
    assert sid in server.session_ids()
    await ws.disconnect()
    await server.shutdown()
