"""Wrong use of the generated client: mypy must report an error on every marked line."""

from __future__ import annotations

from contracts_client import ChatClient, ChatSyncClient, ModerationClient, connect_all
from contracts_client.models.chat import (
    ChatAuth,
    DeliveryCheck,
    DeliveryReceipt,
    JoinRoom,
    MessageAccepted,
    MessagePosted,
    RoomJoined,
    Typing,
)
from contracts_client.models.moderation import ModeratorAuth, MuteUser, Role

client = ChatClient()


@client.on(MessagePosted)  # E: handler takes the wrong payload
async def posted(payload: Typing) -> None: ...


@client.on(DeliveryCheck)  # E: a server call's handler must return its ack model
async def check(payload: DeliveryCheck) -> None: ...


@client.on(JoinRoom)  # E: not a server event of /chat
async def unknown(payload: JoinRoom) -> None: ...


async def main() -> None:
    await client.connect("http://x", None)  # E: auth is required and typed
    await client.join_room(Typing(room="a", active=True))  # E: wrong payload
    accepted: MessageAccepted = await client.join_room(JoinRoom(room="a"))  # E: wrong ack type
    joined: RoomJoined = await client.join_room(JoinRoom(room="a"))
    await client.emit_typing(JoinRoom(room="a"))  # E: wrong payload
    await client.mute_user(MuteUser)  # E: no such event on /chat
    _ = (accepted, joined, ChatAuth, DeliveryReceipt)


blocking = ChatSyncClient()


@blocking.on(DeliveryCheck)  # E: an async handler on the blocking client
async def check_async(payload: DeliveryCheck) -> DeliveryReceipt:
    return DeliveryReceipt(received=payload.message_ids)


def sync_main() -> None:
    accepted: MessageAccepted = blocking.join_room(JoinRoom(room="a"))  # E: wrong ack type
    _ = accepted


async def shared_main() -> None:
    moderation = ModerationClient(client.sio)
    client.auth = ModeratorAuth(token="m" * 16, role=Role.admin)  # E: another namespace's auth
    moderation.auth = ChatAuth(token="t" * 16)  # E: another namespace's auth
    await connect_all("http://x", client, blocking)  # E: a blocking client among async ones
