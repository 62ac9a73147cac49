"""Two generated namespace clients over ONE Socket.IO connection, against the example app.

`ChatClient(sio)` and `ModerationClient(sio)` share a `runtime.AsyncClient` (and the
blocking twins a `runtime.Client`); `connect_all` connects both namespaces in one
handshake, each with its own typed auth and contract version. A 🚩 reaction sent on
/chat reaches the /moderation handler of the same connection.
"""

from __future__ import annotations

import asyncio
import queue
import sys
import uuid
from collections.abc import Iterator

import pytest

import runtime
from tests.examples.harness import MODERATOR_TOKEN, Served, chat_server, login
from tests.sdkgen.client_support import CLIENT_PY

sys.path.insert(0, str(CLIENT_PY))

from contracts_client import (
    ChatClient,
    ChatSyncClient,
    ConnectRefused,
    ModerationClient,
    ModerationSyncClient,
    connect_all,
    connect_all_sync,
)
from contracts_client.models.chat import ChatAuth, JoinRoom, React, SendMessage, TextContent
from contracts_client.models.moderation import ModeratorAuth, MuteUser, ReportFiled, Role

WAIT = 10.0
FLAG = "\N{TRIANGULAR FLAG ON POST}"  # the example app files a report for this reaction


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The example app (examples/chat) on uvicorn, for this module."""
    with chat_server(tmp_path_factory.mktemp("shared") / "uvicorn.log") as served:
        yield served


@pytest.mark.parametrize("transport", ["polling", "websocket"])
async def test_two_namespaces_share_one_async_connection(chat: Served, transport: str) -> None:
    user = login(chat.url, f"ann-{transport}")
    sio = runtime.AsyncClient(reconnection=False)
    rooms, moderation = ChatClient(sio), ModerationClient(sio)
    rooms.auth = ChatAuth(token=user["token"])
    moderation.auth = ModeratorAuth(token=MODERATOR_TOKEN, role=Role.moderator)
    reports: asyncio.Queue[ReportFiled] = asyncio.Queue()

    @moderation.on(ReportFiled)
    async def report(payload: ReportFiled) -> None:
        await reports.put(payload)

    await connect_all(chat.url, rooms, moderation, transports=[transport])
    try:
        # One Engine.IO session carries both namespaces.
        assert rooms.connected and moderation.connected
        assert set(sio.namespaces) == {"/chat", "/moderation"}
        assert sio.transport() == transport and sio.sid is not None

        room = f"shared-{transport}"
        await rooms.join_room(JoinRoom(room=room), timeout=WAIT)
        text = TextContent(text="spam?")
        sent = await rooms.send_message(
            SendMessage(room=room, client_ref=uuid.uuid4(), content=text), timeout=WAIT
        )
        await rooms.emit_react(React(room=room, message_id=sent.id, emoji=FLAG))
        filed = await asyncio.wait_for(reports.get(), WAIT)
        assert filed.message_id == sent.id and filed.room == room
        assert filed.reporter.name == user["user"]["name"]

        muted = await moderation.mute_user(
            MuteUser(
                room=room,
                user_id=filed.reporter.id,
                duration="PT1M",  # type: ignore[arg-type]  # validated into a timedelta
                reason="testing",
            ),
            timeout=WAIT,
        )
        assert muted.applied
    finally:
        await sio.disconnect()
    assert not rooms.connected and not moderation.connected


async def test_one_refused_namespace_fails_the_shared_connect(chat: Served) -> None:
    user = login(chat.url, "bob-refused")
    sio = runtime.AsyncClient(reconnection=False)
    rooms, moderation = ChatClient(sio), ModerationClient(sio)
    rooms.auth = ChatAuth(token=user["token"])
    moderation.auth = ModeratorAuth(token="x" * 16 + "-not-the-token", role=Role.admin)
    with pytest.raises(ConnectRefused) as caught:
        await connect_all(chat.url, rooms, moderation, wait_timeout=WAIT)
    assert caught.value.namespace == "/moderation" and caught.value.message == "not a moderator"
    # As python-socketio does: a namespace refused, the whole connection is dropped.
    assert not rooms.connected and not sio.connected


async def test_connect_all_refuses_misuse_before_connecting(chat: Served) -> None:
    sio = runtime.AsyncClient()
    rooms = ChatClient(sio)
    with pytest.raises(ValueError, match="/chat needs auth"):
        await connect_all(chat.url, rooms)
    rooms.auth = ChatAuth(token="t" * 16)
    with pytest.raises(ValueError, match="does not share the connection"):
        await connect_all(chat.url, rooms, ModerationClient())
    with pytest.raises(ValueError, match="one client per namespace"):
        await connect_all(chat.url, rooms, ChatClient(sio))
    assert not sio.connected


def test_two_namespaces_share_one_sync_connection(chat: Served) -> None:
    user = login(chat.url, "cy-sync")
    sio = runtime.Client(reconnection=False)
    rooms, moderation = ChatSyncClient(sio), ModerationSyncClient(sio)
    rooms.auth = ChatAuth(token=user["token"])
    moderation.auth = ModeratorAuth(token=MODERATOR_TOKEN, role=Role.admin)
    reports: queue.Queue[ReportFiled] = queue.Queue()

    @moderation.on(ReportFiled)
    def report(payload: ReportFiled) -> None:
        reports.put(payload)

    connect_all_sync(chat.url, rooms, moderation, wait_timeout=WAIT)
    try:
        assert set(sio.namespaces) == {"/chat", "/moderation"}
        rooms.join_room(JoinRoom(room="shared-sync"), timeout=WAIT)
        text = TextContent(text="flag me")
        sent = rooms.send_message(
            SendMessage(room="shared-sync", client_ref=uuid.uuid4(), content=text), timeout=WAIT
        )
        rooms.emit_react(React(room="shared-sync", message_id=sent.id, emoji=FLAG))
        filed = reports.get(timeout=WAIT)
        assert filed.message_id == sent.id and filed.reporter.name == user["user"]["name"]
    finally:
        sio.disconnect()
    assert not rooms.connected and not moderation.connected
