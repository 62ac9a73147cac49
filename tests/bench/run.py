"""Run the benchmark: every scenario against python-socketio and runtime, one process each.

``python -m tests.bench [--quick]``. For each scenario, each server is started
fresh (pinned to CPU 0), the load generator runs in its own process (pinned to
CPU 1), and the server is killed by PID. Scenarios alternate between servers,
so machine noise hits both alike. Results: a table on stdout and a JSON file.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from tests.bench import proc, report, venv
from tests.bench.plan import ASGI, BY_NAME, MODES, SPECS, SYNC_DEFAULT

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SERVER_APP = HERE / "server_app.py"
SYNC_SERVER_APP = HERE / "sync_server_app.py"
READY_TIMEOUT = 30.0
STOP_GRACE = 2.0
IMPLS = (report.BASELINE, report.CANDIDATE)
NOISY = 0.25  # share of a core used by the rest of the machine that makes a window suspect
ERROR_MARKERS = (b"Traceback", b"ERROR", b"Exception")


def log(msg: str) -> None:
    print(f"[bench] {msg}", flush=True)


class Server:
    """One server process, started pinned, stopped by its PID.

    Its stdout and stderr go to files, never pipes: a chatty server must not block.
    """

    def __init__(
        self, impl: str, cmd: list[str], env: dict[str, str], stdout: IO[bytes], stderr: IO[bytes]
    ) -> None:
        self.impl = impl
        self.stdout = stdout
        self.stderr = stderr
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=stdout, stderr=stderr)
        self.info: dict[str, Any] = {}

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            self.stdout.seek(0)
            for line in self.stdout:
                if line.startswith(b"READY ") and line.endswith(b"\n"):
                    self.info = json.loads(line[6:])
                    if not _is_self_or_child(self.info["pid"], self.proc.pid):
                        raise RuntimeError("server PID is not the started process or its child")
                    return
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"server exited with {self.proc.returncode}: {self.stderr_tail()}"
                )
            time.sleep(0.05)
        raise RuntimeError(f"server not ready after {READY_TIMEOUT:.0f}s: {self.stderr_tail()}")

    def stderr_tail(self, limit: int = 600) -> str:
        """The end of the server's stderr on one line (a traceback ends with its error)."""
        self.stderr.seek(0)
        text = self.stderr.read()[-limit:].decode(errors="replace").strip()
        return " | ".join(line.strip() for line in text.splitlines()[-4:])

    def logged_errors(self) -> int:
        self.stderr.seek(0)
        return sum(1 for line in self.stderr if any(m in line for m in ERROR_MARKERS))

    @property
    def serving_pid(self) -> int:
        """The process that serves (a Gunicorn worker is a child of the started one)."""
        return int(self.info.get("pid", self.proc.pid))

    def stop(self) -> None:
        worker = self.serving_pid if self.serving_pid != self.proc.pid else None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:  # graceful shutdown is not needed; do not wait out long polls
                self.proc.wait(timeout=STOP_GRACE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if worker is not None:  # its parent is gone: never leave it running
            proc.kill_if_alive(worker)


def _is_self_or_child(pid: int, started: int) -> bool:
    return pid == started or proc.parent_pid(pid) == started


def pinned(core: int, cmd: list[str], pin: bool, nice: int = 0) -> list[str]:
    prefix = ["nice", "-n", str(nice)] if nice else []
    return [*prefix, "taskset", "-c", str(core), *cmd] if pin else [*prefix, *cmd]


def server_command(
    impl: str, pysio_python: Path | None, args: argparse.Namespace, mode: str = ASGI
) -> list[str]:
    opts = ["--loop", args.loop, "--http", args.http, "--ws", args.ws]
    if impl == report.CEILING:
        return [sys.executable, "-m", "tests.bench.ceiling_server"]
    if mode != ASGI:  # both implementations from the venv: the same WSGI server files
        if pysio_python is None:
            raise RuntimeError("the sync modes need the pysio-bench venv")
        return [str(pysio_python), str(SYNC_SERVER_APP), "--mode", mode]
    # runtime and the ASGI floor run on the system Python, python-socketio in its venv.
    python = str(pysio_python) if impl == report.BASELINE else sys.executable
    return [python, str(SERVER_APP), *opts]


def run_scenario(
    name: str,
    impl: str,
    cmd: list[str],
    args: argparse.Namespace,
    pin: bool,
    redis_url: str = "",
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One scenario against fresh servers: one, or a cluster's nodes on Redis (``nodes``)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["BENCH_SERVER_IMPL"] = impl
    if impl != report.BASELINE:
        # The source tree first: an editable install made before runtime/__init__.py
        # existed resolves ``runtime`` as an empty namespace package from elsewhere.
        env["PYTHONPATH"] = str(ROOT)
    nodes = BY_NAME[name].nodes
    if nodes > 1:
        if not redis_url:
            raise RuntimeError(f"{name} needs Redis")
        # a channel of its own: nodes of another run never hear this one
        cmd = [*cmd, "--redis", redis_url, "--channel", f"bench-{uuid.uuid4().hex[:12]}"]
    with contextlib.ExitStack() as files:
        servers = []
        try:
            for _ in range(nodes):  # all nodes on the server core: their CPU is summed
                stdout = files.enter_context(tempfile.TemporaryFile())
                stderr = files.enter_context(tempfile.TemporaryFile())
                servers.append(Server(impl, pinned(0, cmd, pin, args.nice), env, stdout, stderr))
            return _run_with_servers(servers, name, args, pin)
        finally:
            for server in servers:
                server.stop()


def _run_with_servers(
    servers: list[Server], name: str, args: argparse.Namespace, pin: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    spec = BY_NAME[name]
    try:
        for server in servers:
            server.wait_ready()
    except RuntimeError as exc:
        return {"status": "error", "metrics": {}, "errors": [str(exc)]}, {}
    first = servers[0]
    lg_cmd = [
        sys.executable,
        "-m",
        "tests.bench.loadgen",
        "--scenario",
        name,
        "--port",
        str(first.info["port"]),
        "--server-pid",
        str(first.serving_pid),
    ]
    for other in servers[1:]:
        lg_cmd += ["--node", f"{other.info['port']}:{other.serving_pid}"]
    if args.quick:
        lg_cmd.append("--quick")
    if args.params:
        lg_cmd += ["--params", args.params]
    hard = spec.budget(args.quick) + 30.0
    try:
        done = subprocess.run(
            pinned(1, lg_cmd, pin, args.nice),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            timeout=hard,
            check=False,
        )
    except subprocess.TimeoutExpired:  # run() has killed the load generator by PID
        return {
            "status": "timeout",
            "metrics": {},
            "errors": [f"load generator killed after {hard:.0f}s"],
        }, first.info
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith(b"RESULT ")]
    if not lines:
        return {
            "status": "error",
            "metrics": {},
            "errors": [f"load generator exited {done.returncode} without a result"],
        }, first.info
    result: dict[str, Any] = json.loads(lines[-1][7:])
    for server in servers:
        if server.proc.poll() is not None or not proc.alive(server.serving_pid):
            result["status"] = "error"
            result.setdefault("errors", []).append(f"server died: {server.stderr_tail()}")
        n_err = server.logged_errors()
        if n_err:
            result.setdefault("errors", []).append(
                f"server logged {n_err} error line(s): {server.stderr_tail(300)}"
            )
    return result, first.info


def merge_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One result from repeated runs: per-figure medians over the runs that succeeded."""
    if len(runs) == 1:
        return runs[0]
    ok = [r for r in runs if r.get("status") == "ok"]
    if len(ok) * 2 <= len(runs):
        worst = next(r for r in runs if r.get("status") != "ok")
        return {**worst, "runs": runs}

    def median(values: list[float]) -> float:
        values = sorted(values)
        mid = len(values) // 2
        return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2

    def medians(key: str) -> dict[str, float]:
        keys = {k for r in ok for k, v in r.get(key, {}).items() if isinstance(v, int | float)}
        return {k: median([r[key][k] for r in ok if k in r.get(key, {})]) for k in sorted(keys)}

    errors = [e for r in runs for e in r.get("errors", [])]
    return {
        **ok[0],
        "metrics": medians("metrics"),
        "usage": medians("usage"),
        "errors": errors,
        "runs": runs,
    }


def summary_line(result: dict[str, Any]) -> str:
    m = result.get("metrics", {})
    shown = ", ".join(f"{k}={report._fmt(v)}" for k, v in m.items() if isinstance(v, int | float))
    u = result.get("usage", {})
    busy = ""
    if u:
        busy = f" (server {u.get('server_busy', 0):.0%}, loadgen {u.get('loadgen_busy', 0):.0%} of a core)"
    errors = result.get("errors") or []
    tail = f" errors: {'; '.join(map(str, errors))[:300]}" if errors else ""
    return f"{result.get('status', '?')}: {shown}{busy}{tail}"


def machine() -> dict[str, Any]:
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": model,
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "loadavg_at_start": os.getloadavg(),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="small smoke run, under a minute")
    p.add_argument(
        "--impl", default=",".join(IMPLS), help="comma list of: runtime, python-socketio"
    )
    p.add_argument(
        "--scenarios",
        default=None,
        help=f"comma list (default: all for asgi, {','.join(SYNC_DEFAULT)} for the sync modes)",
    )
    p.add_argument(
        "--modes",
        default=ASGI,
        help=f"comma list of: {', '.join(MODES)} (sync modes: Gunicorn gthread / gevent pywsgi)",
    )
    ceiling = p.add_mutually_exclusive_group()
    ceiling.add_argument(
        "--ceiling",
        dest="ceiling",
        action="store_true",
        default=None,
        help="also run every scenario against the null server (default unless --quick)",
    )
    ceiling.add_argument("--no-ceiling", dest="ceiling", action="store_false")
    floor = p.add_mutually_exclusive_group()
    floor.add_argument(
        "--floor",
        dest="floor",
        action="store_true",
        default=None,
        help="also run the raw-ASGI floor app on the same uvicorn (default unless --quick)",
    )
    floor.add_argument("--no-floor", dest="floor", action="store_false")
    p.add_argument(
        "--json", type=Path, default=None, help="result file (default tests/bench/results/)"
    )
    p.add_argument(
        "--params", default="", help="JSON object overriding every scenario's parameters"
    )
    p.add_argument("--ws", default="websockets-sansio", help="uvicorn --ws, same for both servers")
    p.add_argument("--http", default="httptools", help="uvicorn --http, same for both servers")
    p.add_argument("--loop", default="uvloop", help="uvicorn --loop, same for both servers")
    p.add_argument(
        "--repeat", type=int, default=1, help="runs per scenario and server; median kept"
    )
    p.add_argument(
        "--nice",
        type=int,
        default=0,
        help="run server and load generator under nice -n N (N < 0 needs root: less noise"
        " from other processes, which then run slower)",
    )
    p.add_argument("--no-pin", action="store_true", help="do not use taskset (not comparable!)")
    args = p.parse_args(argv)
    if args.ceiling is None:
        args.ceiling = not args.quick
    if args.floor is None:
        args.floor = not args.quick
    return args


@dataclass(frozen=True, slots=True)
class Run:
    """One scenario in one async mode, against the given servers."""

    key: str  # the results key: the scenario name, plus "@mode" outside asgi
    name: str
    mode: str
    impls: tuple[str, ...]


def plan_runs(args: argparse.Namespace) -> list[Run]:
    """What to run: scenarios x modes; the floor and the ceiling only exist for asgi."""
    impls = [i for i in args.impl.split(",") if i]
    modes = [m for m in args.modes.split(",") if m]
    chosen = [n for n in args.scenarios.split(",") if n] if args.scenarios else None
    bad = [i for i in impls if i not in IMPLS] + [m for m in modes if m not in MODES]
    bad += [n for n in chosen or () if n not in BY_NAME]
    if bad:
        sys.exit(f"unknown implementation, mode or scenario: {', '.join(bad)}")
    refs = [report.FLOOR] * args.floor + [report.CEILING] * args.ceiling
    runs = []
    for mode in modes:
        default = [s.name for s in SPECS] if mode == ASGI else list(SYNC_DEFAULT)
        for name in chosen or default:
            key = name if mode == ASGI else f"{name}@{mode}"
            if mode != ASGI and BY_NAME[name].asgi_only:
                log(f"skipping {name} in {mode}: it exists for asgi only")
                continue
            only = BY_NAME[name].only
            servers = [i for i in impls if i in only] if only else [*impls, *refs * (mode == ASGI)]
            if servers:
                runs.append(Run(key, name, mode, tuple(servers)))
    return runs


def cluster_redis(stack: contextlib.ExitStack) -> str:
    """The Redis of the cluster scenario: our own on a free port (no other traffic on
    it), else the one on 6379 if redis-server is not installed but 6379 answers."""
    from tests.brokers.harness import RedisServer, redis_ping

    if shutil.which("redis-server") is None:
        if not redis_ping(6379):
            sys.exit("the cluster scenario needs redis-server installed or a Redis on 6379")
        log("cluster scenario on the Redis at 127.0.0.1:6379 (shared: expect noise)")
        return "redis://127.0.0.1:6379/0"
    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-redis-")))
    server = RedisServer(workdir).start()
    stack.callback(server.kill)  # stopped by its PID when the run ends
    log(f"cluster scenario on our own redis-server at 127.0.0.1:{server.port}")
    return server.url


def run_plan(
    plan: list[Run], args: argparse.Namespace, pysio: Path | None, pin: bool, redis_url: str
) -> tuple[report.Results, dict[str, dict[str, Any]]]:
    """Every run of the plan, ``--repeat`` times, servers alternating; medians merged."""
    results: report.Results = {}
    servers: dict[str, dict[str, Any]] = {}
    repeat = max(1, min(args.repeat, 20))
    total, step = sum(len(r.impls) for r in plan) * repeat, 0
    for run in plan:
        spec = BY_NAME[run.name]
        runs: dict[str, list[dict[str, Any]]] = {impl: [] for impl in run.impls}
        for _ in range(repeat):  # alternate servers run by run, so drift hits both
            for impl in run.impls:
                step += 1
                log(
                    f"({step}/{total}) {run.key} @ {impl}: {spec.title}, budget {spec.budget(args.quick):.0f}s"
                )
                t0 = time.monotonic()
                cmd = server_command(impl, pysio, args, run.mode)
                result, info = run_scenario(run.name, impl, cmd, args, pin, redis_url)
                runs[impl].append(result)
                if info:
                    servers[impl if run.mode == ASGI else f"{impl}@{run.mode}"] = info
                log(f"    {summary_line(result)} [{time.monotonic() - t0:.1f}s]")
        results[run.key] = {impl: merge_runs(r) for impl, r in runs.items()}
    return results, servers


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = plan_runs(args)
    impls = list(dict.fromkeys(i for r in plan for i in r.impls))
    pin = not args.no_pin and shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2
    if not pin:
        log(
            "WARNING: not pinning server and load generator to separate cores; figures are not comparable"
        )
    proc.raise_nofile_limit()
    needs_venv = report.BASELINE in impls or any(r.mode != ASGI for r in plan)
    pysio = venv.ensure() if needs_venv else None
    background = proc.background_load()
    log(f"machine load before starting: {background:.2f} of {os.cpu_count()} cores busy")
    if background > NOISY:
        log("WARNING: the machine is busy; throughput and latency will be noisy (see README)")
    started = datetime.now(UTC)
    with contextlib.ExitStack() as stack:
        redis_url = cluster_redis(stack) if any(BY_NAME[r.name].nodes > 1 for r in plan) else ""
        results, servers = run_plan(plan, args, pysio, pin, redis_url)
    rows = report.compare(results)
    print()
    asgi = any(r.mode == ASGI for r in plan)  # the references exist for asgi only
    print(report.render(rows, args.floor and asgi, args.ceiling and asgi))
    typed = report.render_typed(results)
    if typed:
        print("\nTyped dispatch cost (runtime only, same server, alternating windows):")
        print(typed)
    print()
    print(
        "Who was busy (share of one core during the measured window; 'other' = rest of the machine):"
    )
    print(report.render_saturation(results, impls))
    _check_same_stack(servers)
    _check_noise(results)
    out = args.json or HERE / "results" / f"bench-{'quick' if args.quick else 'full'}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "started": started.isoformat(),
        "finished": datetime.now(UTC).isoformat(),
        "quick": args.quick,
        "pinned": pin,
        "machine": {**machine(), "background_cores_busy": background},
        "nice": args.nice,
        "uvicorn_options": {"loop": args.loop, "http": args.http, "ws": args.ws},
        "pysio_venv_pins": venv.pins() if pysio else None,
        "servers": servers,
        "modes": sorted({r.mode for r in plan}),
        "params": {r.key: BY_NAME[r.name].params(args.quick) for r in plan},
        "comparison": [{k: v for k, v in r.items() if k != "cells"} for r in rows],
        "results": results,
    }
    out.write_text(json.dumps(proc.finite(doc), indent=2, allow_nan=False) + "\n")
    print("\nratio = runtime / python-socketio of the raw figure; verdict folds in 'better'.")
    print(f"JSON written to {out}")
    log(f"total {(datetime.now(UTC) - started).total_seconds():.0f}s")
    return 0


def _check_noise(results: report.Results) -> None:
    noisy = sorted(
        {
            name
            for name, by_impl in results.items()
            for r in by_impl.values()
            if r.get("usage", {}).get("other_busy", 0.0) > NOISY
        }
    )
    if noisy:
        log(
            f"WARNING: other processes used > {NOISY:.0%} of a core during {', '.join(noisy)};"
            " those figures are noisy (rerun on a quiet machine, or use --repeat)"
        )


def _check_same_stack(servers: dict[str, dict[str, Any]]) -> None:
    a, b = servers.get(report.BASELINE), servers.get(report.CANDIDATE)
    if not a or not b:
        return
    for key in ("python", "uvicorn", "websockets", "uvloop", "httptools", "options"):
        if a.get(key) != b.get(key):
            log(f"WARNING: servers differ in {key}: {a.get(key)} vs {b.get(key)}")
