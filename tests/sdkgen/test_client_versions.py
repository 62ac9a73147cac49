"""Contract version negotiation at connect, with the generated Python clients.

The server (`apps/versioned_chat_app.py`) runs the generated /chat bindings at the
contracts' version (1.2.0) under each policy. Clients are the committed generated
package (1.2.0) and packages built by `sdkgen build` from copies of the contracts
bumped to 1.3.0 (same major) and 2.0.0 (next major), as a client released from
another version of the contracts would be.
"""

from __future__ import annotations

import asyncio
import importlib
import shutil
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

import runtime
from runtime import exceptions
from tests.sdkgen.client_support import CLIENT_PY, build_chat_at, served

sys.path.insert(0, str(CLIENT_PY))

from contracts_client import (
    ChatClient,
    ChatSyncClient,
    ConnectRefused,
    IncompatibleVersionError,
)
from contracts_client.chat import VERSION as SERVER_VERSION
from contracts_client.models.chat import ChatAuth, JoinRoom

WAIT = 10.0
TOKEN = "token-0123456789abcdef"


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("versions") / "uvicorn.log"
    for url, _, _ in served("tests.sdkgen.apps.versioned_chat_app:app", log):
        yield url


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ModuleType]:
    """`{version: generated client package}` for contracts bumped to 1.3.0 and 2.0.0.

    The package's imports are relative, so each is renamed and imported beside the
    committed `contracts_client`.
    """
    packages = {}
    for version in ("1.3.0", "2.0.0"):
        out = build_chat_at(version, tmp_path_factory.mktemp(f"chat-{version}"))
        name = f"chat_{version.replace('.', '_')}_client"
        shutil.move(out / "client_py" / "contracts_client", out / "client_py" / name)
        sys.path.insert(0, str(out / "client_py"))
        packages[version] = importlib.import_module(name)
        assert version == packages[version].chat.VERSION
    return packages


async def connect(client: Any, url: str, policy: str) -> None:
    await client.connect(url, client_auth(client), socketio_path=policy, wait_timeout=WAIT)


def client_auth(client: Any) -> Any:
    """The ChatAuth model of the package `client` comes from."""
    models = sys.modules[type(client).__module__.rsplit(".", 1)[0] + ".models.chat"]
    return models.ChatAuth(token=TOKEN)


async def assert_works(client: Any, package: str) -> None:
    """Connected, and a typed request makes the round trip."""
    models = sys.modules[f"{package}.models.chat"]
    try:
        assert client.connected
        joined = await client.join_room(models.JoinRoom(room="lobby"), timeout=WAIT)
        assert joined.room == "lobby"
    finally:
        await client.disconnect()


async def test_same_version_is_accepted_under_every_policy(server_url: str) -> None:
    for policy in ("major", "exact", "off", "required"):
        client = ChatClient()
        await connect(client, server_url, policy)
        await assert_works(client, "contracts_client")


async def test_same_major_is_accepted_but_not_under_exact(
    server_url: str, released: dict[str, ModuleType]
) -> None:
    package = released["1.3.0"]
    for policy in ("major", "off", "required"):
        client = package.ChatClient()
        await connect(client, server_url, policy)
        await assert_works(client, package.__name__)

    client = package.ChatClient()
    with pytest.raises(package.IncompatibleVersionError) as caught:
        await connect(client, server_url, "exact")
    error = caught.value
    assert (error.client_version, error.server_version, error.policy) == (
        "1.3.0",
        SERVER_VERSION,
        "exact",
    )
    assert error.message == (
        f"client contract /chat 1.3.0 is incompatible with server {SERVER_VERSION} "
        "(exact version required)"
    )
    assert not client.connected


async def test_next_major_is_refused_naming_both_versions(
    server_url: str, released: dict[str, ModuleType]
) -> None:
    package = released["2.0.0"]
    client = package.ChatClient()
    with pytest.raises(package.IncompatibleVersionError) as caught:
        await connect(client, server_url, "major")
    error = caught.value
    assert str(error) == (
        f"/chat: connection refused: client contract /chat 2.0.0 is incompatible with "
        f"server {SERVER_VERSION} (major version differs)"
    )
    assert error.code == "incompatible_version" and error.policy == "major"
    assert (error.client_version, error.server_version) == ("2.0.0", SERVER_VERSION)
    # The typed error is also the generic ones, for code that catches those.
    assert isinstance(error, package.ConnectRefused)
    assert isinstance(error, exceptions.ConnectionError)
    assert not client.connected

    # The server keeps serving everyone else; with the policy off, 2.0.0 gets in.
    current = ChatClient()
    await connect(current, server_url, "major")
    await assert_works(current, "contracts_client")
    client = package.ChatClient()
    await connect(client, server_url, "off")
    await assert_works(client, package.__name__)


