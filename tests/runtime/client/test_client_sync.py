"""The blocking ``Client``, ``SimpleClient`` and ``AsyncSimpleClient`` against both servers."""

from __future__ import annotations

import queue
import threading
from typing import Any

import pytest

from runtime.client import AsyncSimpleClient, Client, ClientNamespace, SimpleClient
from runtime.exceptions import DisconnectedError, TimeoutError
from tests.runtime.client.conftest import ServerProcess

WAIT = 10.0


class Recorder:
    def __init__(self) -> None:
        self.queues: dict[str, queue.Queue[tuple[Any, ...]]] = {}
        self.threads: set[str] = set()

    def queue(self, name: str) -> queue.Queue[tuple[Any, ...]]:
        return self.queues.setdefault(name, queue.Queue())

    def handler(self, name: str) -> Any:
        def record(*args: Any) -> None:
            self.threads.add(threading.current_thread().name)
            self.queue(name).put(args)

        return record

    def get(self, name: str) -> tuple[Any, ...]:
        return self.queue(name).get(timeout=WAIT)


def recording_client(rec: Recorder, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    for event in ("connect", "connect_error", "disconnect", "echoed", "answered"):
        client.on(event, rec.handler(event))
    return client


@pytest.mark.parametrize("transports", [None, ["polling"], ["websocket"]])
def test_sync_client_round_trip(server: ServerProcess, transports: list[str] | None) -> None:
    rec = Recorder()
    client = recording_client(rec)

    @client.on("question")
    def question(text: str) -> Any:
        # Runs on the handler thread: a blocking call back to the server is fine.
        return client.call("echo", text + "!", timeout=WAIT)

    client.connect(server.url, auth={"token": "sync"}, transports=transports)
    try:
        assert rec.get("connect") == ()
        assert client.connected and client.get_sid()
        assert client.call("whoami", timeout=WAIT) == {"token": "sync"}
        assert client.call("echo", (b"\x00\x01", [1]), timeout=WAIT) == (b"\x00\x01", [1])
        acked: queue.Queue[tuple[Any, ...]] = queue.Queue()
        client.emit("echo", {"k": "v"}, callback=lambda *a: acked.put(a))
        assert acked.get(timeout=WAIT) == ({"k": "v"},)
        client.emit("echo_emit", "back")
        assert rec.get("echoed") == ("back",)
        client.emit("ask", "q")
        assert rec.get("answered") == ("q!",)
        with pytest.raises(TimeoutError):
            client.call("unhandled", timeout=0.3)
    finally:
        client.disconnect()
    assert rec.get("disconnect") == ("client disconnect",)
    assert not client.connected
    # Handlers never run on the caller's thread nor on the I/O loop thread.
    assert rec.threads and all(t.startswith("runtime-client-handlers") for t in rec.threads)


def test_sync_client_namespace_class_and_kick(server: ServerProcess) -> None:
    events: queue.Queue[tuple[Any, ...]] = queue.Queue()

    class Chat(ClientNamespace):
        def on_connect(self) -> None:
            events.put(("connect",))

        def on_disconnect(self, reason: str) -> None:
            events.put(("disconnect", reason))

        def on_echoed(self, *args: Any) -> None:
            events.put(("echoed", *args))

    client = Client(reconnection=False)
    client.register_namespace(Chat("/chat"))
    client.connect(server.url, namespaces=["/chat"])
    assert events.get(timeout=WAIT) == ("connect",)
    client.emit("echo_emit", 7, namespace="/chat")
    assert events.get(timeout=WAIT) == ("echoed", 7)
    client.emit("kick", namespace="/chat")
    assert events.get(timeout=WAIT) == ("disconnect", "server disconnect")
    client.wait()  # returns: the server closed it, nothing to reconnect
    assert not client.connected


def test_sync_client_reconnects_after_restart(server: ServerProcess) -> None:
    rec = Recorder()
    client = recording_client(rec, reconnection_delay=0.1, reconnection_delay_max=0.3)
    client.connect(server.url)
    rec.get("connect")
    server.restart()
    assert rec.get("disconnect") == ("transport error",)
    assert rec.get("connect") == ()
    assert client.call("echo", "back", timeout=WAIT) == "back"
    client.shutdown()


def test_simple_client_receive(server: ServerProcess) -> None:
    with SimpleClient(reconnection=False) as sio:
        sio.connect(server.url, auth={"token": "simple"}, namespace="/chat")
        assert sio.sid and sio.transport in ("polling", "websocket")
        with pytest.raises(TimeoutError):
            sio.receive(timeout=0.2)
        sio.emit("echo_emit", ("a", b"\x02"))
        assert sio.receive(timeout=WAIT) == ["echoed", "a", b"\x02"]
        assert sio.call("whoami", timeout=WAIT) == {"token": "simple"}
        sio.emit("kick")
        with pytest.raises(DisconnectedError):
            sio.receive(timeout=WAIT)
    with pytest.raises(DisconnectedError):
        sio.emit("echo", 1)


async def test_async_simple_client_receive(server: ServerProcess) -> None:
    async with AsyncSimpleClient(reconnection=False) as sio:
        await sio.connect(server.url, transports=["websocket"])
        assert sio.transport == "websocket"
        with pytest.raises(TimeoutError):
            await sio.receive(timeout=0.2)
        await sio.emit("echo_emit", {"x": [1, 2]})
        assert await sio.receive(timeout=WAIT) == ["echoed", {"x": [1, 2]}]
        await sio.emit("ask", "who")
        assert await sio.receive(timeout=WAIT) == ["question", "who"]  # server waits for no ack
        assert await sio.call("echo", 5, timeout=WAIT) == 5
    assert not sio.connected


def test_sync_client_releases_its_io_thread(server: ServerProcess) -> None:
    def io_threads() -> int:
        return sum(t.name == "runtime-client-io" for t in threading.enumerate())

    before = io_threads()
    client = Client(reconnection=False)
    for _ in range(2):  # reusable after a disconnect
        client.connect(server.url)
        assert io_threads() == before + 1
        assert client.call("echo", 1, timeout=WAIT) == 1
        client.disconnect()
        assert io_threads() == before


def test_sync_helpers_and_options() -> None:
    client = Client(reconnection_delay=2)
    client.reconnection_delay = 0.5
    assert client.reconnection_delay == 0.5
    assert client.policy.delay == 0.5  # the setting reaches the shared core
    done: list[int] = []
    thread = client.start_background_task(done.append, 4)
    thread.join(WAIT)
    assert done == [4]
    client.sleep(0)
    assert client.transport() == "" and not client.connected
