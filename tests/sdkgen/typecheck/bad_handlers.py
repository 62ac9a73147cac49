"""Deliberately wrong uses of the generated bindings: mypy --strict must reject each one.

A comment line starting with ``E:`` marks the line below it: mypy must report there the
error code in brackets, with the rest of the comment somewhere in the message.
`test_typecheck.py` fails on a missing or an unexpected error.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from contracts.chat import (
    DeliveryCheck,
    JoinRoom,
    MessageAccepted,
    MessagePosted,
    RoomJoined,
    SendMessage,
    Typing,
)
from contracts.moderation import ModeratorAuth
from generated.server.chat import chat

NOW = datetime.now(UTC)


# E: [arg-type] expected "Callable[[str, SendMessage], Awaitable[MessageAccepted]]"
@chat.on(SendMessage)
async def wrong_payload_type(sid: str, payload: JoinRoom) -> MessageAccepted:
    return MessageAccepted(id=uuid4(), sent_at=NOW)


# E: [arg-type] "Callable[[str, SendMessage], Coroutine[Any, Any, RoomJoined]]"
@chat.on(SendMessage)
async def wrong_ack_type(sid: str, payload: SendMessage) -> RoomJoined:
    return RoomJoined(room=payload.room, members=[])


# E: [arg-type] expected "Callable[[str, Typing], Awaitable[None]]"
@chat.on(Typing)
async def ack_for_unacked_event(sid: str, payload: Typing) -> MessageAccepted:
    return MessageAccepted(id=uuid4(), sent_at=NOW)


# E: [arg-type] "Callable[[str, SendMessage], MessageAccepted]"
@chat.on(SendMessage)
def sync_handler(sid: str, payload: SendMessage) -> MessageAccepted:
    return MessageAccepted(id=uuid4(), sent_at=NOW)


# E: [arg-type] "type[MessagePosted]"
# E: [arg-type] "Callable[[str, MessagePosted], Coroutine[Any, Any, None]]"
@chat.on(MessagePosted)
async def unknown_event(sid: str, payload: MessagePosted) -> None:
    return None


# E: [arg-type] "Callable[[str, Mapping[str, Any], ChatAuth], Awaitable[None]]"
@chat.on_connect
async def wrong_auth_model(sid: str, environ: Mapping[str, Any], auth: ModeratorAuth) -> None:
    return None


async def wrong_emit_payload(sid: str) -> None:
    # E: [arg-type] expected "MessagePosted"
    await chat.emit_message_posted(Typing(room="lobby", active=True), to=sid)


async def wrong_call_result(sid: str) -> None:
    check = DeliveryCheck(room="lobby", message_ids=[])
    # E: [assignment] "DeliveryReceipt"
    receipt: MessageAccepted = await chat.call_delivery_check(check, to=sid)
    print(receipt)


async def call_an_event_without_ack(sid: str) -> None:
    # E: [attr-defined] "call_message_posted"
    await chat.call_message_posted(MessagePosted.model_construct(), to=sid)


async def call_needs_one_sid(rooms: list[str]) -> None:
    check = DeliveryCheck(room="a", message_ids=[])
    # E: [arg-type] expected "str"
    await chat.call_delivery_check(check, to=rooms)


class MissingOne:
    async def typing(self, sid: str, payload: Typing) -> None:
        return None


def register_incomplete_handlers() -> None:
    # E: [arg-type] expected "ChatHandlers"
    chat.register_handlers(MissingOne())
