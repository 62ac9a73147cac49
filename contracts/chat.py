"""The chat namespace: rooms, messages with acks, typing notices and presence."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field

from contracts.common import ChatMessage, Content, Member, PresenceStatus, Quote, RoomName
from sdkgen.contract import ClientEvent, Namespace, ServerEvent


class ChatAuth(BaseModel):
    """Sent by the client as Socket.IO `auth` when it connects."""

    token: Annotated[str, Field(min_length=16)]
    client: Literal["web", "ios", "android"] = "web"


chat = Namespace(
    "/chat",
    version="1.2.0",
    auth=ChatAuth,
    description="Chat rooms: join a room, post messages, see who is typing and who is online.",
)


# -- acks ---------------------------------------------------------------------------


class RoomJoined(BaseModel):
    room: RoomName
    topic: str | None = None
    members: list[Member]
    history: list[ChatMessage] = []


class MessageAccepted(BaseModel):
    id: UUID
    sent_at: AwareDatetime


class HistoryPage(BaseModel):
    messages: list[ChatMessage]
    has_more: bool


class PresenceAccepted(BaseModel):
    status: PresenceStatus
    note: str | None = None


class DeliveryReceipt(BaseModel):
    received: list[UUID]
    read_up_to: UUID | None = None


# -- client -> server ------------------------------------------------------------------


@chat.event(name="room:join")
class JoinRoom(ClientEvent[RoomJoined]):
    """Enter a room and receive its members and latest messages."""

    room: RoomName
    password: str | None = None


@chat.event(name="join", deprecated="use room:join, which returns the room history")
class LegacyJoin(ClientEvent[RoomJoined]):
    """Enter a room (protocol 1.0 name)."""

    room: RoomName


@chat.event(name="room:leave")
class LeaveRoom(ClientEvent):
    """Leave a room; the other members get `room:membership`."""

    room: RoomName


@chat.event(name="message:send", ack_timeout=5.0)
class SendMessage(ClientEvent[MessageAccepted]):
    """Post a message to a room the client has joined."""

    room: RoomName
    client_ref: UUID = Field(description="Client-chosen id; resending it is idempotent.")
    content: Content
    quote: Quote | None = None


@chat.event(name="message:react", stability="beta")
class React(ClientEvent):
    """Add an emoji reaction to a message."""

    room: RoomName
    message_id: UUID
    emoji: Annotated[str, Field(min_length=1, max_length=8)]


@chat.event(name="history:fetch")
class FetchHistory(ClientEvent[HistoryPage]):
    """Page backwards through a room's messages."""

    room: RoomName
    before: AwareDatetime | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50


@chat.event(name="typing")
class Typing(ClientEvent):
    """The client started or stopped typing in a room (not acked: fire and forget)."""

    room: RoomName
    active: bool


@chat.event(name="presence:set")
class SetPresence(ClientEvent[PresenceAccepted]):
    """Change the client's own presence status."""

    status: PresenceStatus
    note: Annotated[str | None, Field(max_length=80)] = None


# -- server -> client ------------------------------------------------------------------


@chat.event(name="message:posted")
class MessagePosted(ServerEvent):
    """A message was posted to a room the client is in."""

    message: ChatMessage


@chat.event(name="room:membership")
class RoomMembership(ServerEvent):
    """Someone joined or left a room the client is in."""

    room: RoomName
    member: Member
    change: Literal["joined", "left"]


@chat.event(name="typing:update")
class TypingUpdate(ServerEvent):
    """Who is typing in a room right now."""

    room: RoomName
    typing: list[Member]


@chat.event(name="presence:changed")
class PresenceChanged(ServerEvent):
    """A member's presence changed."""

    member: Member
    note: str | None = None
    last_seen: AwareDatetime | None = None


@chat.event(name="message:delivery_check", ack_timeout=10.0)
class DeliveryCheck(ServerEvent[DeliveryReceipt]):
    """The server asks which of these messages the client has; the client acks a receipt."""

    room: RoomName
    message_ids: Annotated[list[UUID], Field(max_length=500)]
