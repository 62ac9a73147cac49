"""The sans-IO Socket.IO client connection and the reconnection policy: real bytes, no I/O."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runtime.client.backoff import ReconnectPolicy
from runtime.client.connection import (
    AckReceived,
    ClientConnection,
    EventReceived,
    NamespaceConnected,
    NamespaceDisconnected,
    NamespaceRejected,
    NamespaceState,
    ack_args,
    emit_args,
)
from runtime.client.handlers import HandlerRegistry
from runtime.exceptions import BadNamespaceError, LocalProtocolError, RemoteProtocolError
from runtime.socketio.serializer import get_serializer


def connected(
    namespaces: tuple[str, ...] = ("/",), serializer: str = "default"
) -> ClientConnection:
    conn = ClientConnection(get_serializer(serializer))
    conn.connect(namespaces, None)
    for ns in namespaces:
        prefix = "" if ns == "/" else ns + ","
        conn.receive(f'0{prefix}{{"sid":"sid-{ns}"}}')
    return conn


def test_connect_packets_carry_auth_and_namespaces() -> None:
    conn = ClientConnection(get_serializer())
    assert conn.connect(["/", "/chat"], {"token": "x"}) == [
        '0{"token":"x"}',
        '0/chat,{"token":"x"}',
    ]
    assert conn.namespaces == {"/": NamespaceState.CONNECTING, "/chat": NamespaceState.CONNECTING}
    assert not conn.settled
    # No auth: python-socketio sends an empty object.
    assert ClientConnection(get_serializer()).connect(["/"], None) == ["0{}"]
    with pytest.raises(LocalProtocolError):
        ClientConnection(get_serializer()).connect(["/"], "not a dict")


def test_per_namespace_auth_overrides_the_shared_auth() -> None:
    conn = ClientConnection(get_serializer())
    packets = conn.connect(["/", "/chat", "/mod"], {"token": "x"}, {"/mod": {"role": "m"}})
    assert packets == ['0{"token":"x"}', '0/chat,{"token":"x"}', '0/mod,{"role":"m"}']
    assert ClientConnection(get_serializer()).connect(["/a"], {"t": 1}, {"/a": None}) == ["0/a,{}"]
    with pytest.raises(LocalProtocolError):
        ClientConnection(get_serializer()).connect(["/a"], {}, {"/a": ["not", "a", "dict"]})


def test_connect_and_connect_error_settle_namespaces() -> None:
    conn = ClientConnection(get_serializer())
    conn.connect(["/", "/private"], {})
    assert conn.receive('0{"sid":"abc"}') == [NamespaceConnected("/", "abc")]
    assert conn.receive('4/private,{"message":"no","data":{"why":1}}') == [
        NamespaceRejected("/private", ({"message": "no", "data": {"why": 1}},))
    ]
    assert conn.settled
    assert conn.connected_namespaces == {"/": "abc"}
    assert conn.failed_namespaces == ["/private"]
    # python-socketio's servers reject unknown namespaces with a bare string.
    conn2 = ClientConnection(get_serializer())
    conn2.connect(["/x"], {})
    assert conn2.receive('4/x,"Unable to connect"') == [
        NamespaceRejected("/x", ("Unable to connect",))
    ]


def test_unsolicited_packets_are_ignored() -> None:
    conn = ClientConnection(get_serializer())
    conn.connect(["/"], {})
    assert conn.receive('0/other,{"sid":"x"}') == []  # never asked for
    assert conn.receive('2["early"]') == []  # not connected yet
    assert conn.receive('4/other,{"message":"m"}') == []
    assert conn.receive("1/other,") == []


def test_events_and_acks_round_trip() -> None:
    conn = connected(("/", "/chat"))
    assert conn.receive('2["hello",1,{"a":[true]}]') == [
        EventReceived("/", "hello", (1, {"a": [True]}), None)
    ]
    assert conn.receive('2/chat,7["q","x"]') == [EventReceived("/chat", "q", ("x",), 7)]
    assert conn.encode_ack("/chat", 7, ack_args(("a", 2))) == ['3/chat,7["a",2]']

    payloads, ack_id = conn.encode_event("/", "ev", emit_args("d"), want_ack=True)
    assert (payloads, ack_id) == (['21["ev","d"]'], 1)
    payloads, ack_id = conn.encode_event("/chat", "ev", emit_args(None), want_ack=True)
    assert (payloads, ack_id) == (['2/chat,1["ev"]'], 1)  # ids count per namespace
    _, second = conn.encode_event("/", "ev", [], want_ack=True)
    assert second == 2
    assert conn.receive('31["r"]') == [AckReceived("/", 1, ("r",))]
    assert conn.receive('31["again"]') == []  # each ack is delivered once
    conn.forget_ack("/", 2)
    assert conn.receive("32[]") == []  # abandoned (call() timed out)


def test_binary_event_and_ack_reassembled() -> None:
    conn = connected()
    payloads, _ = conn.encode_event("/", "up", [b"\x00\xff", {"k": b"z"}], want_ack=True)
    assert payloads == [
        '52-1["up",{"_placeholder":true,"num":0},{"k":{"_placeholder":true,"num":1}}]',
        b"\x00\xff",
        b"z",
    ]
    assert conn.receive('61-1[{"_placeholder":true,"num":0}]') == []
    assert conn.receive(b"\x01\x02") == [AckReceived("/", 1, (b"\x01\x02",))]
    assert conn.receive('51-["down",{"_placeholder":true,"num":0}]') == []
    assert conn.receive(b"") == [EventReceived("/", "down", (b"",), None)]


def test_msgpack_round_trip() -> None:
    import msgpack

    conn = ClientConnection(get_serializer("msgpack"))
    (connect,) = conn.connect(["/"], {"t": 1})
    assert isinstance(connect, bytes)
    assert msgpack.unpackb(connect) == {"type": 0, "nsp": "/", "data": {"t": 1}}
    answer = msgpack.packb({"type": 0, "nsp": "/", "data": {"sid": "s"}})
    assert conn.receive(answer) == [NamespaceConnected("/", "s")]
    event = msgpack.packb({"type": 2, "nsp": "/", "data": ["e", b"\x00"], "id": 3})
    assert conn.receive(event) == [EventReceived("/", "e", (b"\x00",), 3)]


def test_server_disconnect_and_engine_close() -> None:
    conn = connected(("/", "/chat"))
    _, ack_id = conn.encode_event("/chat", "e", [], want_ack=True)
    assert conn.receive("1/chat,") == [NamespaceDisconnected("/chat")]
    assert conn.connected_namespaces == {"/": "sid-/"}
    assert conn.receive(f"3/chat,{ack_id}[]") == []  # acks of a gone namespace are dropped
    with pytest.raises(BadNamespaceError):
        conn.encode_event("/chat", "e", [])
    assert conn.engine_closed() == ["/"]
    assert conn.connected_namespaces == {}


def test_client_disconnect_packets() -> None:
    conn = connected(("/", "/chat"))
    assert conn.disconnect() == ["1", "1/chat,"]
    assert conn.connected_namespaces == {}
    assert conn.disconnect() == []


def test_invalid_input_raises_remote_error() -> None:
    conn = connected()
    with pytest.raises(RemoteProtocolError):
        conn.receive("9oops")
    with pytest.raises(RemoteProtocolError):
        conn.receive(b"unexpected attachment")


@given(st.lists(st.sampled_from(["/", "/a", "/b"]), max_size=40))
def test_ack_ids_unique_per_namespace_and_start_at_one(namespaces: list[str]) -> None:
    conn = connected(("/", "/a", "/b"))
    seen: dict[str, list[int]] = {}
    for ns in namespaces:
        _, ack_id = conn.encode_event(ns, "e", [], want_ack=True)
        assert ack_id is not None
        seen.setdefault(ns, []).append(ack_id)
    for ids in seen.values():
        assert ids == list(range(1, len(ids) + 1))


@given(
    st.one_of(st.none(), st.integers(), st.text(), st.binary(), st.tuples(st.integers(), st.text()))
)
def test_emit_args_rule(data: Any) -> None:
    args = emit_args(data)
    if data is None:
        assert args == []
    elif isinstance(data, tuple):
        assert args == list(data)
    else:
        assert args == [data]


@given(
    attempt=st.integers(0, 2000),
    rand=st.floats(0, 1, exclude_max=True),
    delay=st.floats(0, 10),
    delay_max=st.floats(0, 60),
    factor=st.floats(0, 1),
)
def test_backoff_bounds(
    attempt: int, rand: float, delay: float, delay_max: float, factor: float
) -> None:
    policy = ReconnectPolicy(True, 0, delay, delay_max, factor)
    value = policy.next_delay(attempt, rand)
    base = min(delay * 2.0 ** min(attempt, 64), delay_max)
    assert base * (1 - factor) - 1e-9 <= value <= base * (1 + factor) + 1e-9
    assert value >= 0


def test_backoff_grows_then_caps_and_gives_up() -> None:
    policy = ReconnectPolicy(True, 3, 1.0, 5.0, 0.0)
    assert [policy.next_delay(n, 0.99) for n in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert [policy.gives_up(n) for n in (2, 3)] == [False, True]
    assert not ReconnectPolicy(attempts=0).gives_up(10**6)
    assert ReconnectPolicy(randomization_factor=0.5).next_delay(0, 0.0) == 0.5
    with pytest.raises(ValueError):
        ReconnectPolicy(randomization_factor=2)


class Registry(HandlerRegistry):
    def is_asyncio_based(self) -> bool:
        return True


def test_handler_resolution_order() -> None:
    reg = Registry()

    def specific() -> None: ...
    def ns_any() -> None: ...
    def any_event() -> None: ...
    def any_any() -> None: ...

    reg.on("ev", specific)
    reg.on("*", ns_any)
    assert reg._get_event_handler("ev", "/", (1,)) == (specific, (1,))
    assert reg._get_event_handler("other", "/", (1,)) == (ns_any, ("other", 1))
    assert reg._get_event_handler("connect", "/", ()) == (None, ())  # reserved: no catch-all
    reg.on("ev", any_event, namespace="*")
    reg.on("*", any_any, namespace="*")
    assert reg._get_event_handler("ev", "/x", (1,)) == (any_event, ("/x", 1))
    assert reg._get_event_handler("zz", "/x", (1,)) == (any_any, ("zz", "/x", 1))

    @reg.event
    def named() -> None: ...

    assert reg.handlers["/"]["named"] is named
