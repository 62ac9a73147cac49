"""The generated Python client (`generated/client_py`) against the runtime serving
the generated /chat bindings (`apps/typed_chat_app.py`) over a real uvicorn.

Also checks the client package's independence (it never imports `contracts`) and
that mypy --strict accepts correct use and rejects wrong payloads, acks and events.
"""

from __future__ import annotations

import asyncio
import queue
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

import runtime
from runtime import exceptions
from tests.sdkgen.client_support import CLIENT_PY, served, start_uvicorn, stop
from tests.sdkgen.helpers import HERE, ROOT, run_mypy

sys.path.insert(0, str(CLIENT_PY))

from contracts_client import (
    AckError,
    AckTimeout,
    ChatClient,
    ChatSyncClient,
    ConnectRefused,
    SdkError,
)
from contracts_client.models.chat import (
    ChatAuth,
    DeliveryCheck,
    DeliveryReceipt,
    FetchHistory,
    FileContent,
    JoinRoom,
    MessageAccepted,
    MessagePosted,
    PresenceChanged,
    React,
    RoomJoined,
    SendMessage,
    TextContent,
    Typing,
)

WAIT = 10.0
TOKEN = "token-0123456789abcdef"
CHECKED = uuid.UUID(int=42)


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("client-py") / "uvicorn.log"
    for url, _, _ in served("tests.sdkgen.apps.typed_chat_app:app", log):
        yield url


class Inbox:
    """Typed handlers that queue what arrives."""

    def __init__(self, client: ChatClient) -> None:
        self.posted: asyncio.Queue[MessagePosted] = asyncio.Queue()
        self.presence: asyncio.Queue[PresenceChanged] = asyncio.Queue()
        self.checks: asyncio.Queue[DeliveryCheck] = asyncio.Queue()
        self.errors: asyncio.Queue[AckError] = asyncio.Queue()

        @client.on(MessagePosted)
        async def posted(payload: MessagePosted) -> None:
            await self.posted.put(payload)

        @client.on(PresenceChanged)
        async def presence(payload: PresenceChanged) -> None:
            await self.presence.put(payload)

        @client.on(DeliveryCheck)
        async def check(payload: DeliveryCheck) -> DeliveryReceipt:
            await self.checks.put(payload)
            return DeliveryReceipt(received=payload.message_ids)

        @client.on_error
        async def error(error: AckError) -> None:
            await self.errors.put(error)


@pytest.fixture(params=["polling", "websocket"])
async def chat(
    server_url: str, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[ChatClient, Inbox]]:
    client = ChatClient()
    inbox = Inbox(client)
    await client.connect(server_url, ChatAuth(token=TOKEN), transports=[request.param])
    try:
        yield client, inbox
    finally:
        await client.disconnect()


async def test_request_returns_the_typed_ack_and_server_calls_are_answered(
    chat: tuple[ChatClient, Inbox],
) -> None:
    client, inbox = chat
    joined = await client.join_room(JoinRoom(room="lobby"), timeout=WAIT)
    assert isinstance(joined, RoomJoined) and joined.room == "lobby"
    assert joined.members[0].name == TOKEN[:8]

    # The server's background task calls the client; our handler's typed ack goes back,
    # and the server reports what it received in a typed emit.
    check = await asyncio.wait_for(inbox.checks.get(), WAIT)
    assert check.message_ids == [CHECKED] and check.room == "lobby"
    presence = await asyncio.wait_for(inbox.presence.get(), WAIT)
    assert presence.note == f"receipt:1:{CHECKED}"


async def test_send_message_acks_and_broadcasts_text_and_bytes(
    chat: tuple[ChatClient, Inbox],
) -> None:
    client, inbox = chat
    await client.join_room(JoinRoom(room="lobby"), timeout=WAIT)
    accepted = await client.send_message(
        SendMessage(room="lobby", client_ref=uuid.uuid4(), content=TextContent(text="hello"))
    )
    assert isinstance(accepted, MessageAccepted)
    assert accepted.sent_at.tzinfo is not None
    posted = await asyncio.wait_for(inbox.posted.get(), WAIT)
    assert posted.message.id == accepted.id
    assert isinstance(posted.message.content, TextContent)
    assert posted.message.content.text == "hello"

    blob = bytes([0, 1, 0xFE, 0xFF])
    file = FileContent(filename="a.bin", data=blob)
    await client.send_message(SendMessage(room="lobby", client_ref=uuid.uuid4(), content=file))
    posted = await asyncio.wait_for(inbox.posted.get(), WAIT)
    assert isinstance(posted.message.content, FileContent)
    assert posted.message.content.data == blob


