"""Correct use of the generated client: mypy --strict must accept all of it."""

from __future__ import annotations

import uuid

from contracts_client import (
    AckError,
    ChatClient,
    ChatSyncClient,
    IncompatibleVersionError,
    ModerationClient,
    ModerationSyncClient,
    connect_all,
    connect_all_sync,
)
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
from contracts_client.models.moderation import ModeratorAuth, Role

import runtime

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


async def shared_main() -> str | None:
    """Two namespaces over one connection, each with its own typed auth."""
    sio = runtime.AsyncClient()
    chat, moderation = ChatClient(sio), ModerationClient(sio)
    chat.auth = ChatAuth(token="t" * 16)
    moderation.auth = ModeratorAuth(token="m" * 16, role=Role.moderator)
    try:
        await connect_all("http://localhost:8000", chat, moderation)
    except IncompatibleVersionError as exc:
        return f"{exc.client_version} vs {exc.server_version} ({exc.policy})"
    token: str | None = chat.auth.token if chat.auth else None
    return token


def shared_sync_main() -> None:
    sio = runtime.Client()
    chat, moderation = ChatSyncClient(sio), ModerationSyncClient(sio)
    chat.auth = ChatAuth(token="t" * 16)
    moderation.auth = ModeratorAuth(token="m" * 16, role=Role.admin)
    connect_all_sync("http://localhost:8000", chat, moderation)
