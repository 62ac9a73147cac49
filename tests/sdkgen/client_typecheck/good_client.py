"""Correct use of the generated client: mypy --strict must accept all of it."""

from __future__ import annotations

import uuid

from contracts_client import AckError, ChatClient, ChatSyncClient
from contracts_client.models.chat import (
    ChatAuth,
    DeliveryCheck,
    DeliveryReceipt,
    JoinRoom,
    MessageAccepted,
    MessagePosted,
    SendMessage,
    TextContent,
    Typing,
)

client = ChatClient()


@client.on(MessagePosted)
async def posted(payload: MessagePosted) -> None:
    print(payload.message.id)


@client.on(DeliveryCheck)
async def check(payload: DeliveryCheck) -> DeliveryReceipt:
    return DeliveryReceipt(received=payload.message_ids)


@client.on_error
async def error(error: AckError) -> None:
    print(error.code)


async def main() -> MessageAccepted:
    await client.connect("http://localhost:8000", ChatAuth(token="t" * 16))
    joined = await client.join_room(JoinRoom(room="lobby"))
    print(joined.members[0].name)
    await client.emit_typing(Typing(room="lobby", active=True))
    content = TextContent(text="hi")
    return await client.send_message(
        SendMessage(room="lobby", client_ref=uuid.uuid4(), content=content), timeout=2
    )


blocking = ChatSyncClient()


@blocking.on(DeliveryCheck)
def check_sync(payload: DeliveryCheck) -> DeliveryReceipt:
    return DeliveryReceipt(received=payload.message_ids)


def sync_main() -> MessageAccepted:
    blocking.connect("http://localhost:8000", ChatAuth(token="t" * 16))
    content = TextContent(text="hi")
    return blocking.send_message(SendMessage(room="a", client_ref=uuid.uuid4(), content=content))