async def test_error_acks_raise_typed_exceptions(chat: tuple[ChatClient, Inbox]) -> None:
    client, _ = chat
    # Client models do not enforce constraints (the server does): a bad room goes out...
    bad = SendMessage(room="Not A Slug!", client_ref=uuid.uuid4(), content=TextContent(text="x"))
    with pytest.raises(AckError) as caught:
        await client.send_message(bad)
    # ...and comes back as a typed error with the validation details.
    assert caught.value.code == "invalid_payload" and caught.value.event == "message:send"
    assert ["room"] in [d["loc"] for d in caught.value.details]

    with pytest.raises(AckError) as missing:  # typed_chat_app has no history handler
        await client.fetch_history(FetchHistory(room="lobby"), timeout=WAIT)
    assert missing.value.code == "not_implemented"


async def test_unacked_errors_reach_on_error(chat: tuple[ChatClient, Inbox]) -> None:
    client, inbox = chat
    await client.emit_react(React(room="lobby", message_id=uuid.uuid4(), emoji="x"))
    error = await asyncio.wait_for(inbox.errors.get(), WAIT)
    assert error.code == "not_implemented" and error.event == "message:react"
    await client.emit_typing(Typing(room="lobby", active=True))  # handled: no error
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(inbox.errors.get(), 0.3)


async def test_timeout_raises_ack_timeout(chat: tuple[ChatClient, Inbox]) -> None:
    client, _ = chat
    # No ack can cross the network in zero seconds.
    with pytest.raises(AckTimeout) as caught:
        await client.join_room(JoinRoom(room="lobby"), timeout=0)
    assert caught.value.event == "room:join"
    assert isinstance(caught.value, TimeoutError)


async def test_invalid_auth_is_refused_with_typed_details(server_url: str) -> None:
    client = ChatClient()
    # ChatAuth does not check min_length client-side: the server's refusal is the test.
    with pytest.raises(ConnectRefused) as caught:
        await client.connect(server_url, ChatAuth(token="short"))
    assert caught.value.message == "invalid auth" and caught.value.code == "invalid_auth"
    assert caught.value.details[0]["loc"] == ["token"]
    assert isinstance(caught.value, exceptions.ConnectionError)  # python-socketio's type too
    assert not client.connected


async def test_refusal_by_the_app_carries_its_message(server_url: str) -> None:
    client = ChatClient()
    with pytest.raises(ConnectRefused) as caught:
        await client.connect(server_url, ChatAuth(token=f"banned-{TOKEN}"))
    assert caught.value.message == "banned" and caught.value.code == ""


def test_client_package_never_imports_the_contracts() -> None:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import contracts_client.chat, "
        "contracts_client.moderation; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('contracts', 'sdkgen', 'generated')); "
        "print(bad); raise SystemExit(1 if bad else 0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(CLIENT_PY)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
    )
    assert done.returncode == 0, done.stdout + done.stderr


TYPECHECK = HERE / "client_typecheck"


