"""The benchmark scenarios, as run by the load generator against one live server.

Every scenario is bounded in count and in time (its ``budget``); a scenario that
runs out of time returns ``status="timeout"`` with what it measured so far.
Server CPU and RSS come from /proc at the edges of the measured window.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import sys
import time
from array import array
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from tests.bench import proc
from tests.bench.loadclients import (
    BinaryEchoClient,
    BroadcastClient,
    BroadcastStats,
    EchoClient,
    EchoStats,
    PollingEchoClient,
    Request,
)
from tests.bench.wsclient import WsSioClient, open_ws

Result = dict[str, Any]
T = TypeVar("T")
CONNECT_TIMEOUT = 10.0
MAX_LOGGED_ERRORS = 5


@dataclass(frozen=True, slots=True)
class Target:
    host: str
    port: int
    server_pid: int
    others: tuple[tuple[int, int], ...] = ()  # (port, pid) of the other nodes of a cluster

    @property
    def ports(self) -> tuple[int, ...]:
        return (self.port, *(port for port, _ in self.others))

    @property
    def pids(self) -> tuple[int, ...]:
        return (self.server_pid, *(pid for _, pid in self.others))


class Budget:
    """A scenario's wall-clock allowance."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.perf_counter() + seconds

    def left(self) -> float:
        return max(0.0, self.deadline - time.perf_counter())

    def expired(self) -> bool:
        return time.perf_counter() >= self.deadline


def progress(msg: str) -> None:
    print(f"[loadgen] {msg}", file=sys.stderr, flush=True)


def percentile_ms(sorted_s: Sequence[float], q: float) -> float:
    if not sorted_s:
        return float("nan")
    return sorted_s[min(len(sorted_s) - 1, int(q * len(sorted_s)))] * 1000.0


def usage_fields(u: proc.Usage, ops: int) -> dict[str, float]:
    """Window usage; per-operation CPU of both sides shows who does more work per op."""
    per_op = 1e6 / ops if ops else float("nan")
    return {
        "ops": ops,
        "server_us_per_op": u.server_cpu_s * per_op,
        "loadgen_us_per_op": u.loadgen_cpu_s * per_op,
        "wall_s": u.wall_s,
        "server_cpu_s": u.server_cpu_s,
        "server_busy": u.server_busy,
        "loadgen_busy": u.loadgen_busy,
        "other_busy": u.other_cpu_s / u.wall_s if u.wall_s > 0 else 0.0,
        "steal_busy": u.steal_s / u.wall_s if u.wall_s > 0 else 0.0,
    }


