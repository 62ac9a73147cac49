"""Clusters of real server processes with real clients, on real brokers.

Each node is a uvicorn process running ``apps/cluster_app.py``; the clients are
python-socketio ``AsyncClient``s in a separate process (``apps/client_runner.py``,
python of ``.venvs/pysio-brokers``), driven over stdin/stdout. A client asks its
node to do something with a ``cmd`` event; the node's ack is the result.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.brokers.harness import (
    APPS,
    REPO,
    ClientRunner,
    Node,
    RedisServer,
    new_channel,
    poll_until,
    start_node,
)

_sync_ids = itertools.count()


def linked(runner: ClientRunner, src: str, dst: str, timeout: float = 20) -> None:
    """Wait until a broadcast made on ``src``'s node reaches client ``dst``.

    A node listens from its first connection on; until then broadcasts from the
    others miss it, so each try is a fresh, numbered ``sync`` broadcast.
    """
    deadline = time.monotonic() + timeout
    while True:
        tag = f"{src}->{dst}#{next(_sync_ids)}"
        runner.cmd(src, op="emit", event="sync", data=tag)
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            if [tag] in runner.events(dst, "sync"):
                return
            time.sleep(0.05)  # polling interval
        if time.monotonic() > deadline:
            pytest.fail(f"{src}'s node never reached {dst}")


def never(runner: ClientRunner, name: str, event: str, args: list[Any], wait: float = 0.5) -> None:
    time.sleep(wait)  # a bounded grace period for an event that must not arrive
    assert args not in runner.events(name, event)


def two_runtime_nodes(nodes: list[Node], tmp_path: Path, kind: str, url: str) -> tuple[Node, Node]:
    channel = new_channel("cluster")
    for name in ("A", "B"):
        nodes.append(
            start_node(tmp_path, name, impl="runtime", broker=kind, url=url, channel=channel)
        )
    return nodes[0], nodes[1]


def test_two_runtime_nodes(
    broker: tuple[str, str], nodes: list[Node], runner: ClientRunner, tmp_path: Path
) -> None:
    kind, url = broker
    a, b = two_runtime_nodes(nodes, tmp_path, kind, url)
    sa1 = runner.connect("a1", a)
    sb1 = runner.connect("b1", b, transports=["polling"])
    sb2 = runner.connect("b2", b)
    linked(runner, "a1", "b1")
    linked(runner, "b1", "a1")

    # broadcast from A reaches every client, on both nodes
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

    # binary crosses too
    runner.cmd("a1", op="emit_bytes", event="blob", hex="00ff10", to=sb1)
    runner.wait_event("b1", "blob", [{"$bytes": "00ff10"}])

    # A puts B's client in a room, and takes it out again
    runner.cmd("a1", op="enter_room", sid=sb1, room="r2")
    poll_until(lambda: "r2" in runner.cmd("b1", op="rooms"), 10, "b1 to enter r2")
    runner.cmd("a1", op="emit", event="in-r2", data=1, to="r2")
    runner.wait_event("b1", "in-r2", [1])
    runner.cmd("a1", op="leave_room", sid=sb1, room="r2")
    poll_until(lambda: "r2" not in runner.cmd("b1", op="rooms"), 10, "b1 to leave r2")

    # a callback across nodes, both ways
    assert runner.cmd("a1", op="call", event="ask", data="q1", to=sb1) == {"by": "b1", "got": "q1"}
    assert runner.cmd("b2", op="call", event="ask", data="q2", to=sa1) == {"by": "a1", "got": "q2"}

    # cluster-wide membership, asked on A
    assert runner.cmd("a1", op="cluster_participants") == sorted([sa1, sb1, sb2])
    assert runner.cmd("a1", op="cluster_participants", room="room1") == [sb2]
    assert runner.cmd("a1", op="cluster_rooms", sid=sb2) == sorted(["room1", sb2])

    # close_room from A empties the room on B
    runner.cmd("a1", op="close_room", room="room1")
    poll_until(lambda: "room1" not in runner.cmd("b2", op="rooms"), 10, "room1 to close on B")

    for node in (a, b):
        node.check_alive()


def test_disconnect_a_client_of_the_other_node(
    broker: tuple[str, str], nodes: list[Node], runner: ClientRunner, tmp_path: Path
) -> None:
    kind, url = broker
    a, b = two_runtime_nodes(nodes, tmp_path, kind, url)
    runner.connect("a1", a)
    sb1 = runner.connect("b1", b)
    linked(runner, "a1", "b1")
    runner.cmd("a1", op="disconnect", sid=sb1)
    runner.wait_for(
        lambda ln: ln["op"] == "disconnected" and ln["name"] == "b1", 5, "b1 to be disconnected"
    )


def test_write_only_emitter_process(
    broker: tuple[str, str], nodes: list[Node], runner: ClientRunner, tmp_path: Path
) -> None:
    kind, url = broker
    a, b = two_runtime_nodes(nodes, tmp_path, kind, url)
    runner.connect("a1", a)
    runner.connect("b1", b)
    runner.connect("b2", b)
    for name in ("a1", "b1"):
        runner.cmd(name, op="enter_room", room="my room")
    linked(runner, "a1", "b1")
    done = subprocess.run(
        [
            sys.executable,
            str(APPS / "emitter.py"),
            kind,
            url,
            a.channel,
            "my event",
            '{"foo": "bar"}',
            "my room",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env=_runtime_env(),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    runner.wait_event("a1", "my event", [{"foo": "bar"}])
    runner.wait_event("b1", "my event", [{"foo": "bar"}])
    never(runner, "b2", "my event", [{"foo": "bar"}])


def _runtime_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def test_mixed_cluster_python_socketio_and_runtime(
    redis_server: RedisServer,
    nodes: list[Node],
    runner: ClientRunner,
    pysio_python: Path,
    tmp_path: Path,
) -> None:
    channel = new_channel("mixed")
    url = redis_server.url
    nodes.append(
        start_node(
            tmp_path,
            "P",
            impl="pysio",
            broker="redis",
            url=url,
            channel=channel,
            python=pysio_python,
        )
    )
    nodes.append(
        start_node(tmp_path, "R", impl="runtime", broker="redis", url=url, channel=channel)
    )
    p, r = nodes
    sp = runner.connect("p1", p)
    sr = runner.connect("r1", r)
    sr2 = runner.connect("r2", r)
    assert runner.cmd("p1", op="info")["impl"] == "pysio"
    assert runner.cmd("r1", op="info")["impl"] == "runtime"
    linked(runner, "p1", "r1")
    linked(runner, "r1", "p1")

    # broadcasts both ways, with several arguments and binary
    runner.cmd("p1", op="emit", event="from-p", data={"k": [1, 2]})
    runner.cmd("r1", op="emit", event="from-r", data="hello")
    for name in ("p1", "r1", "r2"):
        runner.wait_event(name, "from-p", [{"k": [1, 2]}])
        runner.wait_event(name, "from-r", ["hello"])
    runner.cmd("p1", op="emit_bytes", event="bin-p", hex="0102", to=sr)
    runner.wait_event("r1", "bin-p", [{"$bytes": "0102"}])
    runner.cmd("r1", op="emit_bytes", event="bin-r", hex="0304", to=sp)
    runner.wait_event("p1", "bin-r", [{"$bytes": "0304"}])

    # skip_sid and rooms across implementations
    runner.cmd("r2", op="enter_room", room="mix")
    runner.cmd("p1", op="emit", event="to-mix", data=1, to="mix")
    runner.wait_event("r2", "to-mix", [1])
    runner.cmd("p1", op="emit", event="skip", data=2, skip_sid=sr)
    runner.wait_event("r2", "skip", [2])
    never(runner, "r1", "skip", [2])
    runner.cmd("p1", op="enter_room", sid=sr, room="p-made")  # python-socketio publishes enter_room
    poll_until(lambda: "p-made" in runner.cmd("r1", op="rooms"), 10, "r1 to enter p-made")
    runner.cmd("r1", op="enter_room", sid=sp, room="r-made")  # runtime publishes enter_room
    poll_until(lambda: "r-made" in runner.cmd("p1", op="rooms"), 10, "p1 to enter r-made")

    # callbacks both ways
    assert runner.cmd("p1", op="call", event="ask", data="from-p", to=sr) == {
        "by": "r1",
        "got": "from-p",
    }
    assert runner.cmd("r1", op="call", event="ask", data="from-r", to=sp) == {
        "by": "p1",
        "got": "from-r",
    }

    # runtime's cluster view sees the runtime nodes only (python-socketio never answers)
    assert runner.cmd("r1", op="cluster_participants") == sorted([sr, sr2])

    for node in nodes:
        node.check_alive()


def test_redis_killed_and_restarted(
    nodes: list[Node], runner: ClientRunner, tmp_path: Path
) -> None:
    redis = RedisServer(tmp_path).start()
    try:
        a, b = two_runtime_nodes(nodes, tmp_path, "redis", redis.url)
        runner.connect("a1", a)
        runner.connect("b1", b)
        linked(runner, "a1", "b1")
        linked(runner, "b1", "a1")

        redis.kill()
        # while the broker is down, local clients are still served
        runner.cmd("a1", op="emit", event="local-only", data=1)
        runner.wait_event("a1", "local-only", [1])
        time.sleep(1.0)  # let the listeners fail and back off at least once
        redis.start()  # same port

        linked(runner, "a1", "b1", timeout=30)
        linked(runner, "b1", "a1", timeout=30)
        for node in (a, b):
            node.check_alive()
            log = node.log()
            assert "listener failed" in log, log[-3000:]
            assert "listening again" in log, log[-3000:]
    finally:
        redis.kill()
