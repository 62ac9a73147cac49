"""Sync ``RedisManager`` and ``KombuManager`` on real brokers, with real clients.

Nodes are ``runtime.Server`` processes in threading mode under Werkzeug
(``apps/sync_node.py``, the server of ``apps/sync_mq_node.py`` with these
managers); clients are python-socketio's, in ``.venvs/pysio-brokers``. The
scenarios are the Kafka/ZeroMQ suite's (``sync_mq_nodes.py``). Redis is a private
``redis-server`` (so it can be killed and restarted); RabbitMQ is the machine's
on 5672, or one started by the session fixture. A mixed cluster pairs a sync
runtime node with python-socketio's ``Server`` + ``RedisManager`` on one channel.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import runtime as socketio
from runtime.pubsub.backoff import Backoff
from runtime.pubsub.kombu_manager import KombuManager
from runtime.pubsub.outbox import QueuedSyncOutbox, SyncOutbox
from runtime.pubsub.sync_redis_manager import RedisManager
from tests.brokers.harness import (
    APPS,
    REPO,
    ClientRunner,
    Node,
    RabbitServer,
    RedisServer,
    free_port,
    kill,
    new_channel,
    poll_until,
)
from tests.brokers.sync_mq_nodes import across_two_nodes, broker_restart, handshake_ok
from tests.brokers.test_pubsub_cluster import linked, never

SYNC_NODE = APPS / "sync_node.py"
PYSIO_NODE = APPS / "pysio_sync_node.py"


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test alone: it may be killed and restarted."""
    server = RedisServer(tmp_path).start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture(params=["redis", "kombu"])
def sync_broker(request: pytest.FixtureRequest) -> tuple[str, str]:
    kind: str = request.param
    fixture = "redis_server" if kind == "redis" else "rabbit_server"
    server: RedisServer | RabbitServer = request.getfixturevalue(fixture)
    return kind, server.url


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1", **extra}


def start_wsgi_node(workdir: Path, name: str, cmd: list[str], env: dict[str, str]) -> Node:
    """Start a node process serving on ``CLUSTER_PORT``; ready once it answers a handshake."""
    port = free_port()
    log_path = workdir / f"sync-{name}-{port}.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            cmd,
            env={**env, "CLUSTER_NODE": name, "CLUSTER_PORT": str(port)},
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
    node = Node(name, process, port, log_path, env["CLUSTER_CHANNEL"])

    def ready() -> bool:
        node.check_alive()
        return handshake_ok(port)

    try:
        poll_until(ready, 30, f"node {name} on {port}")
    except BaseException:
        kill(process)
        raise
    return node


def runtime_env(broker: str, url: str, channel: str, **extra: str) -> dict[str, str]:
    return _env(
        PYTHONPATH=str(REPO),
        CLUSTER_BROKER=broker,
        CLUSTER_URL=url,
        CLUSTER_CHANNEL=channel,
        **extra,
    )


def two_nodes(nodes: list[Node], workdir: Path, broker: str, url: str) -> tuple[Node, Node]:
    env = runtime_env(broker, url, new_channel(f"sync-{broker}"))
    for name in ("A", "B"):
        nodes.append(start_wsgi_node(workdir, name, [sys.executable, str(SYNC_NODE)], env))
    return nodes[0], nodes[1]


# -- two sync runtime nodes ----------------------------------------------------------------


def test_two_sync_nodes(
    sync_broker: tuple[str, str], nodes: list[Node], runner: ClientRunner, tmp_path: Path
) -> None:
    """Broadcasts, skip_sid, rooms, enter/leave/close_room, callbacks, disconnect across nodes."""
    broker, url = sync_broker
    a, b = two_nodes(nodes, tmp_path, broker, url)
    across_two_nodes(runner, a, b)