async def connect_many(
    opener: Callable[[], Awaitable[T]], n: int, concurrency: int, budget: Budget, label: str
) -> tuple[list[T], array[float], list[str]]:
    """Open ``n`` clients, ``concurrency`` handshakes at a time; stop at the budget."""
    clients: list[T] = []
    latencies = array("d")
    errors: list[str] = []
    next_index = 0
    report_every = max(1, n // 4)

    async def worker() -> None:
        nonlocal next_index
        while next_index < n and not budget.expired() and len(errors) < max(10, n // 10):
            next_index += 1
            started = time.perf_counter()
            try:
                async with asyncio.timeout(min(CONNECT_TIMEOUT, budget.left() + 0.01)):
                    client = await opener()
            except (OSError, TimeoutError, ConnectionError) as exc:
                errors.append(repr(exc))
                continue
            latencies.append(time.perf_counter() - started)
            clients.append(client)
            if n >= 100 and len(clients) % report_every == 0:
                progress(f"{label}: {len(clients)}/{n} connected")

    await asyncio.gather(*(worker() for _ in range(min(concurrency, n))))
    return clients, latencies, errors


async def close_ws(clients: Sequence[WsSioClient]) -> None:
    for c in clients:
        c.close()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(3.0):
            await asyncio.gather(*(c.closed for c in clients), return_exceptions=True)


def _status(ok: bool, budget: Budget) -> str:
    return "ok" if ok else ("timeout" if budget.expired() else "error")


# --- 1. connect rate ----------------------------------------------------------------------


async def connect(t: Target, p: dict[str, Any], budget: Budget) -> Result:
    n, conc = int(p["clients"]), int(p["concurrency"])
    before = proc.sample(t.server_pid)
    clients, lat, errors = await connect_many(
        lambda: open_ws(lambda: WsSioClient(t.host, t.port), t.host, t.port, CONNECT_TIMEOUT),
        n,
        conc,
        budget,
        "connect",
    )
    u = proc.usage(before, proc.sample(t.server_pid))
    await close_ws(clients)
    done = len(clients)
    s = sorted(lat)
    metrics = {
        "connects_per_s": done / u.wall_s if u.wall_s > 0 else 0.0,
        "cpu_us_per_connect": u.server_cpu_s * 1e6 / done if done else float("nan"),
        "p50_ms": percentile_ms(s, 0.50),
        "p99_ms": percentile_ms(s, 0.99),
    }
    return {
        "status": _status(done == n, budget),
        "metrics": metrics,
        "usage": usage_fields(u, done),
        "detail": {"clients": n, "connected": done, "concurrency": conc},
        "errors": errors[:MAX_LOGGED_ERRORS],
    }


# --- 2. memory per idle connection --------------------------------------------------------


async def idle_memory(t: Target, p: dict[str, Any], budget: Budget) -> Result:
    n, conc, settle = int(p["clients"]), int(p["concurrency"]), float(p["settle_s"])

    def opener() -> Awaitable[WsSioClient]:
        return open_ws(lambda: WsSioClient(t.host, t.port), t.host, t.port, CONNECT_TIMEOUT)

    # Warm up lazily imported code paths, so the baseline holds them already.
    warm, _, _ = await connect_many(opener, 20, 20, budget, "warm-up")
    for c in warm:
        with contextlib.suppress(TimeoutError, ConnectionError):
            await c.call(b'["echo","warm"]', timeout=5.0)
    await close_ws(warm)
    await asyncio.sleep(min(1.0, budget.left()))
    rss_before, threads_before = proc.rss_kib(t.server_pid), proc.threads(t.server_pid)
    clients, _, errors = await connect_many(opener, n, conc, budget, "idle")
    await asyncio.sleep(min(settle, budget.left()))
    rss_after, threads_after = proc.rss_kib(t.server_pid), proc.threads(t.server_pid)
    alive = sum(1 for c in clients if not c.closed.done())
    await close_ws(clients)
    metrics = {
        "kib_per_conn": (rss_after - rss_before) / alive if alive else float("nan"),
        "threads_per_conn": (threads_after - threads_before) / alive if alive else float("nan"),
        "rss_before_mib": rss_before / 1024,
        "rss_after_mib": rss_after / 1024,
    }
    return {
        "status": _status(alive == n, budget),
        "metrics": metrics,
        "detail": {"clients": n, "alive": alive, "settle_s": settle},
        "errors": errors[:MAX_LOGGED_ERRORS],
    }


# --- 3, 5, 6. echo with ack (websocket, polling, binary) ----------------------------------


class _Echoer(Protocol):
    @property
    def outstanding(self) -> int: ...

    def start(self) -> None: ...

    def close(self) -> None: ...


async def _drive_echo(
    t: Target,
    clients: Sequence[_Echoer],
    stats: EchoStats,
    p: dict[str, Any],
    budget: Budget,
    payload_bytes: int,
) -> tuple[dict[str, float], dict[str, float]]:
    warmup, duration = float(p["warmup_s"]), float(p["duration_s"])
    stats.running = True
    for c in clients:
        c.start()
    await asyncio.sleep(min(warmup, budget.left()))
    before = proc.sample(t.server_pid)
    stats.recording = True
    await asyncio.sleep(min(duration, budget.left()))
    stats.recording = False
    u = proc.usage(before, proc.sample(t.server_pid))
    stats.running = False
    with contextlib.suppress(TimeoutError):  # let in-flight requests finish, bounded
        async with asyncio.timeout(min(5.0, budget.left() + 1.0)):
            while any(c.outstanding for c in clients):
                await asyncio.sleep(0.02)
    s = sorted(stats.latencies)
    count = stats.count
    rate = count / u.wall_s if u.wall_s > 0 else 0.0
    metrics = {
        "msgs_per_s": rate,
        "p50_ms": percentile_ms(s, 0.50),
        "p99_ms": percentile_ms(s, 0.99),
        "cpu_us_per_msg": u.server_cpu_s * 1e6 / count if count else float("nan"),
    }
    if payload_bytes:
        metrics["mib_per_s"] = rate * payload_bytes / (1 << 20)
    return metrics, usage_fields(u, count)


def _echo_result(
    n: int,
    connected: int,
    stats: EchoStats,
    metrics: dict[str, float],
    usage: dict[str, float],
    errors: list[str],
    budget: Budget,
    extra: dict[str, Any],
) -> Result:
    errs = list(errors[:MAX_LOGGED_ERRORS])
    if stats.first_error:
        errs.append(f"{stats.errors} bad acks, first: {stats.first_error}")
    ok = connected == n and stats.count > 0 and stats.errors == 0
    return {
        "status": _status(ok, budget),
        "metrics": metrics,
        "usage": usage,
        "detail": {"clients": n, "connected": connected, "acks": stats.count, **extra},
        "errors": errs,
    }


async def echo(t: Target, p: dict[str, Any], budget: Budget) -> Result:
    n, depth = int(p["clients"]), int(p["depth"])
    stats = EchoStats()
    clients, _, errors = await connect_many(
        lambda: open_ws(lambda: EchoClient(t.host, t.port, stats, depth), t.host, t.port, 10.0),
        n,
        n,
        budget,
        "echo",
    )
    metrics, usage = await _drive_echo(t, clients, stats, p, budget, 0)
    await close_ws(clients)
    return _echo_result(n, len(clients), stats, metrics, usage, errors, budget, {"depth": depth})


async def binary_echo(t: Target, p: dict[str, Any], budget: Budget) -> Result:
    n, depth, size = int(p["clients"]), int(p["depth"]), int(p["size"])
    blob = bytes(range(256)) * (size // 256) + bytes(size % 256)
    stats = EchoStats()
    clients, _, errors = await connect_many(
        lambda: open_ws(
            lambda: BinaryEchoClient(t.host, t.port, stats, depth, blob), t.host, t.port, 10.0
        ),
        n,
        n,
        budget,
        "binary",
    )
    metrics, usage = await _drive_echo(t, clients, stats, p, budget, size)
    await close_ws(clients)
    extra = {"depth": depth, "size": size}
    return _echo_result(n, len(clients), stats, metrics, usage, errors, budget, extra)


async def polling_echo(t: Target, p: dict[str, Any], budget: Budget) -> Result:
    n, depth = int(p["clients"]), int(p["depth"])
    stats = EchoStats()

    async def opener() -> PollingEchoClient:
        client = PollingEchoClient(t.host, t.port, stats, depth)
        try:
            await client.connect(CONNECT_TIMEOUT)
        except BaseException:
            client.close()
            raise
        return client

    clients, _, errors = await connect_many(opener, n, n, budget, "polling")
    metrics, usage = await _drive_echo(t, clients, stats, p, budget, 0)
    failed = [c.failed for c in clients if c.failed]
    for c in clients:
        c.close()
    await asyncio.sleep(0.3)  # let the CLOSE packets go out before the process ends
    errors += [f"client failed: {why}" for why in failed]
    return _echo_result(n, len(clients), stats, metrics, usage, errors, budget, {"depth": depth})


# --- 7. typed dispatch cost (issue #5), runtime only ----------------------------------------

PRESENCE = {"status": "online", "note": "benchmark"}
CHAT_AUTH = {"token": "bench-token-0123456789"}  # ChatAuth: at least 16 characters


def presence_request(namespace: str) -> Request:
    """``presence:set`` with an ack, answered with the ``{"ok": true, "data"}`` envelope."""

    def compact(value: object) -> bytes:
        return json.dumps(value, separators=(",", ":")).encode()

    return Request(
        args=compact(["presence:set", PRESENCE]),
        reply=compact([{"ok": True, "data": PRESENCE}]),
        namespace=namespace.encode(),
        auth=compact(CHAT_AUTH),
    )


TYPED_KINDS = {"plain": "/plain", "typed": "/chat"}  # see server_app.add_typed_echo


async def typed_echo(t: Target, p: dict[str, Any], budget: Budget) -> Result:
    """The same acked event through generated typed code and through a plain handler.

    Both client groups stay connected; their measured windows alternate (plain,
    typed, plain, ...), so drift in machine load hits both alike. Figures are
    summed over a kind's windows.
    """
    n, depth, rounds = int(p["clients"]), int(p["depth"]), int(p["rounds"])
    groups: dict[str, tuple[list[EchoClient], EchoStats]] = {}
    errors: list[str] = []

    def opener(stats: EchoStats, request: Request) -> Callable[[], Awaitable[EchoClient]]:
        def factory() -> EchoClient:
            return EchoClient(t.host, t.port, stats, depth, request)

        return lambda: open_ws(factory, t.host, t.port, CONNECT_TIMEOUT)

    for kind, namespace in TYPED_KINDS.items():
        stats = EchoStats()
        clients, _, errs = await connect_many(
            opener(stats, presence_request(namespace)), n, n, budget, kind
        )
        groups[kind] = (clients, stats)
        errors += errs
    totals = {kind: {"ops": 0.0, "cpu": 0.0, "wall": 0.0} for kind in groups}
    p99: dict[str, float] = {}
    try:
        for _ in range(rounds):
            for kind, (clients, stats) in groups.items():
                if budget.expired():
                    break
                stats.reset()
                metrics, usage = await _drive_echo(t, clients, stats, p, budget, 0)
                totals[kind]["ops"] += usage["ops"]
                totals[kind]["cpu"] += usage["server_cpu_s"]
                totals[kind]["wall"] += usage["wall_s"]
                p99[kind] = max(p99.get(kind, 0.0), metrics["p99_ms"])
    finally:
        for clients, _ in groups.values():
            await close_ws(clients)
    for kind, (_, stats) in groups.items():
        if stats.first_error:
            errors.append(f"{kind}: {stats.errors} bad acks, first: {stats.first_error}")
    return typed_result(n, groups, totals, p99, errors, budget)


def typed_result(
    n: int,
    groups: dict[str, tuple[list[EchoClient], EchoStats]],
    totals: dict[str, dict[str, float]],
    p99: dict[str, float],
    errors: list[str],
    budget: Budget,
) -> Result:
    metrics: dict[str, float] = {}
    for kind, tot in totals.items():
        ops = tot["ops"]
        metrics[f"{kind}_msgs_per_s"] = ops / tot["wall"] if tot["wall"] > 0 else 0.0
        metrics[f"{kind}_cpu_us_per_msg"] = tot["cpu"] * 1e6 / ops if ops else float("nan")
        metrics[f"{kind}_p99_ms"] = p99.get(kind, float("nan"))
    plain_rate, plain_cpu = metrics["plain_msgs_per_s"], metrics["plain_cpu_us_per_msg"]
    metrics["typed_over_plain_msgs"] = (
        metrics["typed_msgs_per_s"] / plain_rate if plain_rate else float("nan")
    )
    metrics["typed_over_plain_cpu"] = metrics["typed_cpu_us_per_msg"] / plain_cpu
    metrics["typed_extra_cpu_us"] = metrics["typed_cpu_us_per_msg"] - plain_cpu
    connected = {kind: len(clients) for kind, (clients, _) in groups.items()}
    ok = (
        all(c == n for c in connected.values())
        and all(tot["ops"] > 0 for tot in totals.values())
        and all(stats.errors == 0 for _, stats in groups.values())
    )
    return {
        "status": _status(ok, budget),
        "metrics": metrics,
        "detail": {
            "clients": n,
            "connected": connected,
            "acks": {k: v["ops"] for k, v in totals.items()},
        },
        "errors": errors[:MAX_LOGGED_ERRORS],
    }


# --- 4. broadcast fan-out -----------------------------------------------------------------


async def broadcast(t: Target, p: dict[str, Any], budget: Budget) -> Result:
    """Also the cluster scenario: clients spread over every node, round robin; the
    trigger is the first client connected; server CPU is the sum over the nodes."""
    n, events, warm_events = int(p["clients"]), int(p["events"]), int(p["warmup_events"])
    stats = BroadcastStats()
    ports = itertools.cycle(t.ports)

    def opener() -> Awaitable[BroadcastClient]:
        port = next(ports)
        return open_ws(lambda: BroadcastClient(t.host, port, stats), t.host, port, 10.0)

    clients, _, errors = await connect_many(
        opener,
        n,
        int(p["concurrency"]),
        budget,
        "broadcast",
    )
    # where a timeout struck: a join or warm-up ack that never came is not the fan-out
    detail: dict[str, Any] = {"clients": n, "connected": len(clients), "events": events}
    detail["phase"] = "connect"
    result: Result = {"status": "error", "metrics": {}, "detail": detail, "errors": errors}
    try:
        if len(clients) < n:
            result["status"] = _status(False, budget)
            return result
        detail["phase"] = "join"
        async with asyncio.timeout(budget.left()):
            await asyncio.gather(*(c.call(b'["join","bench"]', timeout=30.0) for c in clients))
        detail["phase"] = "warm-up"
        trigger = clients[0]
        # Warm-up round (small), then the measured one.
        for c in clients:
            c.ticks = 0
        done = stats.new_round(n, warm_events)
        spec = b'["bcast",{"n":%d,"room":"bench"}]'
        async with asyncio.timeout(budget.left()):
            await trigger.call(spec % warm_events, timeout=budget.left() + 1)
            await done
        for c in clients:
            c.ticks = 0
        done = stats.new_round(n, events)
        progress(f"broadcast: {n} clients x {events} events, {len(t.ports)} node(s)")
        detail["phase"] = "measured"
        before = proc.sample(*t.pids)
        started = time.perf_counter()
        ack = asyncio.ensure_future(trigger.call(spec % events, timeout=budget.left() + 1))
        try:
            async with asyncio.timeout(budget.left()):
                finished = await done
        except TimeoutError:
            u = proc.usage(before, proc.sample(*t.pids))
            result["status"] = "timeout"
            result["metrics"] = {"delivered_fraction": stats.received / (n * events)}
            result["usage"] = usage_fields(u, stats.received)
            detail["elapsed_s"] = time.perf_counter() - started
            ack.cancel()
            return result
        u = proc.usage(before, proc.sample(*t.pids))
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ack, timeout=5.0)
        elapsed = finished - started
        result["status"] = "ok"
        result["metrics"] = {
            "time_s": elapsed,
            "deliveries_per_s": n * events / elapsed,
            "cpu_us_per_delivery": u.server_cpu_s * 1e6 / (n * events),
        }
        result["usage"] = usage_fields(u, n * events)
        return result
    except TimeoutError:
        result["status"] = "timeout"
        return result
    finally:
        await close_ws(clients)


Scenario = Callable[[Target, dict[str, Any], Budget], Awaitable[Result]]
