"""A small chat server on the generated /chat bindings, for the functional tests.

Served by uvicorn in a subprocess: `uvicorn tests.sdkgen.apps.typed_chat_app:app`.
It uses the generated helpers the way an application does: typed handlers,
`emit_*` inside handlers and `call_*` from a background task outside any handler.
`typed_chat_sync_app.py` is the same app on the sync twin (see `chat_logic.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import runtime
from contracts.chat import (
    ChatAuth,
    JoinRoom,
    MessageAccepted,
    MessagePosted,
    RoomJoined,
    SendMessage,
    Typing,
)
from contracts.common import Member
from generated.server.chat import chat
from tests.sdkgen.apps import chat_logic

sio = runtime.AsyncServer()
app = runtime.ASGIApp(sio)
chat.register(sio)

members: dict[str, Member] = {}


@chat.on_connect
async def connect(sid: str, environ: Mapping[str, Any], auth: ChatAuth) -> None:
    members[sid] = chat_logic.admit(auth)


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
    receipt = await chat.call_delivery_check(chat_logic.delivery_check(room), to=sid, timeout=10)
    await chat.emit_presence_changed(chat_logic.receipt_presence(members[sid], receipt), to=sid)


@chat.on(SendMessage)
async def send_message(sid: str, payload: SendMessage) -> MessageAccepted:
    message = chat_logic.post(members[sid], payload)
    await chat.emit_message_posted(MessagePosted(message=message), to=payload.room)
    return chat_logic.accepted(message)


@chat.on(Typing)
async def typing(sid: str, payload: Typing) -> None:
    update = chat_logic.typing_update(members[sid], payload)
    await chat.emit_typing_update(update, to=payload.room, skip_sid=sid)