def test_write_only_emitter_process(
    sync_broker: tuple[str, str], nodes: list[Node], runner: ClientRunner, tmp_path: Path
) -> None:
    """The guide's external emitter: a write_only manager in a process of its own."""
    broker, url = sync_broker
    a, b = two_nodes(nodes, tmp_path, broker, url)
    runner.connect("a1", a)
    runner.connect("b1", b)
    runner.connect("b2", b)
    for name in ("a1", "b1"):
        runner.cmd(name, op="enter_room", room="my room")
    linked(runner, "a1", "b1")
    env = runtime_env(
        broker,
        url,
        a.channel,
        EMIT_EVENT="my event",
        EMIT_DATA=json.dumps({"foo": "bar"}),
        EMIT_ROOM="my room",
    )
    done = subprocess.run(
        [sys.executable, str(SYNC_NODE), "emit"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    runner.wait_event("a1", "my event", [{"foo": "bar"}])
    runner.wait_event("b1", "my event", [{"foo": "bar"}])
    never(runner, "b2", "my event", [{"foo": "bar"}])


def test_redis_killed_and_restarted(
    private_redis: RedisServer, nodes: list[Node], runner: ClientRunner, tmp_path: Path
) -> None:
    a, b = two_nodes(nodes, tmp_path, "redis", private_redis.url)
    broker_restart(runner, a, b, private_redis.kill, private_redis.start)


def _rabbitmqctl(rabbit: RabbitServer, *args: str) -> subprocess.CompletedProcess[str]:
    node = [] if rabbit.process is None else ["-n", f"brokers{rabbit.port}@localhost"]
    return subprocess.run(["rabbitmqctl", *node, *args], capture_output=True, text=True, timeout=60)


def test_rabbitmq_connections_closed_by_the_broker(
    rabbit_server: RabbitServer, nodes: list[Node], runner: ClientRunner, tmp_path: Path
) -> None:
    """The broker closes the nodes' connections (only theirs): both reconnect, broadcasts resume."""
    tag = new_channel("q1conn")
    a, b = two_nodes(nodes, tmp_path, "kombu", rabbit_server.url)
    # The nodes name their connections after the channel (see apps/sync_node.py).
    assert a.channel.startswith("sync-kombu")
    runner.connect("a1", a)
    runner.connect("b1", b)
    linked(runner, "a1", "b1")
    linked(runner, "b1", "a1")

    def ours() -> list[str]:
        listed = _rabbitmqctl(
            rabbit_server,
            "list_connections",
            "-q",
            "--no-table-headers",
            "pid",
            "client_properties",
        )
        assert listed.returncode == 0, listed.stderr
        return [
            line.split("\t")[0]
            for line in listed.stdout.splitlines()
            if a.channel in line  # the connection_name client property
        ]

    pids = poll_until(lambda: ours() or None, 20, "the nodes' AMQP connections")
    for pid in pids:
        closed = _rabbitmqctl(rabbit_server, "close_connection", pid, f"test {tag}")
        assert closed.returncode == 0, closed.stderr
    poll_until(
        lambda: all("listening again" in node.log() for node in (a, b)) or None,
        30,
        "both listeners to reconnect",
    )
    linked(runner, "a1", "b1", timeout=30)
    linked(runner, "b1", "a1", timeout=30)
    for node in (a, b):
        node.check_alive()


# -- mixed cluster -----------------------------------------------------------------------------


def test_mixed_cluster_with_python_socketio_sync_redis(
    redis_server: RedisServer,
    pysio_python: Path,
    nodes: list[Node],
    runner: ClientRunner,
    tmp_path: Path,
) -> None:
    """A sync runtime node and python-socketio's Server + RedisManager share a channel."""
    channel = new_channel("sync-mixed")
    env = runtime_env("redis", redis_server.url, channel)
    nodes.append(start_wsgi_node(tmp_path, "R", [sys.executable, str(SYNC_NODE)], env))
    pysio_env = _env(CLUSTER_URL=redis_server.url, CLUSTER_CHANNEL=channel)
    pysio_env.pop("PYTHONPATH", None)  # runtime must not leak into the python-socketio node
    nodes.append(start_wsgi_node(tmp_path, "P", [str(pysio_python), str(PYSIO_NODE)], pysio_env))
    r, p = nodes
    sr = runner.connect("r1", r)
    sp = runner.connect("p1", p, transports=["polling"])
    linked(runner, "r1", "p1")
    linked(runner, "p1", "r1")

    # broadcasts and room emits, both ways
    runner.cmd("r1", op="enter_room", room="club")
    runner.cmd("p1", op="emit", event="to-club", data={"from": "pysio"}, to="club")
    runner.wait_event("r1", "to-club", [{"from": "pysio"}])
    runner.cmd("r1", op="emit", event="hello", data=[1, 2])
    runner.wait_event("p1", "hello", [[1, 2]])

    # callbacks across the two implementations, both ways
    assert runner.cmd("r1", op="call", event="ask", data="q1", to=sp) == {"by": "p1", "got": "q1"}
    assert runner.cmd("p1", op="call", event="ask", data="q2", to=sr) == {"by": "r1", "got": "q2"}
    for node in (r, p):
        node.check_alive()


# -- in-process: cluster queries, counters, constructor --------------------------------------


def _server_on(manager: RedisManager) -> socketio.Server:
    manager.listen_backoff_initial = 0.2
    sio = socketio.Server(client_manager=manager, async_mode="threading")
    manager.initialize()
    return sio


def test_cluster_queries_and_remote_acks_in_process(redis_server: RedisServer) -> None:
    channel = new_channel("sync-query")
    a, b = (RedisManager(redis_server.url, channel=channel) for _ in range(2))
    servers = [_server_on(a), _server_on(b)]
    try:
        sid_a = a.connect("eio-a", "/")
        sid_b = b.connect("eio-b", "/")
        assert sid_a is not None and sid_b is not None
        b.basic_enter_room(sid_b, "/", "lobby")
        poll_until(lambda: (a.listening and b.listening) or None, 10, "both listeners")

        def both() -> list[str] | None:
            found = list(map(str, a.get_participants_cluster("/")))
            return found if len(found) == 2 else None

        everyone = poll_until(both, 10, "both nodes to answer")
        assert sorted(everyone) == sorted([sid_a, sid_b])
        assert a.get_participants_cluster("/", room="lobby") == [sid_b]
        assert sorted(map(str, a.get_rooms_cluster(sid_b, "/"))) == sorted(["lobby", sid_b])
        # a remote enter_room reaches the other node's registry
        a.enter_room(sid_b, "/", "vip")
        poll_until(lambda: "vip" in b.get_rooms(sid_b, "/") or None, 10, "vip on B")
        assert a.published > 0 and a.dropped == 0
    finally:
        for manager in (a, b):
            manager.close()
        for sio in servers:
            sio.shutdown()
    assert not a.listening and not b.listening


def test_publishing_to_a_dead_broker_is_bounded_and_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    manager = RedisManager(f"redis://127.0.0.1:{free_port()}/0", write_only=True)
    manager.publish_attempts = 3
    manager.publish_backoff_initial = 0.01
    with caplog.at_level(logging.ERROR):
        manager.emit("lost", 1, namespace="/")  # never raises to the emitter
    assert (manager.published, manager.dropped) == (0, 1)
    assert "DROPPED" in caplog.text
    manager.close()


def test_constructors_keep_python_socketios_signatures() -> None:
    redis = RedisManager("redis://h:1/0", channel="c", write_only=True, redis_options={"db": 0})
    assert (redis.redis_url, redis.channel, redis.write_only, redis.redis_options) == (
        "redis://h:1/0",
        "c",
        True,
        {"db": 0},
    )
    kombu = KombuManager(
        "amqp://u:p@h:1//",
        channel="c",
        write_only=True,
        connection_options={"heartbeat": 10},
        exchange_options={"durable": False},
        queue_options={"auto_delete": True},
        producer_options={"serializer": "json"},
    )
    assert kombu.queue_name.startswith("python-socketio.")
    assert kombu._exchange().type == "fanout" and kombu._exchange().name == "c"
    assert kombu._queue().queue_arguments == {"x-expires": 300000}
    assert kombu._queue().auto_delete is True
    with pytest.raises(ValueError):
        RedisManager("http://h/")


def test_sync_outbox_keeps_order_batches_and_drops_loudly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    batches: list[list[str]] = []
    gate = threading.Event()

    def send(payloads: list[str]) -> None:
        gate.wait(5)  # the first send holds the line while the others queue up
        batches.append(list(payloads))

    outbox = SyncOutbox(send, logging.getLogger("test"))
    first = threading.Thread(target=outbox.put, args=("m0",))
    first.start()
    poll_until(lambda: outbox._sending.locked() or None, 5, "the first send")
    others = [threading.Thread(target=outbox.put, args=(f"m{i}",)) for i in range(1, 20)]
    for thread in others:
        thread.start()
    poll_until(lambda: len(outbox._batch.payloads) == 19 or None, 5, "19 queued puts")
    gate.set()
    for thread in [first, *others]:
        thread.join(10)
    sent = [payload for batch in batches for payload in batch]
    assert sorted(sent) == sorted(f"m{i}" for i in range(20)) and len(sent) == 20
    assert len(batches) == 2 and outbox.sent == 20  # the queued messages left together

    def broken(payloads: list[str]) -> None:
        raise ConnectionError("broker down")

    failing = SyncOutbox(
        broken, logging.getLogger("test"), attempts=3, backoff=Backoff(0.001, 0.002)
    )
    with caplog.at_level(logging.ERROR):
        assert failing.put("lost") is False
    assert (failing.sent, failing.dropped) == (0, 1)
    assert "attempt 2/3" in caplog.text and "DROPPED" in caplog.text


def _start_thread(target: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_queued_sync_outbox_never_holds_up_the_emitter(caplog: pytest.LogCaptureFixture) -> None:
    """A server's emits only queue: a stuck broker costs the sender, not the handler."""
    gate, sending = threading.Event(), threading.Event()
    batches: list[list[str]] = []

    def send(payloads: list[str]) -> None:
        sending.set()
        assert gate.wait(10), "the test never opened the gate"
        batches.append(list(payloads))

    senders: list[threading.Thread] = []

    def spawn(target: Callable[[], None]) -> threading.Thread:
        senders.append(_start_thread(target))
        return senders[-1]

    outbox = QueuedSyncOutbox(send, logging.getLogger("test"), spawn=spawn, limit=5)
    assert outbox.put("m0")
    assert sending.wait(5)  # the sender is stuck in the broker with m0
    with caplog.at_level(logging.ERROR):
        assert all(outbox.put(f"m{i}") for i in range(1, 6))  # returns at once, queued
        assert not outbox.put("m6") and not outbox.put("m7")  # the queue is full
    assert caplog.text.count("DROPPED") == 1  # once per overflow, not per message
    assert not outbox.flush(0.05)
    gate.set()
    assert outbox.flush(5)
    assert batches == [["m0"], [f"m{i}" for i in range(1, 6)]]  # in order, the rest as one
    assert (outbox.sent, outbox.dropped, len(senders)) == (6, 2, 1)
    outbox.close(1.0)
    senders[0].join(5)
    assert not senders[0].is_alive() and not outbox.put("late") and outbox.dropped == 3


def test_queued_sync_outbox_close_drops_what_the_broker_never_took(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gate, sending = threading.Event(), threading.Event()

    def send(payloads: list[str]) -> None:
        sending.set()
        gate.wait(10)
        raise ConnectionError("broker down")

    outbox = QueuedSyncOutbox(
        send,
        logging.getLogger("test"),
        attempts=2,
        backoff=Backoff(0.001, 0.002),
        spawn=_start_thread,
    )
    assert outbox.put("first")
    assert sending.wait(5)
    assert outbox.put("second")
    with caplog.at_level(logging.ERROR):
        outbox.close(0.05)  # the sender is stuck: "second" cannot leave in time
        gate.set()
        poll_until(lambda: outbox.dropped == 2 or None, 5, "the stuck batch to be given up")
    assert "closing: 1 unsent message(s) DROPPED" in caplog.text
    assert outbox.sent == 0
