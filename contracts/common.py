"""Models shared by the chat and moderation namespaces."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field

RoomName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$", description="Room slug.")]


class PresenceStatus(StrEnum):
    ONLINE = "online"
    AWAY = "away"
    BUSY = "busy"
    INVISIBLE = "invisible"


class Member(BaseModel):
    """A user as other members see them."""

    id: UUID
    name: Annotated[str, Field(min_length=1, max_length=32)]
    status: PresenceStatus = PresenceStatus.ONLINE


class TextContent(BaseModel):
    kind: Literal["text"] = "text"
    text: Annotated[str, Field(min_length=1, max_length=2000)]
    mentions: list[UUID] = []


class ImageContent(BaseModel):
    kind: Literal["image"] = "image"
    url: Annotated[str, Field(pattern=r"^https://")]
    width: Annotated[int, Field(gt=0, le=8192)]
    height: Annotated[int, Field(gt=0, le=8192)]
    alt: str | None = None


class FileContent(BaseModel):
    """A small file sent inline; `data` travels as a Socket.IO binary attachment."""

    kind: Literal["file"] = "file"
    filename: Annotated[str, Field(min_length=1, max_length=255)]
    media_type: str = "application/octet-stream"
    data: Annotated[bytes, Field(max_length=1_000_000)]


Content = Annotated[TextContent | ImageContent | FileContent, Field(discriminator="kind")]


class Quote(BaseModel):
    """A quoted message, which may itself quote another one."""

    message_id: UUID
    author: Member
    excerpt: Annotated[str, Field(max_length=280)]
    quote: Quote | None = None


class ChatMessage(BaseModel):
    id: UUID
    room: RoomName
    author: Member
    content: Content
    sent_at: AwareDatetime
    quote: Quote | None = None
    reactions: dict[str, int] = {}
