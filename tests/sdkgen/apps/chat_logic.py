"""What the async and the sync functional chat apps do, minus awaiting: plain functions.

`typed_chat_app.py` (AsyncServer, uvicorn) and `typed_chat_sync_app.py` (Server,
Werkzeug threaded) are the same app on the two generated twins; the client script and
the assertions are shared, so both apps must behave alike, and that logic lives here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

from contracts.chat import (
    ChatAuth,
    DeliveryCheck,
    DeliveryReceipt,
    MessageAccepted,
    PresenceChanged,
    SendMessage,
    Typing,
    TypingUpdate,
)
from contracts.common import ChatMessage, Member, TextContent
from runtime.exceptions import ConnectionRefusedError

CHECKED_MESSAGE = UUID(int=42)
# A text message with this text makes the handler fail the way a bug would.
CRASH_TEXT = "crash the handler"
SECRET = "database password is hunter2"  # in the exception: it must never reach the client


def admit(auth: ChatAuth) -> Member:
    """The member a validated auth connects as (or the refusal)."""
    if auth.token.startswith("banned"):
        raise ConnectionRefusedError("banned")
    return Member(id=uuid4(), name=auth.token[:8])


def delivery_check(room: str) -> DeliveryCheck:
    return DeliveryCheck(room=room, message_ids=[CHECKED_MESSAGE])


def receipt_presence(member: Member, receipt: DeliveryReceipt) -> PresenceChanged:
    """The client's ack, sent back to it so the test sees what the server received."""
    note = f"receipt:{len(receipt.received)}:{receipt.received[0]}"
    return PresenceChanged(member=member, note=note)


def post(author: Member, payload: SendMessage) -> ChatMessage:
    content = payload.content
    if isinstance(content, TextContent) and content.text == CRASH_TEXT:
        raise RuntimeError(SECRET)
    return ChatMessage(
        id=uuid4(), room=payload.room, author=author, content=content, sent_at=datetime.now(UTC)
    )


def accepted(message: ChatMessage) -> MessageAccepted:
    return MessageAccepted(id=message.id, sent_at=message.sent_at)


def typing_update(member: Member, payload: Typing) -> TypingUpdate:
    return TypingUpdate(room=payload.room, typing=[member] if payload.active else [])
