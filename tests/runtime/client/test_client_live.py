"""The async client against real servers: the runtime (uvicorn) and Node.js socket.io v4.

Every test runs against both (``server`` is parametrized); waits are bounded.
"""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import pytest

from runtime.client import AsyncClient, AsyncClientNamespace
from runtime.exceptions import BadNamespaceError, ConnectionError, TimeoutError
from tests.runtime.client.conftest import ServerFactory, ServerProcess

WAIT = 10.0
TRANSPORTS: dict[str, list[str] | None] = {
    "polling": ["polling"],
    "websocket": ["websocket"],
    "upgrade": None,
}


class Recorder:
    """Collects handler calls; ``get(name)`` waits (bounded) for the next one."""

    def __init__(self) -> None:
        self.queues: dict[str, asyncio.Queue[tuple[Any, ...]]] = {}

    def queue(self, name: str) -> asyncio.Queue[tuple[Any, ...]]:
        return self.queues.setdefault(name, asyncio.Queue())

    def handler(self, name: str) -> Any:
        def record(*args: Any) -> None:
            self.queue(name).put_nowait(args)

        return record

    async def get(self, name: str) -> tuple[Any, ...]:
        return await asyncio.wait_for(self.queue(name).get(), WAIT)

    def empty(self, name: str) -> bool:
        return self.queue(name).empty()


def recording_client(rec: Recorder, namespace: str = "/", **kwargs: Any) -> AsyncClient:
    client = AsyncClient(**kwargs)
    for event in ("connect", "connect_error", "disconnect", "echoed", "answered"):
        client.on(event, rec.handler(event), namespace=namespace)
    return client


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_connect_auth_call_and_transport(server: ServerProcess, transport: str) -> None:
    rec = Recorder()
    client = recording_client(rec)
    await client.connect(server.url, auth={"token": "t1"}, transports=TRANSPORTS[transport])
    try:
        assert client.connected
        assert await rec.get("connect") == ()
        sid = client.get_sid()
        assert isinstance(sid, str) and sid
        assert client.sid is not None and client.namespaces == {"/": sid}
        # A burst while the upgrade (if any) is probing: nothing lost or reordered.
        burst = [client.call("echo", (i, b"%d" % i), timeout=WAIT) for i in range(100)]
        assert await asyncio.gather(*burst) == [(i, b"%d" % i) for i in range(100)]
        assert await client.call("whoami", timeout=WAIT) == {"token": "t1"}
        if transport == "upgrade":
            # The upgrade probes in the background: wait until both sides agree.
            async def upgraded() -> None:
                while client.transport() != "websocket":
                    await asyncio.sleep(0.02)

            await asyncio.wait_for(upgraded(), WAIT)
        expected = "polling" if transport == "polling" else "websocket"
        assert client.transport() == expected
        assert await client.call("transport", timeout=WAIT) == expected
        # Traffic keeps flowing in order after the transport choice.
        results = await asyncio.gather(*(client.call("echo", i, timeout=WAIT) for i in range(20)))
        assert results == list(range(20))
    finally:
        await client.disconnect()
    assert await rec.get("disconnect") == ("client disconnect",)
    assert not client.connected


async def test_rejected_connect_reports_connect_error(server: ServerProcess) -> None:
    rec = Recorder()
    client = recording_client(rec, reconnection=False)
    with pytest.raises(ConnectionError, match="One or more namespaces failed to connect: /"):
        await client.connect(server.url, auth={"token": "bad"}, wait_timeout=WAIT)
    assert await rec.get("connect_error") == ({"message": "bad token", "data": {"code": 42}},)
    assert client.failed_namespaces == ["/"]
    assert not client.connected
    assert rec.empty("connect")


async def test_unreachable_server_reports_connect_error() -> None:
    from tests.runtime.client.conftest import free_port

    rec = Recorder()
    client = recording_client(rec, reconnection=False)
    with pytest.raises(ConnectionError):
        await client.connect(f"http://127.0.0.1:{free_port()}")
    (data,) = await rec.get("connect_error")
    assert data == "Connection refused by the server"


