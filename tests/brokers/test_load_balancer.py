"""Issue #4: two uvicorn workers on one Redis behind Debian's HAProxy and nginx.

The workers are separate uvicorn processes of ``apps/cluster_app.py`` (runtime,
``AsyncRedisManager``, ``cookie="io"``); each balancer runs its configuration from
``docs/scaling.md``: HAProxy sticky on the Engine.IO sid (learnt from the ``io``
cookie), nginx on the client address (``ip_hash``). Real clients (python-socketio's
``AsyncClient`` and the npm ``socket.io-client``), each from an address of its own
network on loopback (127.0.N.1) as if from another host, connect through the balancer
over polling, websocket and upgrade; each asks which worker serves it. The tests check
that clients spread over both workers, that no request reached a worker that did not
know its session (the balancer logs each request's worker and status), and that a
broadcast and a room emit from a client on one worker reach the clients of both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.brokers.harness import (
    APPS,
    WAIT,
    ClientRunner,
    Node,
    RedisServer,
    kill,
    new_channel,
    poll_until,
    start_node,
)
from tests.brokers.load_balancer import Balancer, Request, start_haproxy, start_nginx
from tests.interop.interop_harness import ensure_node_modules

TRANSPORTS = {
    "polling": ["polling"],
    "websocket": ["websocket"],
    "upgrade": ["polling", "websocket"],
}
CLIENTS_PER_KIND = 4  # of each client library
BALANCERS = {"haproxy": start_haproxy, "nginx": start_nginx}


@dataclass
class Cluster:
    workers: list[Node]
    balancer: Balancer

    def pids(self) -> set[int]:
        return {worker.process.pid for worker in self.workers}

    def check_alive(self) -> None:
        for worker in self.workers:
            worker.check_alive()
        self.balancer.check_alive()


@pytest.fixture(scope="module", params=list(BALANCERS))
def cluster(
    request: pytest.FixtureRequest,
    redis_server: RedisServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Cluster]:
    workdir = tmp_path_factory.mktemp(f"load-balancer-{request.param}")
    channel = new_channel("lb")
    workers: list[Node] = []
    balancer: Balancer | None = None
    try:
        for index in (1, 2):
            workers.append(
                start_node(
                    workdir,
                    f"worker{index}",
                    impl="runtime",
                    broker="redis",
                    url=redis_server.url,
                    channel=channel,
                    extra_env={"CLUSTER_COOKIE": "io"},
                )
            )
        balancer = BALANCERS[request.param](workdir, [worker.port for worker in workers])
        yield Cluster(workers, balancer)
    finally:
        if balancer is not None:
            balancer.stop()
        for worker in workers:
            kill(worker.process)


@pytest.fixture
def js_runner(pysio_python: Path, tmp_path: Path) -> Iterator[ClientRunner]:
    """Real npm ``socket.io-client`` clients, driven like ``runner``."""
    ensure_node_modules()
    clients = ClientRunner(pysio_python, tmp_path, command=["node", str(APPS / "client_runner.js")])
    try:
        yield clients
    finally:
        clients.close()


@pytest.mark.timeout(180)
@pytest.mark.parametrize("transport", list(TRANSPORTS))
def test_clients_spread_over_workers_and_hear_each_other(
    transport: str, cluster: Cluster, runner: ClientRunner, js_runner: ClientRunner
) -> None:
    log_start = len(cluster.balancer.access())  # earlier tests' lines are not this test's
    kinds = {"py": runner, "js": js_runner}
    served: dict[str, tuple[ClientRunner, int]] = {}  # client name -> (its runner, worker pid)
    order = [(kind, clients) for kind, clients in kinds.items() for _ in range(CLIENTS_PER_KIND)]
    for number, (kind, clients) in enumerate(order):
        name = f"{kind}-{transport}-{number}"
        # from a /24 network of its own: ip_hash tells clients apart by those 3 bytes
        address = f"127.0.{number + 1}.1"
        clients.connect(name, cluster.balancer.url, TRANSPORTS[transport], address)
        served[name] = (clients, _settled_info(clients, name, transport)["pid"])

    for kind in kinds:
        pids = {pid for name, (_, pid) in served.items() if name.startswith(kind)}
        assert pids == cluster.pids(), f"{kind} clients on workers {pids}, not on both"

    # a broadcast from a client on one worker reaches every client of every worker
    by_pid = {pid: [name for name, (_, p) in served.items() if p == pid] for pid in cluster.pids()}
    first, second = (by_pid[pid] for pid in sorted(by_pid))
    for sender in (first[0], second[-1]):  # from each worker, python- and JS-side
        news = {"from": sender, "transport": transport}
        served[sender][0].cmd(sender, op="emit", event="news", data=news)
        for name, (clients, _) in served.items():
            clients.wait_event(name, "news", [news])

    # a room whose members are on both workers, emitted to from a non-member
    members = [first[0], first[-1], second[0], second[-1]]
    for name in members:
        served[name][0].cmd(name, op="enter_room", room="lb-room")
    outsider = next(name for name in served if name not in members)
    served[outsider][0].cmd(
        outsider, op="emit", event="room-news", data="for members", to="lb-room"
    )
    for name in members:
        served[name][0].wait_event(name, "room-news", ["for members"])
    # a broadcast sent after the room emit, through the same worker and channel,
    # arrives after it: once a non-member has it, the room emit would have arrived too
    served[outsider][0].cmd(outsider, op="emit", event="fence", data="after")
    for name, (clients, _) in served.items():
        clients.wait_event(name, "fence", ["after"])
        if name not in members:
            assert clients.events(name, "room-news") == [], f"{name} is not in lb-room"

    cluster.check_alive()
    # nginx logs a websocket when it closes: close them all, then read the log
    for name, (clients, _) in served.items():
        clients.disconnect(name)
    for name, (clients, _) in served.items():
        clients.wait_for(_disconnected(name), WAIT, f"{name} to disconnect")
    upgrades = 0 if transport == "polling" else len(served)
    requests = poll_until(
        lambda: _logged(cluster.balancer, log_start, upgrades),
        WAIT,
        f"{upgrades} websocket upgrades in {cluster.balancer.name}'s access log",
    )
    # a worker's 400 here is "Session ID unknown": a sid sent to the wrong worker
    refused = [r for r in requests if r.worker is not None and r.status >= 400]
    assert not refused, f"workers refused requests: {refused}"
    workers = {r.worker for r in requests if r.worker is not None}
    assert len(workers) == len(cluster.workers), f"requests went to {workers} only"


def _settled_info(clients: ClientRunner, name: str, transport: str) -> dict[str, Any]:
    """The worker's ``info`` for ``name`` once it runs on the transport it should end on."""
    want = "polling" if transport == "polling" else "websocket"

    def probe() -> dict[str, Any] | None:
        info: dict[str, Any] = clients.cmd(name, op="info")
        return info if info["transport"] == want else None

    return poll_until(probe, WAIT, f"{name} to run on {want}")


def _logged(balancer: Balancer, since: int, upgrades: int) -> list[Request] | None:
    """The requests logged since ``since``, once they include ``upgrades`` websockets."""
    requests = balancer.requests(since)
    done = requests and sum(r.status == 101 for r in requests) >= upgrades
    return requests if done else None


def _disconnected(name: str) -> Callable[[dict[str, Any]], bool]:
    return lambda line: line["op"] == "disconnected" and line.get("name") == name
