"""What runs: scenario parameters and wall-time budgets, full and ``--quick``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.bench import scenarios
from tests.bench.scenarios import Scenario


@dataclass(frozen=True, slots=True)
class Spec:
    name: str
    title: str
    run: Scenario
    full: dict[str, Any]
    quick: dict[str, Any]
    budget_full: float
    budget_quick: float
    only: tuple[str, ...] = ()  # the servers it runs on, when not all (no floor or ceiling)
    asgi_only: bool = False  # its handlers exist in server_app.py only
    nodes: int = 1  # > 1: that many server processes on one Redis (AsyncRedisManager)

    def params(self, quick: bool) -> dict[str, Any]:
        return self.quick if quick else self.full

    def budget(self, quick: bool) -> float:
        return self.budget_quick if quick else self.budget_full


_ECHO_FULL = {"clients": 50, "warmup_s": 2.0, "duration_s": 10.0}
_ECHO_QUICK = {"clients": 50, "warmup_s": 0.3, "duration_s": 1.0}

SPECS: tuple[Spec, ...] = (
    Spec(
        "connect",
        "websocket connect + namespace CONNECT",
        scenarios.connect,
        {"clients": 2000, "concurrency": 50},
        {"clients": 300, "concurrency": 50},
        90.0,
        15.0,
    ),
    Spec(
        "idle_memory",
        "RSS per idle websocket connection",
        scenarios.idle_memory,
        {"clients": 2000, "concurrency": 100, "settle_s": 2.0},
        {"clients": 300, "concurrency": 100, "settle_s": 0.5},
        90.0,
        15.0,
    ),
    Spec(
        "echo_d1",
        "echo with ack, 1 outstanding per client",
        scenarios.echo,
        {**_ECHO_FULL, "depth": 1},
        {**_ECHO_QUICK, "depth": 1},
        40.0,
        12.0,
    ),
    Spec(
        "echo_d10",
        "echo with ack, 10 outstanding per client",
        scenarios.echo,
        {**_ECHO_FULL, "depth": 10},
        {**_ECHO_QUICK, "depth": 10},
        40.0,
        12.0,
    ),
    Spec(
        "broadcast",
        "room broadcast fan-out, time until all clients got all events",
        scenarios.broadcast,
        {"clients": 1000, "events": 200, "warmup_events": 5, "concurrency": 100},
        {"clients": 200, "events": 50, "warmup_events": 2, "concurrency": 100},
        120.0,
        15.0,
    ),
    Spec(
        "cluster_broadcast",
        "room broadcast over 2 nodes on one Redis, clients split over both nodes",
        scenarios.broadcast,
        {"clients": 1000, "events": 200, "warmup_events": 5, "concurrency": 100},
        {"clients": 200, "events": 50, "warmup_events": 2, "concurrency": 100},
        120.0,
        20.0,
        only=("python-socketio", "runtime"),
        asgi_only=True,
        nodes=2,
    ),
    Spec(
        "typed_echo",
        "acked contract event: generated typed handler vs plain handler (runtime only)",
        scenarios.typed_echo,
        {**_ECHO_FULL, "depth": 1, "duration_s": 4.0, "rounds": 3},
        {**_ECHO_QUICK, "depth": 1, "rounds": 2},
        60.0,
        15.0,
        only=("runtime",),
        asgi_only=True,
    ),
    Spec(
        "polling_echo",
        "echo with ack over HTTP long-polling only",
        scenarios.polling_echo,
        {"clients": 20, "depth": 1, "warmup_s": 2.0, "duration_s": 10.0},
        {"clients": 10, "depth": 1, "warmup_s": 0.3, "duration_s": 1.0},
        40.0,
        12.0,
    ),
    Spec(
        "binary_echo",
        "64 KiB binary attachment echo with ack (websocket)",
        scenarios.binary_echo,
        {"clients": 10, "depth": 1, "size": 65536, "warmup_s": 2.0, "duration_s": 10.0},
        {"clients": 5, "depth": 1, "size": 65536, "warmup_s": 0.3, "duration_s": 1.0},
        40.0,
        12.0,
    ),
)

BY_NAME = {spec.name: spec for spec in SPECS}

ASGI = "asgi"  # AsyncServer + ASGIApp on uvicorn (server_app.py)
# the others: Server + WSGIApp (sync_server_app.py); gevent-raw: pywsgi, no gevent-websocket
MODES = (ASGI, "threading", "gevent", "gevent-raw")
# what the sync modes run unless --scenarios says otherwise (issue #3)
SYNC_DEFAULT = ("echo_d1", "idle_memory", "broadcast")
