"""Sync server nodes on Kafka or ZeroMQ (``apps/sync_mq_node.py``) and their emitter.

A node is a Werkzeug threaded server process on a free port; it is ready once it
answers an Engine.IO polling handshake. It is a ``harness.Node``, so the
``ClientRunner`` of the broker suite drives its clients.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.brokers.harness import (
    APPS,
    REPO,
    WAIT,
    ClientRunner,
    Node,
    free_port,
    kill,
    new_channel,
    poll_until,
)
from tests.brokers.test_pubsub_cluster import linked, never

NODE_APP = APPS / "sync_mq_node.py"
HANDLER_BOUND = 3.0  # s: an emit's ack while the broker is down, local work only


def _env(broker: str, url: str, channel: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        "PYTHONUNBUFFERED": "1",
        "CLUSTER_BROKER": broker,
        "CLUSTER_URL": url,
        "CLUSTER_CHANNEL": channel,
        **extra,
    }


def handshake_ok(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/socket.io/?EIO=4&transport=polling")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def start_sync_node(workdir: Path, name: str, *, broker: str, url: str, channel: str) -> Node:
    port = free_port()
    log_path = workdir / f"sync-node-{name}-{port}.log"
    log = open(log_path, "ab")  # noqa: SIM115 - owned by the process
    try:
        process = subprocess.Popen(
            [sys.executable, str(NODE_APP)],
            env=_env(broker, url, channel, CLUSTER_NODE=name, CLUSTER_PORT=str(port)),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
    finally:
        log.close()
    node = Node(name, process, port, log_path, channel)

    def ready() -> bool:
        node.check_alive()
        return handshake_ok(port)

    try:
        poll_until(ready, 30, f"sync node {name} on {port}")
    except BaseException:
        kill(process)
        raise
    return node


def run_emitter(broker: str, url: str, channel: str, event: str, data: str, room: str) -> None:
    """The guide's external ``write_only`` emitter, as a process; fails unless it exits 0."""
    done = subprocess.run(
        [sys.executable, str(NODE_APP), "emit"],
        env=_env(broker, url, channel, EMIT_EVENT=event, EMIT_DATA=data, EMIT_ROOM=room),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stdout + done.stderr


# -- scenarios shared by the Kafka and ZeroMQ suites ------------------------------------


def two_sync_nodes(nodes: list[Node], workdir: Path, broker: str, url: str) -> tuple[Node, Node]:
    channel = new_channel(f"sync-{broker}")
    for name in ("A", "B"):
        nodes.append(start_sync_node(workdir, name, broker=broker, url=url, channel=channel))
    return nodes[0], nodes[1]


def across_two_nodes(runner: ClientRunner, a: Node, b: Node) -> None:
    """Broadcasts, skip_sid, rooms, callbacks, close_room and disconnect between two nodes."""
    sa1 = runner.connect("a1", a)
    sb1 = runner.connect("b1", b, transports=["polling"])
    runner.connect("b2", b)
    linked(runner, "a1", "b1")
    linked(runner, "b1", "a1")

    # a broadcast from A reaches every client, on both nodes
    runner.cmd("a1", op="emit", event="news", data={"n": 1})
    for name in ("a1", "b1", "b2"):
        runner.wait_event(name, "news", [{"n": 1}])

    # skip_sid across nodes
    runner.cmd("b1", op="emit", event="hey", data="all-but-b1", skip_self=True)
    runner.wait_event("a1", "hey", ["all-but-b1"])
    runner.wait_event("b2", "hey", ["all-but-b1"])
    never(runner, "b1", "hey", ["all-but-b1"])

    # a room on B, emitted to from A
    runner.cmd("b2", op="enter_room", room="room1")
    runner.cmd("a1", op="emit", event="in-room", data="r1", to="room1")
    runner.wait_event("b2", "in-room", ["r1"])
    never(runner, "b1", "in-room", ["r1"])

    # A puts B's client in a room and takes it out again
    runner.cmd("a1", op="enter_room", sid=sb1, room="r2")
    poll_until(lambda: "r2" in runner.cmd("b1", op="rooms"), 10, "b1 to enter r2")
    runner.cmd("a1", op="emit", event="in-r2", data=1, to="r2")
    runner.wait_event("b1", "in-r2", [1])
    runner.cmd("a1", op="leave_room", sid=sb1, room="r2")
    poll_until(lambda: "r2" not in runner.cmd("b1", op="rooms"), 10, "b1 to leave r2")

    # callbacks across nodes, both ways
    assert runner.cmd("a1", op="call", event="ask", data="q1", to=sb1) == {"by": "b1", "got": "q1"}
    assert runner.cmd("b2", op="call", event="ask", data="q2", to=sa1) == {"by": "a1", "got": "q2"}

    # close_room from A empties the room on B
    runner.cmd("a1", op="close_room", room="room1")
    poll_until(lambda: "room1" not in runner.cmd("b2", op="rooms"), 10, "room1 to close on B")

    # A disconnects a client of B
    runner.cmd("a1", op="disconnect", sid=sb1)
    runner.wait_for(
        lambda ln: ln["op"] == "disconnected" and ln["name"] == "b1", WAIT, "b1 to be disconnected"
    )
    poll_until(
        lambda: any(sid == sb1 for sid, _ in runner.cmd("b2", op="disconnects")),
        10,
        "B to run its disconnect handler for b1",
    )
    for node in (a, b):
        node.check_alive()


def external_emitter(runner: ClientRunner, a: Node, b: Node, broker: str, url: str) -> None:
    """A ``write_only`` process emits to a room with members on both nodes."""
    runner.connect("a1", a)
    runner.connect("b1", b)
    runner.connect("b2", b)
    for name in ("a1", "b1"):
        runner.cmd(name, op="enter_room", room="my room")
    linked(runner, "a1", "b1")
    run_emitter(broker, url, a.channel, "my event", '{"foo": "bar"}', "my room")
    runner.wait_event("a1", "my event", [{"foo": "bar"}])
    runner.wait_event("b1", "my event", [{"foo": "bar"}])
    never(runner, "b2", "my event", [{"foo": "bar"}])


def broker_restart(
    runner: ClientRunner,
    a: Node,
    b: Node,
    stop: Callable[[], object],
    start: Callable[[], object],
    handler_bound: float | None = HANDLER_BOUND,
) -> None:
    """Kill the broker mid-test: local clients stay served; once it is back, broadcasts resume.

    ``handler_bound``: how long an emitting handler may take while the broker is
    down (None for asyncio nodes, whose handler awaits its publish's retries while
    the event loop serves everyone else).
    """
    runner.connect("a1", a)
    runner.connect("b1", b)
    linked(runner, "a1", "b1")
    linked(runner, "b1", "a1")

    stop()
    started = time.monotonic()
    runner.cmd("a1", op="emit", event="local-only", data=1)
    # A sync handler's emit only queues the publish: it never waits out the dead
    # broker's retries (more than 3 s for every manager when done in the handler).
    took = time.monotonic() - started
    assert handler_bound is None or took < handler_bound, f"the handler was held up {took:.1f} s"
    runner.wait_event("a1", "local-only", [1])
    time.sleep(1.0)  # let the listeners notice and back off at least once
    start()  # same port(s)

    linked(runner, "a1", "b1", timeout=40)
    linked(runner, "b1", "a1", timeout=40)
    for node in (a, b):
        node.check_alive()