@pytest.fixture(scope="module")
def runtime_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A MYPYPATH entry exposing `runtime` alone (the repo root would add `generated`)."""
    path = tmp_path_factory.mktemp("mypypath")
    (path / "runtime").symlink_to(ROOT / "runtime", target_is_directory=True)
    return path


def test_generated_client_passes_mypy_strict(runtime_only: Path) -> None:
    code, messages, output = run_mypy(
        # Explicit bases: without them mypy also names the package after the repository
        # root (`generated.client_py...`) and reports it twice.
        ["--explicit-package-bases", "contracts_client", str(TYPECHECK / "good_client.py")],
        cwd=CLIENT_PY,
        mypypath=[runtime_only],
        cache="client-py",
    )
    assert code == 0 and not messages, output


def test_mypy_rejects_wrong_payloads_acks_and_events(runtime_only: Path) -> None:
    source = (TYPECHECK / "bad_client.py").read_text()
    expected = {n for n, line in enumerate(source.splitlines(), 1) if "# E:" in line}
    code, messages, output = run_mypy(
        ["--explicit-package-bases", str(TYPECHECK / "bad_client.py")],
        cwd=CLIENT_PY,
        mypypath=[runtime_only],
        cache="client-py",
    )
    errors = {
        m.line for m in messages if m.severity == "error" and m.file.endswith("bad_client.py")
    }
    assert code != 0
    assert errors == expected, output


# -- the blocking client ----------------------------------------------------------------


def test_sync_client_requests_emits_handlers_and_errors(server_url: str) -> None:
    client = ChatSyncClient()
    checks: queue.Queue[DeliveryCheck] = queue.Queue()
    posted: queue.Queue[MessagePosted] = queue.Queue()
    errors: queue.Queue[AckError] = queue.Queue()

    @client.on(DeliveryCheck)
    def check(payload: DeliveryCheck) -> DeliveryReceipt:
        checks.put(payload)
        return DeliveryReceipt(received=payload.message_ids)

    @client.on(MessagePosted)
    def on_posted(payload: MessagePosted) -> None:
        posted.put(payload)

    @client.on_error
    def on_error(error: AckError) -> None:
        errors.put(error)

    client.connect(server_url, ChatAuth(token=TOKEN))
    try:
        joined = client.join_room(JoinRoom(room="lobby"), timeout=WAIT)
        assert joined.room == "lobby"
        assert checks.get(timeout=WAIT).message_ids == [CHECKED]
        accepted = client.send_message(
            SendMessage(room="lobby", client_ref=uuid.uuid4(), content=TextContent(text="hi"))
        )
        assert posted.get(timeout=WAIT).message.id == accepted.id
        with pytest.raises(AckError) as caught:
            client.fetch_history(FetchHistory(room="lobby"))
        assert caught.value.code == "not_implemented"
        with pytest.raises(AckTimeout):
            client.join_room(JoinRoom(room="lobby"), timeout=0)
        client.emit_react(React(room="lobby", message_id=uuid.uuid4(), emoji="x"))
        assert errors.get(timeout=WAIT).event == "message:react"
    finally:
        client.disconnect()

    refused = ChatSyncClient()
    with pytest.raises(ConnectRefused) as no:
        refused.connect(server_url, ChatAuth(token="short"))
    assert no.value.code == "invalid_auth"


# -- reconnection ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_client_reconnects_through_a_server_restart(tmp_path: Path) -> None:
    port, log = free_port(), tmp_path / "uvicorn.log"
    app = "tests.sdkgen.apps.typed_chat_app:app"
    process, _ = start_uvicorn(app, log, port)
    sio = runtime.AsyncClient(reconnection_delay=0.1, reconnection_delay_max=0.5)
    client = ChatClient(sio)
    try:
        await client.connect(f"http://127.0.0.1:{port}", ChatAuth(token=TOKEN))
        first = await client.join_room(JoinRoom(room="lobby"), timeout=WAIT)
        stop(process)
        deadline = time.monotonic() + WAIT
        while client.connected and time.monotonic() < deadline:
            await asyncio.sleep(0.05)  # bounded poll: the client notices the drop
        assert not client.connected
        with pytest.raises((SdkError, exceptions.SocketIOError)):  # not connected right now
            await client.join_room(JoinRoom(room="lobby"), timeout=0.5)

        process, _ = start_uvicorn(app, log, port)
        deadline = time.monotonic() + WAIT
        while not client.connected and time.monotonic() < deadline:
            await asyncio.sleep(0.05)  # bounded poll: reconnection with backoff
        assert client.connected
        # The new server knows nothing of us: the auth was sent again on reconnect.
        again = await client.join_room(JoinRoom(room="lobby"), timeout=WAIT)
        assert again.room == first.room and again.members[0].name == TOKEN[:8]
    finally:
        await client.disconnect()
        stop(process)
