"""The moderation namespace: moderators mute users and remove messages."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field

from contracts.common import Member, RoomName
from sdkgen.contract import ClientEvent, Namespace, ServerEvent


class ModeratorAuth(BaseModel):
    token: Annotated[str, Field(min_length=16)]
    role: Literal["moderator", "admin"]


moderation = Namespace(
    "/moderation",
    version="0.3.0",
    auth=ModeratorAuth,
    stability="beta",
    description="Tools for moderators; every action is acked with its outcome.",
)


class ModerationResult(BaseModel):
    action_id: UUID
    applied: bool
    reason: str | None = None


@moderation.event(name="user:mute")
class MuteUser(ClientEvent[ModerationResult]):
    """Stop a user from posting in a room for a while."""

    room: RoomName
    user_id: UUID
    duration: Annotated[timedelta, Field(gt=timedelta(0), le=timedelta(days=30))]
    reason: Annotated[str, Field(min_length=3, max_length=500)]


@moderation.event(name="message:delete")
class DeleteMessage(ClientEvent[ModerationResult]):
    """Remove a message from a room's history."""

    room: RoomName
    message_id: UUID
    reason: Annotated[str, Field(min_length=3, max_length=500)]


@moderation.event(name="report:filed")
class ReportFiled(ServerEvent):
    """A member reported a message; every connected moderator receives it."""

    report_id: UUID
    room: RoomName
    message_id: UUID
    reporter: Member
    category: Literal["spam", "abuse", "other"]
    filed_at: AwareDatetime
