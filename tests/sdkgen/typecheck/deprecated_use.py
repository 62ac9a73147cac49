"""Deprecated contract events are flagged once `deprecated` errors are enabled."""
# mypy: enable-error-code="deprecated"

from __future__ import annotations

from contracts.chat import LegacyJoin, RoomJoined
from generated.server.chat import chat


# E: [deprecated] is deprecated: use room:join
@chat.on(LegacyJoin)
async def legacy_join(sid: str, payload: LegacyJoin) -> RoomJoined:
    return RoomJoined(room=payload.room, members=[])
