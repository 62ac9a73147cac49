"""Typed dispatch of the generated /chat bindings on the real runtime, in process.

Real Socket.IO frames go through `runtime.ASGIApp` over an in-memory websocket
(tests/runtime/asgi_wire.py): valid events reach handlers as model instances, every
invalid one gets a structured error, and the server keeps serving.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import runtime
from contracts.chat import (
    ChatAuth,
    DeliveryCheck,
    DeliveryReceipt,
    MessageAccepted,
    MessagePosted,
    PresenceAccepted,
    SendMessage,
    SetPresence,
    Typing,
)
from contracts.common import ChatMessage, FileContent, Member, TextContent
from generated.server.chat import ChatNamespace
from runtime.exceptions import ConnectionRefusedError
from runtime.typed import ERROR_EVENT, EventError, InvalidAckError
from tests.runtime.asgi_wire import WebSocketPeer, sid_of

TOKEN = "t" * 16
AUTH = {"token": TOKEN}


@dataclass
class Rig:
    sio: runtime.AsyncServer
    app: runtime.ASGIApp
    chat: ChatNamespace
    seen: list[Any]


@pytest.fixture
def rig() -> Rig:
    sio = runtime.AsyncServer()
    chat = ChatNamespace()  # a fresh instance: the module-level `chat` serves one server
    seen: list[Any] = []

    @chat.on(SendMessage)
    async def send_message(sid: str, payload: SendMessage) -> MessageAccepted:
        seen.append(payload)
        if payload.room == "forbidden":
            raise EventError("forbidden", "you may not post here", details=[{"room": "forbidden"}])
        if payload.room == "crash":
            raise RuntimeError("database password is hunter2")
        return MessageAccepted(id=uuid4(), sent_at=datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC))

    @chat.on(Typing)
    async def typing(sid: str, payload: Typing) -> None:
        seen.append(payload)
        if payload.room == "crash":
            raise RuntimeError("boom")

    @chat.on_connect
    async def connect(sid: str, environ: Mapping[str, Any], auth: ChatAuth) -> None:
        seen.append(auth)
        if auth.client == "ios":
            raise ConnectionRefusedError("ios clients are paused")

    chat.register(sio)
    return Rig(sio, runtime.ASGIApp(sio), chat, seen)


@dataclass
class Conn:
    peer: WebSocketPeer
    sid: str  # namespace sid


@pytest.fixture
async def conn(rig: Rig) -> AsyncIterator[Conn]:
    peer = WebSocketPeer(rig.app)
    await peer.open()
    reply = await peer.connect_namespace("/chat", AUTH)
    assert reply.startswith("0/chat,"), reply
    yield Conn(peer, sid_of(reply))
    await peer.close_transport()


@pytest.fixture
def peer(conn: Conn) -> WebSocketPeer:
    return conn.peer


def decode(packet: str) -> tuple[str, int | None, list[Any]]:
    """`2/chat,7["x",{}]` -> ("2", 7, ["x", {}]) for plain (non-binary) packets."""
    kind, rest = packet[0], packet[1:]
    assert rest.startswith("/chat,"), packet
    rest = rest[len("/chat,") :]
    digits = ""
    while rest and rest[0].isdigit():
        digits, rest = digits + rest[0], rest[1:]
    return kind, int(digits) if digits else None, json.loads(rest)


async def emit(peer: WebSocketPeer, event: str, *args: Any, ack: int | None = None) -> None:
    ack_id = "" if ack is None else str(ack)
    await peer.send_packet(f"2/chat,{ack_id}{json.dumps([event, *args])}")


async def ack_reply(peer: WebSocketPeer, ack: int) -> Any:
    kind, got, args = decode(await peer.recv_packet())
    assert (kind, got) == ("3", ack), (kind, got, args)
    (value,) = args
    return value


async def error_event(peer: WebSocketPeer) -> dict[str, Any]:
    kind, _, (name, error) = decode(await peer.recv_packet())
    assert (kind, name) == ("2", ERROR_EVENT)
    result: dict[str, Any] = error
    return result


def message(room: str = "lobby", **extra: Any) -> dict[str, Any]:
    return {
        "room": room,
        "client_ref": str(uuid4()),
        "content": {"kind": "text", "text": "hi"},
        **extra,
    }


async def test_valid_event_reaches_the_handler_as_a_model_and_acks_an_envelope(
    rig: Rig, peer: WebSocketPeer
) -> None:
    await emit(peer, "message:send", message(), ack=1)
    reply = await ack_reply(peer, 1)
    assert reply["ok"] is True
    assert reply["data"]["sent_at"] == "2030-01-02T03:04:05Z"  # model_dump(mode="json")
    UUID(reply["data"]["id"])
    (auth, payload) = rig.seen
    assert isinstance(auth, ChatAuth) and auth.token == TOKEN
    assert isinstance(payload, SendMessage) and isinstance(payload.content, TextContent)


async def test_invalid_payload_never_reaches_the_handler(rig: Rig, peer: WebSocketPeer) -> None:
    await emit(peer, "message:send", {"room": "Not A Slug", "content": {"kind": "video"}}, ack=2)
    reply = await ack_reply(peer, 2)
    assert reply["ok"] is False
    error = reply["error"]
    assert (error["code"], error["event"]) == ("invalid_payload", "message:send")
    locs = {tuple(d["loc"]) for d in error["details"]}
    assert ("room",) in locs and ("client_ref",) in locs
    assert all(set(d) == {"loc", "msg", "type"} for d in error["details"])  # input not echoed
    assert len(rig.seen) == 1  # only the auth


async def test_invalid_unacked_event_gets_an_error_event(rig: Rig, peer: WebSocketPeer) -> None:
    await emit(peer, "typing", {"room": "lobby"})
    error = await error_event(peer)
    assert (error["code"], error["event"]) == ("invalid_payload", "typing")
    assert error["details"][0]["loc"] == ["active"]
    assert len(rig.seen) == 1


@pytest.mark.parametrize(
    ("args", "code"),
    [((), "invalid_payload"), (({}, {}), "invalid_payload"), (("text",), "invalid_payload")],
)
async def test_wrong_argument_shapes_are_rejected(
    peer: WebSocketPeer, args: tuple[Any, ...], code: str
) -> None:
    await emit(peer, "message:send", *args, ack=3)
    reply = await ack_reply(peer, 3)
    assert reply["error"]["code"] == code


async def test_event_error_from_the_handler_is_sent_as_is(peer: WebSocketPeer) -> None:
    await emit(peer, "message:send", message("forbidden"), ack=4)
    reply = await ack_reply(peer, 4)
    assert reply == {
        "ok": False,
        "error": {
            "code": "forbidden",
            "message": "you may not post here",
            "event": "message:send",
            "details": [{"room": "forbidden"}],
        },
    }


async def test_handler_crash_becomes_an_internal_error_and_the_server_survives(
    peer: WebSocketPeer, caplog: pytest.LogCaptureFixture
) -> None:
    await emit(peer, "message:send", message("crash"), ack=5)
    reply = await ack_reply(peer, 5)
    assert reply["error"]["code"] == "internal_error"
    assert "hunter2" not in json.dumps(reply)  # the exception text stays on the server
    assert "handler of 'message:send' in /chat failed" in caplog.text
    await emit(peer, "typing", {"room": "crash", "active": True})
    assert (await error_event(peer))["code"] == "internal_error"
    await emit(peer, "message:send", message(), ack=6)
    assert (await ack_reply(peer, 6))["ok"] is True


async def test_unknown_and_unhandled_events(peer: WebSocketPeer) -> None:
    await emit(peer, "no:such:event", {}, ack=7)
    unknown = await ack_reply(peer, 7)
    assert unknown["error"]["code"] == "unknown_event"
    await emit(peer, "presence:set", {"status": "away"}, ack=8)  # in the contract, no handler
    missing = await ack_reply(peer, 8)
    assert missing["error"]["code"] == "not_implemented"
    await emit(peer, "room:leave", {"room": "lobby"})  # unacked and unhandled
    assert (await error_event(peer))["code"] == "not_implemented"


async def test_handlers_added_after_register_take_over(rig: Rig, peer: WebSocketPeer) -> None:
    @rig.chat.on(SetPresence)
    async def set_presence(sid: str, payload: SetPresence) -> PresenceAccepted:
        return PresenceAccepted(status=payload.status, note=payload.note)

    await emit(peer, "presence:set", {"status": "busy", "note": "focus"}, ack=9)
    assert await ack_reply(peer, 9) == {"ok": True, "data": {"status": "busy", "note": "focus"}}


async def test_a_handler_returning_the_wrong_type_is_an_internal_error(
    rig: Rig, peer: WebSocketPeer
) -> None:
    async def sloppy(sid: str, payload: SetPresence) -> Any:
        return {"status": "busy"}  # a dict, not PresenceAccepted

    rig.chat.on(SetPresence)(sloppy)
    await emit(peer, "presence:set", {"status": "busy"}, ack=10)
    assert (await ack_reply(peer, 10))["error"]["code"] == "internal_error"


@pytest.mark.parametrize(
    ("auth", "expected"),
    [
        ({"token": "short"}, "invalid_auth"),
        (None, "invalid_auth"),
        ({"token": TOKEN, "client": "ios"}, "ios clients are paused"),
    ],
)
async def test_connect_validates_auth_before_the_connect_handler(
    rig: Rig, auth: Any, expected: str
) -> None:
    peer = WebSocketPeer(rig.app)
    await peer.open()
    reply = await peer.connect_namespace("/chat", auth)
    assert reply.startswith("4/chat,"), reply
    body = json.loads(reply[len("4/chat,") :])
    if expected == "invalid_auth":
        assert body["message"] == "invalid auth"
        assert body["data"]["code"] == "invalid_auth"
        assert rig.seen == []  # the connect handler never ran
    else:
        assert body == {"message": expected}
    await peer.close_transport()


async def test_disconnect_handler_gets_the_reason(rig: Rig) -> None:
    reasons: list[str] = []
    done = asyncio.Event()

    @rig.chat.on_disconnect
    async def gone(sid: str, reason: str) -> None:
        reasons.append(reason)
        done.set()

    peer = WebSocketPeer(rig.app)
    await peer.open()
    await peer.connect_namespace("/chat", AUTH)
    await peer.send_packet("1/chat,")
    await asyncio.wait_for(done.wait(), 5)
    assert reasons == ["client disconnect"]
    await peer.close_transport()


async def test_bytes_arrive_as_bytes_and_leave_as_binary_attachments(
    rig: Rig, peer: WebSocketPeer
) -> None:
    upload = message(
        content={"kind": "file", "filename": "a.bin", "data": {"_placeholder": True, "num": 0}}
    )
    await peer.send_packet(f"51-/chat,11{json.dumps(['message:send', upload])}")
    await peer.send(b"\x00\xff\x10")
    assert (await ack_reply(peer, 11))["ok"] is True
    received = rig.seen[-1]
    assert isinstance(received.content, FileContent) and received.content.data == b"\x00\xff\x10"

    member = Member(id=uuid4(), name="ada")
    posted = MessagePosted(
        message=ChatMessage(
            id=uuid4(),
            room="lobby",
            author=member,
            content=FileContent(filename="b.bin", data=b"\x01\x02"),
            sent_at=datetime(2030, 1, 1, tzinfo=UTC),
        )
    )
    await rig.chat.emit_message_posted(posted, to="lobby")  # nobody in the room: no frame
    await rig.chat.emit_message_posted(posted)  # everyone in /chat
    header = await peer.recv_packet()
    assert header.startswith("51-/chat,"), header
    name, data = json.loads(header[len("51-/chat,") :])
    assert name == "message:posted"
    assert data["message"]["content"]["data"] == {"_placeholder": True, "num": 0}
    assert data["message"]["sent_at"] == "2030-01-01T00:00:00Z"
    assert await peer.recv() == b"\x01\x02"


async def test_call_returns_the_validated_client_ack(rig: Rig, conn: Conn) -> None:
    peer, sid = conn.peer, conn.sid
    check = DeliveryCheck(room="lobby", message_ids=[uuid4()])

    async def client_acks(value: Any) -> None:
        kind, ack_id, (name, data) = decode(await peer.recv_packet())
        assert (kind, name) == ("2", "message:delivery_check") and ack_id is not None
        assert data["message_ids"] == [str(check.message_ids[0])]
        await peer.send_packet(f"3/chat,{ack_id}{json.dumps([value])}")

    good = {"received": [str(check.message_ids[0])]}
    call = asyncio.ensure_future(rig.chat.call_delivery_check(check, to=sid, timeout=5))
    await client_acks(good)
    receipt = await asyncio.wait_for(call, 5)
    assert isinstance(receipt, DeliveryReceipt) and receipt.received == check.message_ids

    call = asyncio.ensure_future(rig.chat.call_delivery_check(check, to=sid, timeout=5))
    await client_acks({"received": "not a list"})
    with pytest.raises(InvalidAckError) as caught:
        await asyncio.wait_for(call, 5)
    assert caught.value.event == "message:delivery_check"
    assert caught.value.errors[0]["loc"] == ["received"]

    with pytest.raises(runtime.exceptions.TimeoutError):
        await rig.chat.call_delivery_check(check, to=sid, timeout=0.05)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
ACKED = {"message:send", "presence:set", "room:join", "nope"}
_events = st.sampled_from(sorted(ACKED | {"typing", "room:leave"}))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_events, st.lists(_json, max_size=3)), min_size=1, max_size=6))
def test_the_server_survives_any_payload(calls: list[tuple[str, list[Any]]]) -> None:
    async def scenario() -> None:
        sio = runtime.AsyncServer()
        chat = ChatNamespace()

        @chat.on(SendMessage)
        async def send_message(sid: str, payload: SendMessage) -> MessageAccepted:
            return MessageAccepted(id=uuid4(), sent_at=datetime.now(UTC))

        chat.register(sio)
        peer = WebSocketPeer(runtime.ASGIApp(sio))
        await peer.open()
        await peer.connect_namespace("/chat", AUTH)
        for number, (event, args) in enumerate(calls, 1):
            await emit(peer, event, *args, ack=number)
            errors = []
            while True:
                kind, ack_id, values = decode(await peer.recv_packet())
                if kind == "3":
                    break
                assert (kind, values[0]) == ("2", ERROR_EVENT), values
                errors.append(values[1])
            assert ack_id == number
            if event in ACKED:
                # Acked events answer with an envelope, whatever was sent.
                (reply,) = values
                assert isinstance(reply, dict) and isinstance(reply.get("ok"), bool), reply
                assert not errors
            else:
                # Unacked events report through one error event (typing has no handler here).
                assert values == [] and len(errors) == 1, (values, errors)
        await emit(peer, "message:send", message(), ack=999)
        assert (await ack_reply(peer, 999))["ok"] is True
        await peer.close_transport()

    asyncio.run(scenario())