async def test_namespaces_and_rejected_namespace(server: ServerProcess) -> None:
    rec_root, rec_chat, rec_private = Recorder(), Recorder(), Recorder()
    client = AsyncClient(reconnection=False)
    for rec, ns in ((rec_root, "/"), (rec_chat, "/chat"), (rec_private, "/private")):
        for event in ("connect", "connect_error", "disconnect"):
            client.on(event, rec.handler(event), namespace=ns)
    await client.connect(server.url, namespaces=["/", "/chat"], wait_timeout=WAIT)
    try:
        await rec_root.get("connect")
        await rec_chat.get("connect")
        assert set(client.namespaces) == {"/", "/chat"}
        assert client.get_sid("/chat") != client.get_sid("/")
        assert await client.call("echo", "in chat", namespace="/chat", timeout=WAIT) == "in chat"
        with pytest.raises(BadNamespaceError):
            await client.emit("echo", 1, namespace="/nowhere")
    finally:
        await client.disconnect()
    assert await rec_chat.get("disconnect") == ("client disconnect",)

    client = AsyncClient(reconnection=False)
    client.on("connect_error", rec_private.handler("connect_error"), namespace="/private")
    with pytest.raises(ConnectionError, match="/private"):
        await client.connect(server.url, namespaces=["/", "/private"], wait_timeout=WAIT)
    assert await rec_private.get("connect_error") == (
        {"message": "private", "data": {"why": "no"}},
    )
    assert client.failed_namespaces == ["/private"]


@pytest.mark.parametrize("kind", ["runtime", "node"])
@pytest.mark.parametrize("serializer", ["default", "msgpack"])
async def test_acks_both_ways_and_binary(
    server_factory: ServerFactory, serializer: str, kind: str
) -> None:
    server = server_factory(kind, serializer)
    rec = Recorder()
    client = recording_client(rec, serializer=serializer)

    @client.on("question")
    async def question(text: str) -> Any:
        return {"answer": text.upper(), "raw": text.encode()}

    await client.connect(server.url)
    try:
        blob = bytes(range(256)) * 4
        # Client -> server with an ack callback; several args, binary nested.
        acked: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()
        await client.emit(
            "echo",
            ("x", {"blob": blob, "n": [1, b"\x01"]}, blob),
            callback=lambda *a: acked.set_result(a),
        )
        assert await asyncio.wait_for(acked, WAIT) == (
            "x",
            {"blob": blob, "n": [1, b"\x01"]},
            blob,
        )
        # call(): one value, several values (a tuple), none.
        assert await client.call("echo", blob, timeout=WAIT) == blob
        assert await client.call("echo", (1, 2), timeout=WAIT) == (1, 2)
        assert await client.call("echo", timeout=WAIT) is None
        # Server -> client binary event, and a server -> client call acked by a handler.
        await client.emit("echo_emit", (b"\xff\x00", "t"))
        assert await rec.get("echoed") == (b"\xff\x00", "t")
        await client.emit("ask", "hi")
        assert await rec.get("answered") == ({"answer": "HI", "raw": b"hi"},)
    finally:
        await client.disconnect()


async def test_call_timeout_and_late_ack_ignored(server: ServerProcess) -> None:
    client = AsyncClient(reconnection=False)
    await client.connect(server.url)
    try:
        with pytest.raises(TimeoutError):
            await client.call("unhandled", 1, timeout=0.3)  # no handler: never acked
        assert await client.call("echo", "still fine", timeout=WAIT) == "still fine"
    finally:
        await client.disconnect()


