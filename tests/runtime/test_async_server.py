"""AsyncServer semantics over real frames, in process (python-socketio reference a-c)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

import runtime as socketio
from tests.runtime.asgi_wire import WebSocketPeer, sid_of


def make_app(**kwargs: Any) -> tuple[socketio.AsyncServer, socketio.ASGIApp]:
    sio = socketio.AsyncServer(**kwargs)
    return sio, socketio.ASGIApp(sio)


async def connected(app: Any, namespace: str = "/", auth: Any = None) -> tuple[WebSocketPeer, str]:
    peer = WebSocketPeer(app)
    await peer.open()
    reply = await peer.connect_namespace(namespace, auth)
    return peer, sid_of(reply)


async def test_connect_handler_gets_environ_with_real_client_address_and_auth() -> None:
    sio, app = make_app()
    seen: dict[str, Any] = {}

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
        seen.update(
            sid=sid, addr=environ["REMOTE_ADDR"], auth=auth, scope=environ.get("asgi.scope")
        )

    peer, sid = await connected(app, auth={"token": "t1"})
    assert seen["sid"] == sid
    assert seen["addr"] == "203.0.113.7"
    assert seen["auth"] == {"token": "t1"}
    assert seen["scope"]["type"] == "websocket"
    assert sio.get_environ(sid)["REMOTE_ADDR"] == "203.0.113.7"
    assert sio.transport(sid) == "websocket"
    await peer.close_transport()


async def test_two_argument_connect_handler_is_called_without_auth() -> None:
    sio, app = make_app()
    calls: list[tuple[str, ...]] = []

    @sio.on("connect")
    def on_connect(sid: str, environ: dict[str, Any]) -> None:
        calls.append((sid,))

    peer, sid = await connected(app, auth={"token": "x"})
    assert calls == [(sid,)]
    await peer.close_transport()


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (
            socketio.exceptions.ConnectionRefusedError(),
            {"message": "Connection rejected by server"},
        ),
        (socketio.exceptions.ConnectionRefusedError("bad token"), {"message": "bad token"}),
        (
            socketio.exceptions.ConnectionRefusedError("bad token", {"retry": False}),
            {"message": "bad token", "data": {"retry": False}},
        ),
        (ConnectionRefusedError(), {"message": "Connection refused by server"}),
        (False, {"message": "Connection rejected by server"}),
    ],
)
async def test_connect_rejection_payloads(raised: Any, expected: dict[str, Any]) -> None:
    sio, app = make_app()

    @sio.event
    async def connect(sid: str, environ: dict[str, Any]) -> bool:
        if isinstance(raised, BaseException):
            raise raised
        return bool(raised)

    peer = WebSocketPeer(app)
    await peer.open()
    reply = await peer.connect_namespace("/")
    assert reply.startswith("4"), reply
    assert json.loads(reply[1:]) == expected
    assert not sio.manager.get_namespaces()
    await peer.close_transport()


async def test_always_connect_sends_connect_first_then_disconnect_with_error() -> None:
    sio, app = make_app(always_connect=True)

    @sio.event
    async def connect(sid: str, environ: dict[str, Any]) -> None:
        raise socketio.exceptions.ConnectionRefusedError("nope")

    peer = WebSocketPeer(app)
    await peer.open()
    first = await peer.connect_namespace("/")
    assert first.startswith("0{"), first
    second = await peer.recv_packet()
    assert second.startswith("1"), second
    assert json.loads(second[1:]) == {"message": "nope"}
    await peer.close_transport()


async def test_unknown_namespace_gets_invalid_namespace_object() -> None:
    _, app = make_app()
    peer = WebSocketPeer(app)
    await peer.open()
    reply = await peer.connect_namespace("/nowhere")
    assert reply == '4/nowhere,{"message":"Invalid namespace"}'
    await peer.close_transport()


async def test_namespaces_star_accepts_any_namespace() -> None:
    _, app = make_app(namespaces="*")
    peer, sid = await connected(app, "/anything")
    assert sid
    await peer.close_transport()


async def test_event_with_ack_tuple_expands_and_none_gives_empty_ack() -> None:
    sio, app = make_app()

    @sio.event
    async def pair(sid: str, a: int, b: int) -> tuple[int, int]:
        return b, a

    @sio.event
    def nothing(sid: str) -> None:
        return None

    peer, _ = await connected(app)
    await peer.send_packet('21["pair",1,2]')
    assert await peer.recv_packet() == "31[2,1]"
    await peer.send_packet('22["nothing"]')
    assert await peer.recv_packet() == "32[]"
    await peer.close_transport()


async def test_unhandled_event_sends_no_ack() -> None:
    sio, app = make_app()

    @sio.event
    async def ping(sid: str) -> str:
        return "pong"

    peer, _ = await connected(app)
    await peer.send_packet('27["unknown"]')
    await peer.send_packet('28["ping"]')
    assert await peer.recv_packet() == '38["pong"]'
    await peer.close_transport()


async def test_catch_all_argument_orders() -> None:
    sio, app = make_app(namespaces="*")
    seen: list[tuple[Any, ...]] = []

    @sio.on("*")
    async def any_event(event: str, sid: str, *data: Any) -> None:
        seen.append(("ns-/", event, sid, *data))

    @sio.on("*", namespace="*")
    async def any_event_any_ns(event: str, namespace: str, sid: str, *data: Any) -> None:
        seen.append(("ns-*", event, namespace, sid, *data))

    @sio.on("exact", namespace="*")
    async def exact_any_ns(namespace: str, sid: str, *data: Any) -> None:
        seen.append(("exact", namespace, sid, *data))

    peer, sid = await connected(app)
    reply = await peer.connect_namespace("/other")
    other_sid = sid_of(reply)
    await peer.send_packet('2["hello",1]')
    await peer.send_packet('2/other,["hi",2]')
    await peer.send_packet('2/other,["exact",3]')
    for _ in range(100):
        if len(seen) == 3:
            break
        await asyncio.sleep(0.01)
    assert seen == [
        ("ns-/", "hello", sid, 1),
        ("ns-*", "hi", "/other", other_sid, 2),
        ("exact", "/other", other_sid, 3),
    ]
    await peer.close_transport()


async def test_rooms_skip_sid_and_lists() -> None:
    sio, app = make_app()
    a, sid_a = await connected(app)
    b, sid_b = await connected(app)
    c, sid_c = await connected(app)
    await sio.enter_room(sid_a, "red")
    await sio.enter_room(sid_b, "red")
    await sio.enter_room(sid_c, "blue")
    assert sorted(sio.rooms(sid_a)) == sorted([sid_a, "red"])
    await sio.emit("news", {"n": 1}, to="red", skip_sid=sid_a)
    assert await b.recv_packet() == '2["news",{"n":1}]'
    await sio.emit("news", 2, room=["red", "blue"], skip_sid=[sid_b])
    assert await a.recv_packet() == '2["news",2]'
    assert await c.recv_packet() == '2["news",2]'
    await sio.close_room("red")
    await sio.emit("after", to="red")
    await sio.emit("direct", (1, 2), to=sid_b)
    assert await b.recv_packet() == '2["direct",1,2]'
    await sio.leave_room(sid_c, "blue")
    assert sio.rooms(sid_c) == [sid_c]
    for peer in (a, b, c):
        await peer.close_transport()


async def test_broadcast_reaches_everyone_in_namespace_only() -> None:
    sio, app = make_app(namespaces=["/", "/chat"])
    a, _ = await connected(app)
    b, _ = await connected(app, "/chat")
    await sio.emit("hello", "all")
    await sio.emit("hello", "chat", namespace="/chat")
    assert await a.recv_packet() == '2["hello","all"]'
    assert await b.recv_packet() == '2/chat,["hello","chat"]'
    await a.close_transport()
    await b.close_transport()


async def test_binary_event_and_binary_ack() -> None:
    sio, app = make_app()

    @sio.event
    async def echo(sid: str, data: Any) -> Any:
        return {"got": data["blob"], "n": len(data["blob"])}

    peer, _ = await connected(app)
    await peer.send_packet('51-3["echo",{"blob":{"_placeholder":true,"num":0}}]')
    await peer.send(b"\x00\x01\x02")
    header = await peer.recv_packet()
    assert header == '61-3[{"got":{"_placeholder":true,"num":0},"n":3}]'
    assert await peer.recv() == b"\x00\x01\x02"
    await peer.close_transport()


async def test_server_call_gets_client_ack_and_times_out() -> None:
    sio, app = make_app()
    peer, sid = await connected(app)
    call = asyncio.ensure_future(sio.call("question", {"q": 1}, to=sid, timeout=5))
    packet = await peer.recv_packet()
    assert packet.startswith("2") and packet.endswith('["question",{"q":1}]'), packet
    ack_id = packet[1 : packet.index("[")]
    await peer.send_packet(f'3{ack_id}["answer",42]')
    assert await call == ("answer", 42)
    with pytest.raises(socketio.exceptions.TimeoutError):
        await sio.call("question", to=sid, timeout=0.05)
    with pytest.raises(ValueError, match="broadcast"):
        await sio.call("question")
    await peer.close_transport()


async def test_emit_with_callback() -> None:
    sio, app = make_app()
    peer, sid = await connected(app)
    got: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()
    await sio.emit("q", 1, to=sid, callback=lambda *args: got.set_result(args))
    packet = await peer.recv_packet()
    await peer.send_packet(f"3{packet[1 : packet.index('[')]}[7]")
    assert await asyncio.wait_for(got, 5) == (7,)
    await peer.close_transport()


async def test_sessions_are_per_namespace_and_context_manager_saves() -> None:
    sio, app = make_app(namespaces=["/", "/chat"])
    peer, sid = await connected(app)
    chat_sid = sid_of(await peer.connect_namespace("/chat"))
    await sio.save_session(sid, {"user": "ann"})
    async with sio.session(chat_sid, namespace="/chat") as session:
        session["room"] = "x"
    assert await sio.get_session(sid) == {"user": "ann"}
    assert await sio.get_session(chat_sid, namespace="/chat") == {"room": "x"}
    await peer.close_transport()


async def test_disconnect_reasons() -> None:
    sio, app = make_app()
    reasons: dict[str, str] = {}
    legacy: list[str] = []

    @sio.event
    async def disconnect(sid: str, reason: str) -> None:
        reasons[sid] = reason

    sio.on("disconnect", lambda sid: legacy.append(sid), namespace="/legacy")

    a, sid_a = await connected(app)
    await a.send_packet("1")
    for _ in range(100):
        if sid_a in reasons:
            break
        await asyncio.sleep(0.01)
    assert reasons[sid_a] == sio.reason.CLIENT_DISCONNECT

    b, sid_b = await connected(app)
    await sio.disconnect(sid_b)
    assert await b.recv_packet() == "1"
    assert reasons[sid_b] == sio.reason.SERVER_DISCONNECT

    c, sid_c = await connected(app)
    legacy_sid = sid_of(await c.connect_namespace("/legacy"))
    await c.close_transport()
    assert reasons[sid_c] == sio.reason.TRANSPORT_CLOSE
    assert legacy == [legacy_sid]
    await a.close_transport()
    await b.close_transport()


async def test_class_based_namespace() -> None:
    sio, app = make_app()
    events: list[Any] = []

    class Chat(socketio.AsyncNamespace):
        async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any) -> None:
            events.append(("connect", auth))
            await self.enter_room(sid, "lobby")

        def on_shout(self, sid: str, text: str) -> str:
            return text.upper()

        async def on_disconnect(self, sid: str, reason: str) -> None:
            events.append(("disconnect", reason))

    sio.register_namespace(Chat("/chat"))
    peer, sid = await connected(app, "/chat", auth={"k": 1})
    assert "lobby" in sio.rooms(sid, namespace="/chat")
    await peer.send_packet('2/chat,5["shout","hi"]')
    assert await peer.recv_packet() == '3/chat,5["HI"]'
    await peer.send_packet('2/chat,6["missing"]')
    assert await peer.recv_packet() == "3/chat,6[]"
    await peer.send_packet("1/chat,")
    for _ in range(100):
        if len(events) == 2:
            break
        await asyncio.sleep(0.01)
    assert events == [("connect", {"k": 1}), ("disconnect", "client disconnect")]
    with pytest.raises(ValueError):
        sio.register_namespace(object())
    await peer.close_transport()


async def test_malformed_socketio_packet_closes_only_that_connection() -> None:
    sio, app = make_app()

    @sio.event
    async def echo(sid: str, x: Any) -> Any:
        return x

    good, _ = await connected(app)
    bad, _ = await connected(app)
    await bad.send_packet('2["echo"')
    await bad.expect_closed()
    await good.send_packet('21["echo",1]')
    assert await good.recv_packet() == "31[1]"
    await good.close_transport()


async def test_async_handlers_false_keeps_order() -> None:
    sio, app = make_app(async_handlers=False)
    order: list[int] = []

    @sio.event
    async def step(sid: str, n: int) -> None:
        await asyncio.sleep(0.01 if n == 0 else 0)
        order.append(n)

    peer, _ = await connected(app)
    for n in range(3):
        await peer.send_packet(f'2["step",{n}]')
    for _ in range(200):
        if len(order) == 3:
            break
        await asyncio.sleep(0.01)
    assert order == [0, 1, 2]
    with pytest.raises(RuntimeError):
        await sio.call("x", to="someone")
    await peer.close_transport()


async def test_binary_attachments_that_never_arrive_close_that_connection() -> None:
    sio, app = make_app(attachment_timeout=0.2)

    @sio.event
    async def echo(sid: str, x: Any) -> Any:
        return x

    good, _ = await connected(app)
    bad, _ = await connected(app)
    await bad.send_packet('52-["echo",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]')
    await bad.send(b"only one")
    closed = await bad.expect_closed(timeout=5)
    assert closed["type"] == "websocket.close"
    await good.send_packet('21["echo","still here"]')
    assert await good.recv_packet() == '31["still here"]'
    await good.close_transport()
