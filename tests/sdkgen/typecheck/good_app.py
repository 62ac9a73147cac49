"""A correct app on the generated /chat bindings, async and sync: mypy --strict accepts it all."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import runtime
from contracts.chat import (
    ChatAuth,
    DeliveryCheck,
    DeliveryReceipt,
    FetchHistory,
    HistoryPage,
    JoinRoom,
    LeaveRoom,
    LegacyJoin,
    MessageAccepted,
    PresenceAccepted,
    React,
    RoomJoined,
    SendMessage,
    SetPresence,
    Typing,
    TypingUpdate,
)
from generated.server import register_all, register_all_sync
from generated.server.chat import ChatHandlers, ChatHandlersSync, chat, chat_sync
from runtime.typed import AsyncServerLike, EventError
from runtime.typed_sync import ServerLike


@chat.on(SendMessage)
async def send_message(sid: str, payload: SendMessage) -> MessageAccepted:
    if not payload.room:
        raise EventError("room_not_found", "no such room")
    return MessageAccepted(id=uuid4(), sent_at=datetime.now(UTC))


@chat.on(Typing)
async def typing(sid: str, payload: Typing) -> None:
    await chat.emit_typing_update(TypingUpdate(room=payload.room, typing=[]), to=payload.room)


@chat.on_connect
async def connect(sid: str, environ: Mapping[str, Any], auth: ChatAuth) -> None:
    print(auth.token)


@chat.on_disconnect
async def disconnect(sid: str, reason: str) -> None:
    print(sid, reason)


async def check_delivery(sid: str) -> list[str]:
    receipt: DeliveryReceipt = await chat.call_delivery_check(
        DeliveryCheck(room="lobby", message_ids=[]), to=sid, timeout=2.0
    )
    return [str(r) for r in receipt.received]


class Handlers:
    """Implements ChatHandlers structurally."""

    async def fetch_history(self, sid: str, payload: FetchHistory) -> HistoryPage:
        return HistoryPage(messages=[], has_more=False)

    async def legacy_join(self, sid: str, payload: LegacyJoin) -> RoomJoined:
        return RoomJoined(room=payload.room, members=[])

    async def react(self, sid: str, payload: React) -> None:
        return None

    async def send_message(self, sid: str, payload: SendMessage) -> MessageAccepted:
        return MessageAccepted(id=uuid4(), sent_at=datetime.now(UTC))

    async def set_presence(self, sid: str, payload: SetPresence) -> PresenceAccepted:
        return PresenceAccepted(status=payload.status)

    async def join_room(self, sid: str, payload: JoinRoom) -> RoomJoined:
        return RoomJoined(room=payload.room, members=[])

    async def leave_room(self, sid: str, payload: LeaveRoom) -> None:
        return None

    async def typing(self, sid: str, payload: Typing) -> None:
        return None


def install(sio: AsyncServerLike) -> None:
    handlers: ChatHandlers = Handlers()
    chat.register_handlers(handlers)
    register_all(sio)


def install_on_the_runtime() -> None:
    # runtime.AsyncServer satisfies the protocol typed dispatch needs.
    sio: AsyncServerLike = runtime.AsyncServer()
    install(sio)


# -- the sync twin, for runtime.Server: plain functions, blocking emits and calls ----------


@chat_sync.on(SendMessage)
def send_message_sync(sid: str, payload: SendMessage) -> MessageAccepted:
    return MessageAccepted(id=uuid4(), sent_at=datetime.now(UTC))


@chat_sync.on(Typing)
def typing_sync(sid: str, payload: Typing) -> None:
    chat_sync.emit_typing_update(TypingUpdate(room=payload.room, typing=[]), to=payload.room)


@chat_sync.on_connect
def connect_sync(sid: str, environ: Mapping[str, Any], auth: ChatAuth) -> None:
    print(auth.token)


@chat_sync.on_disconnect
def disconnect_sync(sid: str, reason: str) -> None:
    print(sid, reason)


def check_delivery_sync(sid: str) -> list[str]:
    receipt: DeliveryReceipt = chat_sync.call_delivery_check(
        DeliveryCheck(room="lobby", message_ids=[]), to=sid, timeout=2.0
    )
    return [str(r) for r in receipt.received]


class SyncHandlers:
    """Implements ChatHandlersSync structurally."""

    def fetch_history(self, sid: str, payload: FetchHistory) -> HistoryPage:
        return HistoryPage(messages=[], has_more=False)

    def legacy_join(self, sid: str, payload: LegacyJoin) -> RoomJoined:
        return RoomJoined(room=payload.room, members=[])

    def react(self, sid: str, payload: React) -> None:
        return None

    def send_message(self, sid: str, payload: SendMessage) -> MessageAccepted:
        return MessageAccepted(id=uuid4(), sent_at=datetime.now(UTC))

    def set_presence(self, sid: str, payload: SetPresence) -> PresenceAccepted:
        return PresenceAccepted(status=payload.status)

    def join_room(self, sid: str, payload: JoinRoom) -> RoomJoined:
        return RoomJoined(room=payload.room, members=[])

    def leave_room(self, sid: str, payload: LeaveRoom) -> None:
        return None

    def typing(self, sid: str, payload: Typing) -> None:
        return None


def install_sync() -> None:
    # runtime.Server satisfies the protocol the sync twin needs.
    handlers: ChatHandlersSync = SyncHandlers()
    chat_sync.register_handlers(handlers)
    sio: ServerLike = runtime.Server()
    register_all_sync(sio)
