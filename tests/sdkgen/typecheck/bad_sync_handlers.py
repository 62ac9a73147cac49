"""Deliberately wrong uses of the generated sync twin (`chat_sync`, for `runtime.Server`).

Marked like `bad_handlers.py`: each ``E:`` comment names the error mypy --strict must
report on the next code line.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import runtime
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
from generated.server import register_all_sync
from generated.server.chat import chat_sync

NOW = datetime.now(UTC)


# E: [arg-type] expected "Callable[[str, SendMessage], MessageAccepted]"
@chat_sync.on(SendMessage)
def wrong_payload_type(sid: str, payload: JoinRoom) -> MessageAccepted:
    return MessageAccepted(id=uuid4(), sent_at=NOW)


# E: [arg-type] "Callable[[str, SendMessage], RoomJoined]"
@chat_sync.on(SendMessage)
def wrong_ack_type(sid: str, payload: SendMessage) -> RoomJoined:
    return RoomJoined(room=payload.room, members=[])


# E: [arg-type] expected "Callable[[str, Typing], None]"
@chat_sync.on(Typing)
def ack_for_unacked_event(sid: str, payload: Typing) -> MessageAccepted:
    return MessageAccepted(id=uuid4(), sent_at=NOW)


# E: [arg-type] "Callable[[str, SendMessage], Coroutine[Any, Any, MessageAccepted]]"
@chat_sync.on(SendMessage)
async def async_handler(sid: str, payload: SendMessage) -> MessageAccepted:
    return MessageAccepted(id=uuid4(), sent_at=NOW)


# E: [arg-type] "Callable[[str, Typing], Coroutine[Any, Any, None]]"
@chat_sync.on(Typing)
async def async_unacked_handler(sid: str, payload: Typing) -> None:
    return None


# E: [arg-type] "type[MessagePosted]"
# E: [arg-type] "Callable[[str, MessagePosted], None]"
@chat_sync.on(MessagePosted)
def unknown_event(sid: str, payload: MessagePosted) -> None:
    return None


# E: [arg-type] "Callable[[str, Mapping[str, Any], ChatAuth], None]"
@chat_sync.on_connect
def wrong_auth_model(sid: str, environ: Mapping[str, Any], auth: ModeratorAuth) -> None:
    return None


# E: [arg-type] Coroutine[Any, Any, None]]"; expected "Callable[[str, Mapping[str, Any], ChatAuth], None]"
@chat_sync.on_connect
async def async_connect(sid: str, environ: Mapping[str, Any], auth: Any) -> None:
    return None


# E: [arg-type] "Callable[[str, str], Coroutine[Any, Any, None]]"
@chat_sync.on_disconnect
async def async_disconnect(sid: str, reason: str) -> None:
    return None


def wrong_emit_payload(sid: str) -> None:
    # E: [arg-type] expected "MessagePosted"
    chat_sync.emit_message_posted(Typing(room="lobby", active=True), to=sid)


def wrong_call_result(sid: str) -> None:
    check = DeliveryCheck(room="lobby", message_ids=[])
    # E: [assignment] "DeliveryReceipt"
    receipt: MessageAccepted = chat_sync.call_delivery_check(check, to=sid)
    print(receipt)


async def awaiting_a_blocking_call(sid: str) -> None:
    check = DeliveryCheck(room="lobby", message_ids=[])
    # E: [misc] Incompatible types in "await" (actual type "DeliveryReceipt"
    await chat_sync.call_delivery_check(check, to=sid)


class AsyncHandlers:
    async def typing(self, sid: str, payload: Typing) -> None:
        return None


def register_async_handlers() -> None:
    # E: [arg-type] expected "ChatHandlersSync"
    chat_sync.register_handlers(AsyncHandlers())


def register_on_an_async_server() -> None:
    # E: [arg-type] expected "ServerLike"
    register_all_sync(runtime.AsyncServer())
