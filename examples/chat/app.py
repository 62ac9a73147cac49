"""The demo chat server: the contracts in `contracts/` on the generated code in `generated/`.

Run it with ``python -m examples.chat`` and open http://127.0.0.1:8000/.

* ``POST /api/login`` with ``{"name": ...}`` returns a token; the page connects to
  ``/chat`` with it as the contract's `ChatAuth`. Typed dispatch validates the auth
  (and every payload) before our code runs and answers bad input with structured errors.
* `ChatService` implements every client event of ``/chat`` (mypy checks it against the
  generated `ChatHandlers` protocol) and talks back only through ``chat.emit_*`` and
  ``chat.call_*``, so outgoing payloads are typed too.
* ``message:delivery_check`` (the server->client event with a client ack) catches a
  client up: when it comes back online, the server asks which recent messages it
  has and re-sends the missing ones.
* ``/moderation`` (token printed at start-up, or ``CHAT_MODERATOR_TOKEN``) mutes users
  and deletes messages; reacting with 🚩 files a report that moderators receive.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from uuid import uuid4

from pydantic import BaseModel, Field, ValidationError

import runtime
from contracts.chat import (
    ChatAuth,
    DeliveryCheck,
    FetchHistory,
    HistoryPage,
    JoinRoom,
    LeaveRoom,
    LegacyJoin,
    MessageAccepted,
    MessagePosted,
    PresenceAccepted,
    PresenceChanged,
    React,
    RoomJoined,
    RoomMembership,
    SendMessage,
    SetPresence,
    Typing,
    TypingUpdate,
)
from contracts.common import ChatMessage, Member, PresenceStatus
from contracts.moderation import (
    DeleteMessage,
    ModerationResult,
    ModeratorAuth,
    MuteUser,
    ReportFiled,
)
from examples.chat.state import ChatState, Room, User
from generated.server.chat import chat
from generated.server.moderation import moderation
from runtime.asgi import Receive, Scope, Send
from runtime.exceptions import ConnectionRefusedError, SocketIOError
from runtime.typed import EventError

HERE = Path(__file__).parent
HISTORY_ON_JOIN = 50  # messages returned in the `room:join` ack
CATCH_UP = 50  # recent messages a delivery check asks about
FLAG = "\N{TRIANGULAR FLAG ON POST}"  # the reaction that files a report for moderators
MODERATOR_TOKEN = os.environ.get("CHAT_MODERATOR_TOKEN") or secrets.token_urlsafe(24)

logger = logging.getLogger("examples.chat")


def now() -> datetime:
    return datetime.now(UTC)


class ChatService:
    """Every client event of ``/chat``; `ChatHandlers` is the generated protocol."""

    def __init__(self, state: ChatState) -> None:
        self.state = state

    async def join_room(self, sid: str, payload: JoinRoom) -> RoomJoined:
        room = await self._enter(sid, payload.room, payload.password)
        return RoomJoined(
            room=room.name,
            topic=room.topic,
            members=self.state.members(room),
            history=room.recent(HISTORY_ON_JOIN),
        )

    async def legacy_join(self, sid: str, payload: LegacyJoin) -> RoomJoined:
        # Protocol 1.0 clients got no history (and rooms had no passwords).
        room = await self._enter(sid, payload.room, None)
        return RoomJoined(room=room.name, topic=room.topic, members=self.state.members(room))

    async def _enter(self, sid: str, name: str, password: str | None) -> Room:
        session = self.state.session(sid)
        if name in session.rooms:
            return self.state.member_room(sid, name)
        room = self.state.join(sid, name, password)
        await sio.enter_room(sid, name, namespace=chat.path)
        change = RoomMembership(room=name, member=session.user.member(), change="joined")
        await chat.emit_room_membership(change, to=name, skip_sid=sid)
        return room

    async def leave_room(self, sid: str, payload: LeaveRoom) -> None:
        room = self.state.leave(sid, payload.room)
        await sio.leave_room(sid, room.name, namespace=chat.path)
        await self._announce_leaving(self.state.session(sid).user, room)

    async def _announce_leaving(self, user: User, room: Room) -> None:
        change = RoomMembership(room=room.name, member=user.member(), change="left")
        await chat.emit_room_membership(change, to=room.name)
        await self._typing_changed(room)

    async def send_message(self, sid: str, payload: SendMessage) -> MessageAccepted:
        user = self.state.session(sid).user
        room = self.state.member_room(sid, payload.room)
        already = self.state.sent.get((user.id, payload.client_ref))
        if already is not None:
            return already  # a resend after a lost ack: same answer, no second message
        sent_at = now()
        self.state.check_not_muted(room.name, user, sent_at)
        message = ChatMessage(
            id=uuid4(),
            room=room.name,
            author=user.member(),
            content=payload.content,
            sent_at=sent_at,
            quote=payload.quote,
        )
        room.history.append(message)
        accepted = MessageAccepted(id=message.id, sent_at=sent_at)
        self.state.remember(user, payload.client_ref, accepted)
        if room.typing.pop(sid, None) is not None:
            await self._typing_changed(room)
        await chat.emit_message_posted(MessagePosted(message=message), to=room.name)
        return accepted

    async def react(self, sid: str, payload: React) -> None:
        user = self.state.session(sid).user
        room = self.state.member_room(sid, payload.room)
        message = room.find(payload.message_id)
        if message is None:
            raise EventError(
                "message_not_found", f"no message {payload.message_id} in #{room.name}"
            )
        message.reactions[payload.emoji] = message.reactions.get(payload.emoji, 0) + 1
        # Clients show `message:posted` by message id, so this updates the message in place.
        await chat.emit_message_posted(MessagePosted(message=message), to=room.name)
        if payload.emoji == FLAG:
            report = ReportFiled(
                report_id=uuid4(),
                room=room.name,
                message_id=message.id,
                reporter=user.member(),
                category="other",
                filed_at=now(),
            )
            await moderation.emit_report_filed(report)  # every connected moderator

    async def fetch_history(self, sid: str, payload: FetchHistory) -> HistoryPage:
        room = self.state.member_room(sid, payload.room)
        messages, has_more = room.page(payload.before, payload.limit)
        return HistoryPage(messages=messages, has_more=has_more)

    async def typing(self, sid: str, payload: Typing) -> None:
        session = self.state.session(sid)
        room = self.state.member_room(sid, payload.room)
        was = sid in room.typing
        if payload.active:
            room.typing[sid] = session.user
        else:
            room.typing.pop(sid, None)
        if was != payload.active:
            await self._typing_changed(room, skip_sid=sid)

    async def _typing_changed(self, room: Room, skip_sid: str | None = None) -> None:
        typing = {user.id: user.member() for user in room.typing.values()}
        update = TypingUpdate(room=room.name, typing=list(typing.values()))
        await chat.emit_typing_update(update, to=room.name, skip_sid=skip_sid)

    async def set_presence(self, sid: str, payload: SetPresence) -> PresenceAccepted:
        session = self.state.session(sid)
        user = session.user
        was = user.status
        user.status, user.note = payload.status, payload.note
        rooms = sorted(self.state.rooms_of_user(user))
        if rooms:
            changed = PresenceChanged(member=user.member(), note=user.note)
            await chat.emit_presence_changed(changed, to=rooms)
        if was is not PresenceStatus.ONLINE and payload.status is PresenceStatus.ONLINE:
            for name in sorted(session.rooms):
                sio.start_background_task(self.catch_up, sid, name)
        return PresenceAccepted(status=user.status, note=user.note)

    async def catch_up(self, sid: str, name: str) -> None:
        """Ask `sid` which recent messages of `name` it has; send it the others."""
        room = self.state.rooms.get(name)
        if room is None or sid not in room.sids:
            return
        recent = room.recent(CATCH_UP)
        if not recent:
            return
        check = DeliveryCheck(room=name, message_ids=[m.id for m in recent])
        try:
            receipt = await chat.call_delivery_check(check, to=sid)
        except SocketIOError as exc:  # no answer in time, a bad receipt, or gone
            logger.info("delivery check of %s in #%s failed: %s", sid, name, exc)
            return
        have = set(receipt.received)
        for message in recent:
            if message.id not in have:
                await chat.emit_message_posted(MessagePosted(message=message), to=sid)

    async def connect(self, sid: str, environ: Mapping[str, Any], auth: ChatAuth) -> None:
        session = self.state.connect(sid, auth.token)
        if session is None:
            raise ConnectionRefusedError("unknown token", {"code": "unknown_token"})
        logger.info("%s connected as %s (%s client)", sid, session.user.name, auth.client)

    async def disconnect(self, sid: str, reason: str) -> None:
        session = self.state.disconnect(sid)
        if session is None:
            return
        for name in sorted(session.rooms):
            room = self.state.rooms.get(name)
            if room is not None:
                await self._announce_leaving(session.user, room)


class ModerationService:
    """Every client event of ``/moderation``; `ModerationHandlers` is the generated protocol."""

    def __init__(self, state: ChatState) -> None:
        self.state = state

    async def mute_user(self, sid: str, payload: MuteUser) -> ModerationResult:
        until = now() + payload.duration
        self.state.mutes[(payload.room, payload.user_id)] = until
        return ModerationResult(action_id=uuid4(), applied=True, reason=f"muted until {until}")

    async def delete_message(self, sid: str, payload: DeleteMessage) -> ModerationResult:
        room = self.state.rooms.get(payload.room)
        message = room.find(payload.message_id) if room is not None else None
        if room is None or message is None:
            return ModerationResult(action_id=uuid4(), applied=False, reason="no such message")
        room.history.remove(message)
        return ModerationResult(action_id=uuid4(), applied=True, reason=payload.reason)

    async def connect(self, sid: str, environ: Mapping[str, Any], auth: ModeratorAuth) -> None:
        if not secrets.compare_digest(auth.token, MODERATOR_TOKEN):
            raise ConnectionRefusedError("not a moderator", {"code": "unknown_token"})


# -- the HTTP side: a login endpoint next to the Socket.IO endpoint and the page --------


class Login(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=32, pattern=r"\S")]


class LoginResult(BaseModel):
    token: str
    user: Member


LOGIN_BODY_LIMIT = 4096


async def api(scope: Scope, receive: Receive, send: Send) -> None:
    """``POST /api/login``; ASGIApp hands us whatever is not Socket.IO or a static file."""
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
        return
    if scope["type"] != "http":
        await send({"type": "websocket.close", "code": 1000})
        return
    if scope["path"] != "/api/login":
        await respond(send, 404, {"error": "not found"})
        return
    if scope["method"] != "POST":
        await respond(send, 405, {"error": "use POST"})
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if len(body) > LOGIN_BODY_LIMIT:
            await respond(send, 413, {"error": "body too large"})
            return
        if not message.get("more_body"):
            break
    try:
        login = Login.model_validate_json(body)
    except ValidationError as exc:
        await respond(
            send,
            422,
            {
                "error": "invalid login",
                "details": exc.errors(
                    include_url=False, include_input=False, include_context=False
                ),
            },
        )
        return
    token, user = state.login(login.name.strip())
    await respond(send, 200, LoginResult(token=token, user=user.member()).model_dump(mode="json"))


async def respond(send: Send, status: int, data: Any) -> None:
    body = json.dumps(data, default=str).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


state = ChatState()
service = ChatService(state)
moderator = ModerationService(state)

sio = runtime.AsyncServer()
chat.register(sio)
chat.register_handlers(service)  # mypy: `service` must implement every event of `ChatHandlers`
chat.on_connect(service.connect)
chat.on_disconnect(service.disconnect)
moderation.register(sio)
moderation.register_handlers(moderator)
moderation.on_connect(moderator.connect)

app = runtime.ASGIApp(
    sio,
    other_asgi_app=api,
    static_files={"/": str(HERE / "static" / "index.html")},
)
