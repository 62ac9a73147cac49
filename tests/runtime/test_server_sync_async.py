"""One scenario list, run against both servers: ``Server`` (WSGI) and ``AsyncServer`` (ASGI).

Both servers share their protocol code (``runtime.base_server``); these scenarios
check that they therefore behave the same, frame for frame, over real frames.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import runtime as socketio
from tests.runtime.dual_harness import AsyncHarness, Harness, SyncHarness, connected
from tests.runtime.wsgi_wire import wait_for

Factory = Callable[..., Harness]


@pytest.fixture(params=["sync", "async"])
def make(request: pytest.FixtureRequest) -> Iterator[Factory]:
    made: list[Harness] = []

    def factory(**kwargs: Any) -> Harness:
        h = SyncHarness(**kwargs) if request.param == "sync" else AsyncHarness(**kwargs)
        made.append(h)
        return h

    yield factory
    for h in made:
        h.close()


def test_connect_handler_gets_environ_and_auth(make: Factory) -> None:
    h = make()
    seen: dict[str, Any] = {}

    @h.sio.event
    def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
        seen.update(sid=sid, addr=environ["REMOTE_ADDR"], auth=auth)

    peer, sid = connected(h, auth={"token": "t1"})
    assert seen == {"sid": sid, "addr": "203.0.113.7", "auth": {"token": "t1"}}
    assert h.sio.get_environ(sid)["REMOTE_ADDR"] == "203.0.113.7"
    assert h.sio.transport(sid) == "websocket"
    peer.close_transport()


def test_two_argument_connect_handler_is_called_without_auth(make: Factory) -> None:
    h = make()
    calls: list[str] = []
    h.sio.on("connect", lambda sid, environ: calls.append(sid))
    peer, sid = connected(h, auth={"token": "x"})
    assert calls == [sid]
    peer.close_transport()


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (
            socketio.exceptions.ConnectionRefusedError(),
            {"message": "Connection rejected by server"},
        ),
        (socketio.exceptions.ConnectionRefusedError("bad"), {"message": "bad"}),
        (
            socketio.exceptions.ConnectionRefusedError("bad", {"retry": False}),
            {"message": "bad", "data": {"retry": False}},
        ),
        (ConnectionRefusedError(), {"message": "Connection refused by server"}),
        (ValueError("boom"), {"message": "Internal server error"}),
        (False, {"message": "Connection rejected by server"}),
    ],
)
def test_connect_rejection_payloads(make: Factory, raised: Any, expected: dict[str, Any]) -> None:
    h = make()

    @h.sio.event
    def connect(sid: str, environ: dict[str, Any]) -> bool:
        if isinstance(raised, BaseException):
            raise raised
        return bool(raised)

    peer = h.peer()
    reply = peer.connect_namespace("/")
    assert reply.startswith("4"), reply
    assert json.loads(reply[1:]) == expected
    assert not h.sio.manager.get_namespaces()
    peer.close_transport()


def test_always_connect_sends_connect_then_disconnect_with_error(make: Factory) -> None:
    h = make(always_connect=True)

    @h.sio.event
    def connect(sid: str, environ: dict[str, Any]) -> None:
        raise socketio.exceptions.ConnectionRefusedError("nope")

    peer = h.peer()
    assert peer.connect_namespace("/").startswith("0{")
    second = peer.recv_packet()
    assert second.startswith("1") and json.loads(second[1:]) == {"message": "nope"}
    peer.close_transport()


def test_unknown_namespace_and_namespaces_star(make: Factory) -> None:
    h = make()
    peer = h.peer()
    assert peer.connect_namespace("/nowhere") == '4/nowhere,{"message":"Invalid namespace"}'
    peer.close_transport()
    star = make(namespaces="*")
    peer, sid = connected(star, "/anything")
    assert sid
    peer.close_transport()


def test_acks_tuple_none_and_unhandled(make: Factory) -> None:
    h = make()
    h.sio.on("pair", lambda sid, a, b: (b, a))
    h.sio.on("nothing", lambda sid: None)
    peer, _ = connected(h)
    peer.send_packet('21["pair",1,2]')
    assert peer.recv_packet() == "31[2,1]"
    peer.send_packet('22["nothing"]')
    assert peer.recv_packet() == "32[]"
    peer.send_packet('27["unknown"]')  # no handler at all: no ack
    peer.send_packet('28["pair","x","y"]')
    assert peer.recv_packet() == '38["y","x"]'
    peer.close_transport()


def test_catch_all_argument_orders(make: Factory) -> None:
    h = make(namespaces="*")
    seen: list[tuple[Any, ...]] = []
    lock = threading.Lock()

    def record(*args: Any) -> None:
        with lock:
            seen.append(args)

    h.sio.on("*", lambda event, sid, *data: record("ns-/", event, sid, *data))
    h.sio.on("*", lambda ev, ns, sid, *data: record("ns-*", ev, ns, sid, *data), namespace="*")
    h.sio.on("exact", lambda ns, sid, *data: record("exact", ns, sid, *data), namespace="*")
    peer, sid = connected(h)
    other = json.loads(peer.connect_namespace("/other")[len("0/other,") :])["sid"]
    peer.send_packet('2["hello",1]')
    peer.send_packet('2/other,["hi",2]')
    peer.send_packet('2/other,["exact",3]')
    wait_for(lambda: len(seen) == 3, what="three catch-all calls")
    assert sorted(seen, key=str) == sorted(
        [
            ("ns-/", "hello", sid, 1),
            ("ns-*", "hi", "/other", other, 2),
            ("exact", "/other", other, 3),
        ],
        key=str,
    )
    peer.close_transport()


def test_rooms_skip_sid_lists_and_close_room(make: Factory) -> None:
    h = make()
    a, sid_a = connected(h)
    b, sid_b = connected(h)
    c, sid_c = connected(h)
    h.call("enter_room", sid_a, "red")
    h.call("enter_room", sid_b, "red")
    h.call("enter_room", sid_c, "blue")
    assert sorted(h.sio.rooms(sid_a)) == sorted([sid_a, "red"])
    h.call("emit", "news", {"n": 1}, to="red", skip_sid=sid_a)
    assert b.recv_packet() == '2["news",{"n":1}]'
    h.call("emit", "news", 2, room=["red", "blue"], skip_sid=[sid_b])
    assert a.recv_packet() == '2["news",2]'
    assert c.recv_packet() == '2["news",2]'
    h.call("close_room", "red")
    h.call("emit", "after", to="red")  # nobody is in the room any more
    h.call("emit", "direct", (1, 2), to=sid_b)
    assert b.recv_packet() == '2["direct",1,2]'
    h.call("leave_room", sid_c, "blue")
    assert h.sio.rooms(sid_c) == [sid_c]
    h.call("send", "hi", namespace="/")
    for peer in (a, b, c):
        assert peer.recv_packet() == '2["message","hi"]'
        peer.close_transport()


def test_binary_event_and_binary_ack(make: Factory) -> None:
    h = make()
    h.sio.on("echo", lambda sid, data: {"got": data["blob"], "n": len(data["blob"])})
    peer, sid = connected(h)
    peer.send_packet('51-3["echo",{"blob":{"_placeholder":true,"num":0}}]')
    peer.send(b"\x00\x01\x02")
    assert peer.recv_packet() == '61-3[{"got":{"_placeholder":true,"num":0},"n":3}]'
    assert peer.recv() == b"\x00\x01\x02"
    h.call("emit", "blob", [b"a", b"bc"], to=sid)
    assert (
        peer.recv_packet()
        == '52-["blob",[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]]'
    )
    assert peer.recv() == b"a"
    assert peer.recv() == b"bc"
    peer.close_transport()


def test_call_gets_ack_times_out_and_refuses_broadcast(make: Factory) -> None:
    h = make()
    peer, sid = connected(h)
    pending = h.call_background("call", "question", {"q": 1}, to=sid, timeout=5)
    packet = peer.recv_packet()
    assert packet.startswith("2") and packet.endswith('["question",{"q":1}]'), packet
    peer.send_packet(f'3{packet[1 : packet.index("[")]}["answer",42]')
    assert pending.result(5) == ("answer", 42)
    with pytest.raises(socketio.exceptions.TimeoutError):
        h.call("call", "question", to=sid, timeout=0.05)
    with pytest.raises(ValueError, match="broadcast"):
        h.call("call", "question")
    peer.close_transport()


def test_emit_with_callback(make: Factory) -> None:
    h = make()
    peer, sid = connected(h)
    got: list[tuple[Any, ...]] = []
    h.call("emit", "q", 1, to=sid, callback=lambda *args: got.append(args))
    packet = peer.recv_packet()
    peer.send_packet(f"3{packet[1 : packet.index('[')]}[7]")
    wait_for(lambda: got, what="the callback")
    assert got == [(7,)]
    peer.close_transport()


def test_sessions_are_per_namespace(make: Factory) -> None:
    h = make(namespaces=["/", "/chat"])
    peer, sid = connected(h)
    chat_sid = json.loads(peer.connect_namespace("/chat")[len("0/chat,") :])["sid"]
    h.call("save_session", sid, {"user": "ann"})
    assert h.call("get_session", sid) == {"user": "ann"}
    assert h.call("get_session", chat_sid, namespace="/chat") == {}
    with pytest.raises(KeyError):
        h.call("get_session", "nobody")
    peer.close_transport()


def test_disconnect_reasons(make: Factory) -> None:
    h = make()
    reasons: dict[str, str] = {}
    legacy: list[str] = []
    h.sio.on("disconnect", lambda sid, reason: reasons.__setitem__(sid, reason))
    h.sio.on("disconnect", lambda sid: legacy.append(sid), namespace="/legacy")

    a, sid_a = connected(h)
    a.send_packet("1")
    wait_for(lambda: sid_a in reasons, what="client disconnect")
    assert reasons[sid_a] == h.sio.reason.CLIENT_DISCONNECT

    b, sid_b = connected(h)
    h.call("disconnect", sid_b)
    assert b.recv_packet() == "1"
    assert reasons[sid_b] == h.sio.reason.SERVER_DISCONNECT
    h.call("disconnect", sid_b)  # a second disconnect is a no-op

    c, sid_c = connected(h)
    legacy_sid = json.loads(c.connect_namespace("/legacy")[len("0/legacy,") :])["sid"]
    c.close_transport()
    wait_for(lambda: sid_c in reasons, what="transport close")
    assert reasons[sid_c] == h.sio.reason.TRANSPORT_CLOSE
    assert legacy == [legacy_sid]
    a.close_transport()
    b.close_transport()


def test_class_based_namespace(make: Factory) -> None:
    h = make()
    events: list[Any] = []

    class Chat(h.namespace_class):  # type: ignore[name-defined,misc]
        def on_connect(self, sid: str, environ: dict[str, Any], auth: Any) -> None:
            events.append(("connect", auth))

        def on_shout(self, sid: str, text: str) -> str:
            return text.upper()

        def on_disconnect(self, sid: str, reason: str) -> None:
            events.append(("disconnect", reason))

    h.sio.register_namespace(Chat("/chat"))
    peer, _ = connected(h, "/chat", auth={"k": 1})
    peer.send_packet('2/chat,5["shout","hi"]')
    assert peer.recv_packet() == '3/chat,5["HI"]'
    peer.send_packet('2/chat,6["missing"]')  # a class namespace acks unhandled events empty
    assert peer.recv_packet() == "3/chat,6[]"
    peer.send_packet("1/chat,")
    wait_for(lambda: len(events) == 2, what="disconnect handler")
    assert events == [("connect", {"k": 1}), ("disconnect", "client disconnect")]
    with pytest.raises(ValueError):
        h.sio.register_namespace(object())
    wrong = socketio.AsyncNamespace if h.kind == "sync" else socketio.namespace.Namespace
    with pytest.raises(ValueError):
        h.sio.register_namespace(wrong("/x"))
    peer.close_transport()


def test_malformed_packet_closes_only_that_connection(make: Factory) -> None:
    h = make()
    h.sio.on("echo", lambda sid, x: x)
    good, _ = connected(h)
    bad, _ = connected(h)
    bad.send_packet('2["echo"')
    bad.expect_closed()
    good.send_packet('21["echo",1]')
    assert good.recv_packet() == "31[1]"
    good.close_transport()


def test_binary_attachments_that_never_arrive_close_that_connection(make: Factory) -> None:
    h = make(attachment_timeout=0.2)
    h.sio.on("echo", lambda sid, x: x)
    good, _ = connected(h)
    bad, _ = connected(h)
    bad.send_packet('52-["echo",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]')
    bad.send(b"only one")
    bad.expect_closed(timeout=5)
    good.send_packet('21["echo","still here"]')
    assert good.recv_packet() == '31["still here"]'
    good.close_transport()
