"""A small chat server on the generated /chat bindings, for the functional tests.

Served by uvicorn in a subprocess: `uvicorn tests.sdkgen.apps.typed_chat_app:app`.
It uses the generated helpers the way an application does: typed handlers,
`emit_*` inside handlers and `call_*` from a background task outside any handler.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import runtime
from contracts.chat import (
    ChatAuth,
    DeliveryCheck,
    JoinRoom,
    MessageAccepted,
    MessagePosted,
    PresenceChanged,
    RoomJoined,
    SendMessage,
    Typing,
    TypingUpdate,
)
from contracts.common import ChatMessage, Member
from generated.server.chat import chat
from runtime.exceptions import ConnectionRefusedError

sio = runtime.AsyncServer()
app = runtime.ASGIApp(sio)
chat.register(sio)

CHECKED_MESSAGE = UUID(int=42)
members: dict[str, Member] = {}


@chat.on_connect
async def connect(sid: str, environ: Mapping[str, Any], auth: ChatAuth) -> None:
    if auth.token.startswith("banned"):
        raise ConnectionRefusedError("banned")
    members[sid] = Member(id=uuid4(), name=auth.token[:8])


@chat.on_disconnect
async def disconnect(sid: str, reason: str) -> None:
    members.pop(sid, None)


@chat.on(JoinRoom)
async def join_room(sid: str, payload: JoinRoom) -> RoomJoined:
    await sio.enter_room(sid, payload.room, namespace="/chat")
    sio.start_background_task(check_delivery, sid, payload.room)
    return RoomJoined(room=payload.room, members=[members[sid]])


async def check_delivery(sid: str, room: str) -> None:
    """Runs outside any handler: a typed call, then a typed emit with the result."""
    receipt = await chat.call_delivery_check(
        DeliveryCheck(room=room, message_ids=[CHECKED_MESSAGE]), to=sid, timeout=10
    )
    note = f"receipt:{len(receipt.received)}:{receipt.received[0]}"
    await chat.emit_presence_changed(PresenceChanged(member=members[sid], note=note), to=sid)


@chat.on(SendMessage)
async def send_message(sid: str, payload: SendMessage) -> MessageAccepted:
    message = ChatMessage(
        id=uuid4(),
        room=payload.room,
        author=members[sid],
        content=payload.content,
        sent_at=datetime.now(UTC),
    )
    await chat.emit_message_posted(MessagePosted(message=message), to=payload.room)
    return MessageAccepted(id=message.id, sent_at=message.sent_at)


@chat.on(Typing)
async def typing(sid: str, payload: Typing) -> None:
    update = TypingUpdate(room=payload.room, typing=[members[sid]] if payload.active else [])
    await chat.emit_typing_update(update, to=payload.room, skip_sid=sid)