async def test_handler_may_call_the_server_while_handling(server: ServerProcess) -> None:
    rec = Recorder()
    client = recording_client(rec)

    @client.on("question")
    async def question(text: str) -> Any:
        # A call from inside a handler must not block the reader.
        return await client.call("echo", text + "?", timeout=WAIT)

    await client.connect(server.url)
    try:
        await client.emit("ask", "nested")
        assert await rec.get("answered") == ("nested?",)
    finally:
        await client.disconnect()


async def test_server_disconnect_reason_and_no_reconnect(server: ServerProcess) -> None:
    rec = Recorder()
    client = recording_client(rec, reconnection_delay=0.05)
    await client.connect(server.url)
    await rec.get("connect")
    await client.emit("kick")
    assert await rec.get("disconnect") == ("server disconnect",)
    await asyncio.wait_for(client.wait(), WAIT)  # no reconnection follows
    assert not client.connected
    assert rec.empty("connect")


async def test_catch_all_and_class_namespace(server: ServerProcess) -> None:
    seen: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()

    class Chat(AsyncClientNamespace):
        async def on_connect(self) -> None:
            await seen.put(("connect", self.namespace))

        async def on_echoed(self, *args: Any) -> None:
            await seen.put(("echoed", *args))

        def on_question(self, text: str) -> str:
            return text * 2

        async def on_answered(self, answer: Any) -> None:
            await seen.put(("answered", answer))

    client = AsyncClient(reconnection=False)
    client.register_namespace(Chat("/chat"))
    client.on("*", lambda event, *args: seen.put_nowait(("*", event, *args)))
    await client.connect(server.url, namespaces=["/", "/chat"])
    try:
        assert await asyncio.wait_for(seen.get(), WAIT) == ("connect", "/chat")
        await client.emit("echo_emit", "root")
        assert await asyncio.wait_for(seen.get(), WAIT) == ("*", "echoed", "root")
        await client.emit("echo_emit", "chat", namespace="/chat")
        assert await asyncio.wait_for(seen.get(), WAIT) == ("echoed", "chat")
        await client.emit("ask", "ab", namespace="/chat")
        assert await asyncio.wait_for(seen.get(), WAIT) == ("answered", "abab")
    finally:
        await client.disconnect()


@pytest.mark.parametrize("transport", ["polling", "websocket"])
async def test_reconnects_after_server_restart(server: ServerProcess, transport: str) -> None:
    rec = Recorder()
    client = recording_client(
        rec, reconnection_delay=0.1, reconnection_delay_max=0.5, randomization_factor=0.5
    )
    await client.connect(server.url, auth={"token": "again"}, transports=[transport])
    await rec.get("connect")
    first_sid = client.get_sid()
    server.restart()
    assert await rec.get("disconnect") == ("transport error",)
    assert await rec.get("connect") == ()  # the reconnection
    assert client.connected
    assert client.get_sid() != first_sid
    assert await client.call("whoami", timeout=WAIT) == {"token": "again"}
    await client.shutdown()
    assert await rec.get("disconnect") == ("client disconnect",)


async def test_reconnection_gives_up_after_attempts(server: ServerProcess) -> None:
    rec = Recorder()
    client = recording_client(rec, reconnection_attempts=2, reconnection_delay=0.05)
    client.on("__disconnect_final", rec.handler("final"))
    await client.connect(server.url, transports=["websocket"])
    await rec.get("connect")
    server.stop()
    assert await rec.get("disconnect") == ("transport error",)
    await asyncio.wait_for(client.wait(), WAIT)
    assert await rec.get("final") == ()
    assert not client.connected


@pytest.mark.parametrize("kind", ["runtime", "node"])
async def test_connect_with_retry_waits_for_the_server(
    server_factory: ServerFactory, kind: str
) -> None:
    server = server_factory(kind, start=False)  # its port is reserved, nothing listens yet
    rec = Recorder()
    client = recording_client(rec, reconnection_delay=0.2, reconnection_delay_max=0.2)
    connecting = asyncio.ensure_future(client.connect(server.url, retry=True))
    (data,) = await rec.get("connect_error")  # the first attempt fails
    assert data == "Connection refused by the server"
    assert not connecting.done()
    await asyncio.to_thread(server.start)
    await asyncio.wait_for(connecting, WAIT)
    assert client.connected
    assert await client.call("echo", "up", timeout=WAIT) == "up"
    await client.disconnect()