async def test_a_client_without_a_version_is_refused_only_when_one_is_required(
    server_url: str,
) -> None:
    """A hand-written client (no `sdkgen_version` in its auth) against both rules."""
    refusals: asyncio.Queue[Any] = asyncio.Queue()
    sio = runtime.AsyncClient(reconnection=False)
    sio.on("connect_error", refusals.put, namespace="/chat")
    with pytest.raises(exceptions.ConnectionError):
        await sio.connect(
            server_url,
            auth={"token": TOKEN},
            namespaces=["/chat"],
            socketio_path="required",
            wait_timeout=WAIT,
        )
    refusal = await asyncio.wait_for(refusals.get(), WAIT)
    assert refusal == {
        "message": f"client contract /chat sent no version; it is required by server "
        f"{SERVER_VERSION} (the server requires a version)",
        "data": {
            "code": "incompatible_version",
            "client_version": None,
            "server_version": SERVER_VERSION,
            "policy": "major",
        },
    }

    await sio.connect(
        server_url,
        auth={"token": TOKEN},
        namespaces=["/chat"],
        socketio_path="major",
        wait_timeout=WAIT,
    )
    try:
        ack = await sio.call("room:join", {"room": "lobby"}, namespace="/chat", timeout=WAIT)
        assert ack["ok"] is True and ack["data"]["room"] == "lobby"
    finally:
        await sio.disconnect()


async def test_the_version_key_never_reaches_the_auth_model(server_url: str) -> None:
    """`sdkgen_version` is stripped first: invalid auth is still reported as such."""
    client = ChatClient()
    with pytest.raises(ConnectRefused) as caught:
        await client.connect(server_url, ChatAuth(token="short"), socketio_path="exact")
    assert caught.value.code == "invalid_auth"
    assert [d["loc"] for d in caught.value.details] == [["token"]]
    assert not isinstance(caught.value, IncompatibleVersionError)


def test_sync_clients_negotiate_the_same_way(
    server_url: str, released: dict[str, ModuleType]
) -> None:
    newer, next_major = released["1.3.0"], released["2.0.0"]
    client = newer.ChatSyncClient()
    client.connect(server_url, client_auth(client), socketio_path="major", wait_timeout=WAIT)
    try:
        join = sys.modules[f"{newer.__name__}.models.chat"].JoinRoom(room="lobby")
        assert client.join_room(join, timeout=WAIT).room == "lobby"
    finally:
        client.disconnect()

    for package, policy in ((newer, "exact"), (next_major, "major")):
        refused = package.ChatSyncClient()
        with pytest.raises(package.IncompatibleVersionError) as caught:
            refused.connect(
                server_url, client_auth(refused), socketio_path=policy, wait_timeout=WAIT
            )
        assert caught.value.client_version == package.chat.VERSION
        assert caught.value.server_version == SERVER_VERSION
        assert caught.value.policy == policy
        assert not refused.connected

    current = ChatSyncClient()
    current.connect(server_url, ChatAuth(token=TOKEN), socketio_path="exact", wait_timeout=WAIT)
    try:
        assert current.join_room(JoinRoom(room="lobby"), timeout=WAIT).room == "lobby"
    finally:
        current.disconnect()


def test_register_refuses_an_unknown_policy() -> None:
    from generated.server.chat import ChatNamespace

    with pytest.raises(ValueError, match="version_policy must be one of"):
        ChatNamespace().register(runtime.AsyncServer(), version_policy="minor")


def test_the_sync_server_twin_applies_the_same_policy() -> None:
    """`register` and the connect check are shared by `chat` and `chat_sync`."""
    from generated.server.chat import ChatNamespaceSync
    from runtime.exceptions import ConnectionRefusedError

    chat = ChatNamespaceSync()
    seen: list[Any] = []

    @chat.on_connect
    def connect(sid: str, environ: Any, auth: Any) -> None:
        seen.append(auth)

    chat.register(runtime.Server(), version_policy="exact")
    with pytest.raises(ConnectionRefusedError) as caught:
        chat._on_connect("sid", {}, {"token": TOKEN, "sdkgen_version": "1.3.0"})
    message, data = caught.value.error_args["message"], caught.value.error_args["data"]
    assert message.startswith("client contract /chat 1.3.0 is incompatible with server")
    assert data["code"] == "incompatible_version" and data["policy"] == "exact"
    chat._on_connect("sid", {}, {"token": TOKEN, "sdkgen_version": SERVER_VERSION})
    assert [a.token for a in seen] == [TOKEN]
