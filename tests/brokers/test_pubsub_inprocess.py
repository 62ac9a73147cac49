"""Several AsyncServers in one process, each with its own manager, on a real broker.

The clients are in-process websocket peers speaking raw Socket.IO frames; the
broker (Redis or RabbitMQ) is real. Cross-process deployments with real clients
are in ``test_pubsub_cluster.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

import runtime as socketio
from runtime.pubsub import AsyncAioPikaManager, AsyncPubSubManager, AsyncRedisManager
from runtime.pubsub.aiopika_manager import amqp_url
from tests.brokers.harness import RedisServer, new_channel
from tests.runtime.asgi_wire import WebSocketPeer, sid_of

WAIT = 10.0


def make_manager(kind: str, url: str, channel: str, **kwargs: Any) -> AsyncPubSubManager:
    if kind == "redis":
        return AsyncRedisManager(url, channel=channel, **kwargs)
    return AsyncAioPikaManager(url, channel=channel, **kwargs)


async def until(
    probe: Callable[[], bool | Awaitable[bool]], what: str, timeout: float = WAIT
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = probe()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)  # polling interval


class Node:
    def __init__(self, manager: AsyncPubSubManager) -> None:
        self.manager = manager
        self.sio = socketio.AsyncServer(client_manager=manager)
        self.app = socketio.ASGIApp(self.sio)
        self.disconnected: list[tuple[str, str]] = []
        self.peers: list[WebSocketPeer] = []

        @self.sio.event
        async def disconnect(sid: str, reason: str) -> None:
            self.disconnected.append((sid, reason))

    async def client(self) -> tuple[WebSocketPeer, str]:
        peer = WebSocketPeer(self.app)
        await peer.open()
        sid = sid_of(await peer.connect_namespace("/"))
        self.peers.append(peer)
        return peer, sid


class Cluster:
    def __init__(self, kind: str, url: str, size: int = 2) -> None:
        self.channel = new_channel("inproc")
        self.nodes = [Node(make_manager(kind, url, self.channel)) for _ in range(size)]

    async def linked(self) -> None:
        """Every node has a client (so it listens) and knows every other node."""
        others = len(self.nodes) - 1

        def ready() -> bool:
            return all(
                n.manager.listening and len(n.manager.cluster.peers) == others for n in self.nodes
            )

        await until(ready, "the nodes to subscribe and meet")

    async def close(self) -> None:
        for node in self.nodes:
            for peer in node.peers:
                with contextlib.suppress(Exception):
                    await peer.close_transport()
            await node.manager.close()


@pytest.fixture
async def cluster(broker: tuple[str, str]) -> AsyncIterator[Cluster]:
    kind, url = broker
    cluster = Cluster(kind, url)
    try:
        yield cluster
    finally:
        await cluster.close()


def event_of(packet: str) -> list[Any]:
    """The ``[event, *args]`` of an EVENT packet (``2...``)."""
    assert packet.startswith("2"), packet
    body: list[Any] = json.loads(packet[packet.index("[") :])
    return body


async def nothing_more(peer: WebSocketPeer, wait: float = 0.3) -> None:
    with pytest.raises(TimeoutError):
        frame = await peer.recv(timeout=wait)
        pytest.fail(f"unexpected frame {frame!r}")


async def test_broadcast_room_and_skip_sid_cross_nodes(cluster: Cluster) -> None:
    a, b = cluster.nodes
    pa, sa = await a.client()
    pb, sb = await b.client()
    pb2, sb2 = await b.client()
    await cluster.linked()

    await a.sio.emit("news", {"n": 1})
    for peer in (pa, pb, pb2):
        assert event_of(await peer.recv_packet()) == ["news", {"n": 1}]

    await b.sio.emit("multi", (1, "two", None), skip_sid=sb)
    for peer in (pa, pb2):
        assert event_of(await peer.recv_packet()) == ["multi", 1, "two", None]

    await b.sio.enter_room(sb2, "lobby")
    await a.sio.emit("to-lobby", "hi", room="lobby")
    assert event_of(await pb2.recv_packet()) == ["to-lobby", "hi"]

    await a.sio.emit("none", None, to=["lobby", sa])
    assert event_of(await pa.recv_packet()) == ["none"]
    assert event_of(await pb2.recv_packet()) == ["none"]
    await nothing_more(pb)


async def test_binary_arguments_cross_nodes(cluster: Cluster) -> None:
    a, b = cluster.nodes
    await a.client()
    pb, _ = await b.client()
    await cluster.linked()
    await a.sio.emit("blob", {"raw": b"\x00\xff", "n": 2})
    header = await pb.recv_packet()
    assert header == '51-["blob",{"raw":{"_placeholder":true,"num":0},"n":2}]'
    assert await pb.recv() == b"\x00\xff"


async def test_call_to_a_client_of_another_node(cluster: Cluster) -> None:
    a, b = cluster.nodes
    await a.client()
    pb, sb = await b.client()
    await cluster.linked()

    async def answer() -> None:
        packet = await pb.recv_packet()
        ack_id = packet[1 : packet.index("[")]
        assert event_of("2" + packet[packet.index("[") :]) == ["ask", {"q": 1}]
        await pb.send_packet(f"3{ack_id}" + '[{"a":2},"x"]')

    responder = asyncio.ensure_future(answer())
    assert await a.sio.call("ask", {"q": 1}, to=sb, timeout=5) == ({"a": 2}, "x")
    await responder
    # the originator's callback table is empty again
    assert not any(a.manager._callbacks.values())


async def test_unanswered_remote_callbacks_expire(cluster: Cluster) -> None:
    a, b = cluster.nodes
    await a.client()
    pb, sb = await b.client()
    await cluster.linked()
    a.manager.remote_callback_ttl = 0.05
    with pytest.raises(socketio.exceptions.TimeoutError):
        await a.sio.call("ignored", 1, to=sb, timeout=0.2)
    assert len(a.manager._callbacks[sb]) == 1
    await a.sio.emit("later", 2, to=sb, callback=lambda *args: None)
    assert len(a.manager._callbacks[sb]) == 1  # the expired one is gone, the new one kept
    first, second = await pb.recv_packet(), await pb.recv_packet()
    assert first.startswith("2") and first.endswith('["ignored",1]'), first
    assert second.startswith("2") and second.endswith('["later",2]'), second
    assert first[1 : first.index("[")] != second[1 : second.index("[")]  # ids never reused


async def test_remote_enter_leave_room_and_close_room(cluster: Cluster) -> None:
    a, b = cluster.nodes
    await a.client()
    pb, sb = await b.client()
    await cluster.linked()

    await a.sio.enter_room(sb, "red")  # sb lives on b: published
    await until(lambda: "red" in b.sio.rooms(sb), "b to put sb in red")
    assert "red" not in a.sio.rooms(sb)

    await a.sio.emit("paint", "red", room="red")
    assert event_of(await pb.recv_packet()) == ["paint", "red"]

    await a.sio.leave_room(sb, "red")
    await until(lambda: "red" not in b.sio.rooms(sb), "b to take sb out of red")

    await b.sio.enter_room(sb, "blue")
    await a.sio.close_room("blue")
    await until(lambda: "blue" not in b.sio.rooms(sb), "close_room to reach b")


async def test_manager_disconnects_a_client_of_another_node(cluster: Cluster) -> None:
    a, b = cluster.nodes
    await a.client()
    pb, sb = await b.client()
    await cluster.linked()
    await a.manager.disconnect(sb, "/")
    assert await pb.recv_packet() == "1"
    await until(lambda: b.disconnected == [(sb, "server disconnect")], "b's disconnect handler")
    assert not b.manager.is_connected(sb, "/")


async def test_server_disconnects_a_client_of_another_node(cluster: Cluster) -> None:
    a, b = cluster.nodes
    await a.client()
    pb, sb = await b.client()
    await cluster.linked()
    await a.sio.disconnect(sb)
    assert await pb.recv_packet(timeout=2) == "1"


async def test_cluster_participants_and_rooms(cluster: Cluster) -> None:
    a, b = cluster.nodes
    _, sa = await a.client()
    _, sb = await b.client()
    _, sb2 = await b.client()
    await cluster.linked()
    await b.sio.enter_room(sb2, "vip")
    await a.sio.enter_room(sa, "vip")

    everyone = await a.manager.get_participants_cluster("/", None, timeout=3)
    assert sorted(everyone) == sorted([sa, sb, sb2])
    assert sorted(await a.manager.get_participants_cluster("/", "vip", timeout=3)) == sorted(
        [sa, sb2]
    )
    assert sorted(await a.manager.get_rooms_cluster(sb2, "/", timeout=3)) == sorted([sb2, "vip"])
    assert await a.manager.get_rooms_cluster("nobody", "/", timeout=0.5) == []
    # local-only view, as in python-socketio
    assert [sid for sid, _ in a.manager.get_participants("/", "vip")] == [sa]


async def test_cluster_query_names_a_node_that_does_not_answer(broker: tuple[str, str]) -> None:
    kind, url = broker
    cluster = Cluster(kind, url)
    try:
        a, b = cluster.nodes
        _, sa = await a.client()
        await b.client()
        await cluster.linked()
        # b's listener stops without a goodbye, as if the process had hung
        assert b.manager.thread is not None
        b.manager.thread.cancel()
        b.manager._closed = True
        answer = await a.manager.query_cluster(
            socketio.pubsub.QueryKind.PARTICIPANTS, "/", timeout=0.5
        )
        assert not answer.complete
        assert answer.missing == {b.manager.host_id}
        assert answer.merged() == [sa]
        assert b.manager.host_id not in a.manager.cluster.peers
    finally:
        await cluster.close()


async def test_goodbye_removes_a_peer_at_once(cluster: Cluster) -> None:
    a, b = cluster.nodes
    await a.client()
    await b.client()
    await cluster.linked()
    await b.manager.close()
    await until(lambda: not a.manager.cluster.peers, "a to forget b")


async def test_write_only_manager_emits_to_a_room(
    broker: tuple[str, str], cluster: Cluster
) -> None:
    kind, url = broker
    a, b = cluster.nodes
    pa, sa = await a.client()
    pb, sb = await b.client()
    await cluster.linked()
    await a.sio.enter_room(sa, "ops")
    await b.sio.enter_room(sb, "ops")
    emitter = make_manager(kind, url, cluster.channel, write_only=True)
    try:
        await emitter.emit("alert", {"level": 3}, room="ops")
        with pytest.raises(RuntimeError, match="context of a server"):
            await emitter.emit("x", 1, room=sa, callback=lambda *a: None)
    finally:
        await emitter.close()
    assert event_of(await pa.recv_packet()) == ["alert", {"level": 3}]
    assert event_of(await pb.recv_packet()) == ["alert", {"level": 3}]
    assert emitter.thread is None  # never listened


async def test_emit_to_a_local_sid_does_not_touch_the_broker(cluster: Cluster) -> None:
    a, b = cluster.nodes
    pa, sa = await a.client()
    await b.client()
    await cluster.linked()
    before = a.manager.published
    await a.sio.emit("echo", "x", to=sa)
    assert event_of(await pa.recv_packet()) == ["echo", "x"]
    assert a.manager.published == before


async def test_concurrent_emits_are_batched_and_ordered(cluster: Cluster) -> None:
    a, b = cluster.nodes
    await a.client()
    pb, _ = await b.client()
    await cluster.linked()
    await asyncio.gather(*(a.sio.emit("seq", i) for i in range(200)))
    got = [event_of(await pb.recv_packet())[1] for _ in range(200)]
    assert got == list(range(200))


# -- failures -------------------------------------------------------------------------


async def test_publish_to_a_dead_broker_drops_loudly_and_local_clients_still_served(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from tests.brokers.harness import free_port

    manager = AsyncRedisManager(f"redis://127.0.0.1:{free_port()}/0", channel=new_channel())
    manager.publish_attempts = 3
    manager.publish_backoff_initial = 0.01
    manager.listen_backoff_initial = 0.05
    manager.listen_backoff_max = 0.1
    node = Node(manager)
    peer, _ = await node.client()
    try:
        with caplog.at_level(logging.ERROR):
            await asyncio.wait_for(node.sio.emit("local", 1), WAIT)  # does not raise
        assert event_of(await peer.recv_packet()) == ["local", 1]
        assert manager.dropped == 1
        messages = [r.getMessage() for r in caplog.records]
        assert any("DROPPED" in m for m in messages), messages
        assert sum("cannot publish" in m for m in messages) == 2
        await until(
            lambda: any("listener failed" in r.getMessage() for r in caplog.records),
            "listener errors",
        )
        assert manager.thread is not None and not manager.thread.done()  # still trying
    finally:
        await peer.close_transport()
        await manager.close()


async def test_redis_restart_listener_reconnects_and_broadcasts_resume(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    redis = RedisServer(tmp_path).start()
    cluster = Cluster("redis", redis.url)
    for node in cluster.nodes:
        node.manager.listen_backoff_initial = 0.1
        node.manager.listen_backoff_max = 0.5
    try:
        a, b = cluster.nodes
        await a.client()
        pb, _ = await b.client()
        await cluster.linked()
        await a.sio.emit("before", 1)
        assert event_of(await pb.recv_packet()) == ["before", 1]

        caplog.set_level(logging.WARNING, logger="socketio.server")  # the manager logs there
        redis.kill()
        await until(lambda: not b.manager.listening, "b to notice the broker is gone")
        redis.start()  # same port
        await until(lambda: a.manager.listening and b.manager.listening, "both to listen again")
        await a.sio.emit("after", 2)
        assert event_of(await pb.recv_packet()) == ["after", 2]
        messages = [r.getMessage() for r in caplog.records]
        assert any("listener failed" in m for m in messages), messages
        assert any("listening again" in m for m in messages), messages
    finally:
        await cluster.close()
        redis.kill()


async def test_unix_socket_url(tmp_path: Path) -> None:
    sock = str(tmp_path / "redis.sock")
    redis = RedisServer(tmp_path, unix=sock).start()
    cluster = Cluster("redis", f"unix://{sock}?db=0")
    try:
        a, b = cluster.nodes
        await a.client()
        pb, _ = await b.client()
        await cluster.linked()
        await a.sio.emit("via-unix", "ok")
        assert event_of(await pb.recv_packet()) == ["via-unix", "ok"]
    finally:
        await cluster.close()
        redis.kill()


def test_amqp_url_without_a_host_means_localhost() -> None:
    """The guide's ``AsyncAioPikaManager('amqp://')`` (aio-pika alone refuses it)."""
    assert amqp_url("amqp://") == "amqp://localhost"
    assert amqp_url("amqp://u:p@/vhost") == "amqp://u:p@localhost/vhost"
    assert amqp_url("amqps://:5671") == "amqps://localhost:5671"
    assert amqp_url("amqp://guest:guest@rabbit:5672//") == "amqp://guest:guest@rabbit:5672//"