@pytest.mark.parametrize("kind", ["runtime", "node"])
async def test_ping_timeout_on_a_frozen_server(server_factory: ServerFactory, kind: str) -> None:
    server = server_factory(kind, ping=0.5)
    rec = Recorder()
    client = recording_client(rec, reconnection_delay=0.1, reconnection_delay_max=0.2)
    await client.connect(server.url, transports=["websocket"])
    await rec.get("connect")
    # Pings are answered: the connection outlives several ping intervals.
    await asyncio.sleep(1.5)
    assert client.connected
    server.signal(signal.SIGSTOP)  # the socket stays open, pings stop
    try:
        assert await rec.get("disconnect") == ("transport error",)
    finally:
        server.signal(signal.SIGCONT)
    assert await rec.get("connect") == ()  # reconnected once the server runs again
    await client.shutdown()


@pytest.mark.parametrize("transport", ["polling", "websocket"])
async def test_server_sees_a_clean_client_disconnect(server: ServerProcess, transport: str) -> None:
    watcher_rec = Recorder()
    watcher = AsyncClient(reconnection=False)
    watcher.on("left", watcher_rec.handler("left"))
    await watcher.connect(server.url, transports=["websocket"])
    await watcher.call("echo", timeout=WAIT)
    await watcher.emit("watch")
    await watcher.call("echo", timeout=WAIT)  # ordered after "watch": the room is joined
    client = AsyncClient(reconnection=False)
    await client.connect(server.url, transports=[transport])
    for i in range(50):  # keep POSTs in flight while the CLOSE goes out
        await client.emit("echo", i)
    await client.disconnect()
    (reason,) = await watcher_rec.get("left")
    # python-socketio's reason, and socket.io's for a namespace DISCONNECT packet.
    assert reason in ("client disconnect", "client namespace disconnect")
    await watcher.disconnect()


@pytest.mark.parametrize("transports", [["polling"], ["websocket"]])
async def test_headers_and_callable_connect_arguments(
    server: ServerProcess, transports: list[str]
) -> None:
    client = AsyncClient(reconnection=False)

    async def auth() -> dict[str, Any]:
        return {"token": "from-callable"}

    await client.connect(
        lambda: server.url, headers=lambda: {"X-Test": "hdr"}, auth=auth, transports=transports
    )
    try:
        assert await client.call("header", timeout=WAIT) == "hdr"
        assert await client.call("whoami", timeout=WAIT) == {"token": "from-callable"}
    finally:
        await client.disconnect()


async def test_namespace_auth_gives_each_namespace_its_own_auth(server: ServerProcess) -> None:
    client = AsyncClient(reconnection=False)

    async def chat_auth() -> dict[str, Any]:
        return {"token": "chat-only"}

    with pytest.raises(ValueError, match="not connected"):
        await client.connect(server.url, namespaces=["/"], namespace_auth={"/chat": {}})
    await client.connect(
        server.url,
        auth={"token": "shared"},
        namespaces=["/", "/chat"],
        namespace_auth={"/chat": chat_auth},
    )
    try:
        assert await client.call("whoami", timeout=WAIT) == {"token": "shared"}
        assert await client.call("whoami", namespace="/chat", timeout=WAIT) == {
            "token": "chat-only"
        }
    finally:
        await client.disconnect()


async def test_background_task_and_sleep() -> None:
    client = AsyncClient()
    done: list[int] = []

    async def work(n: int) -> None:
        await client.sleep(0)
        done.append(n)

    await asyncio.wait_for(client.start_background_task(work, 3), WAIT)
    assert done == [3]
