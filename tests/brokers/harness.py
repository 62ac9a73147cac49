"""Processes of the broker tests: brokers, server nodes, client runners.

Every process started here is killed by PID; readiness is polled; every wait is
bounded and fails with what was seen so far.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import itertools
import json
import os
import pwd
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
APPS = HERE / "apps"
VENV = REPO / ".venvs" / "pysio-brokers"
REQUIREMENTS = HERE / "requirements-pysio-brokers.txt"

T = TypeVar("T")

WAIT = 20.0  # default bound of a wait for something to happen


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def new_channel(prefix: str = "test") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def poll_until(probe: Callable[[], T | None], timeout: float, what: str) -> T:
    """Call ``probe`` until it returns a truthy value; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}; last: {last!r}")
        time.sleep(0.05)  # polling interval


def kill(process: subprocess.Popen[Any] | None, sig: int = signal.SIGKILL) -> None:
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, sig)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
        process.wait(10)


# -- the python-socketio virtualenv ----------------------------------------------------


def ensure_pysio_venv() -> Path:
    """Create or refresh ``.venvs/pysio-brokers`` from the pinned requirements."""
    python = VENV / "bin" / "python"
    stamp = VENV / ".brokers-requirements.sha256"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    VENV.parent.mkdir(parents=True, exist_ok=True)
    # Locked: parallel sessions build it once. No stamp means a missing or
    # half-built venv (an interrupted run), so it is rebuilt from scratch.
    with open(VENV.parent / f"{VENV.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if python.exists() and stamp.exists() and stamp.read_text().strip() == wanted:
            return python
        for cmd in (
            [sys.executable, "-m", "venv", "--clear", str(VENV)],
            [str(python), "-m", "pip", "install", "--quiet", "-r", str(REQUIREMENTS)],
        ):
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
            if done.returncode != 0:
                out = f"{done.stdout[-2000:]}{done.stderr[-2000:]}"
                pytest.fail(f"could not set up {VENV}: {out}")
        stamp.write_text(wanted)
    return python


# -- Redis -------------------------------------------------------------------------------


def redis_ping(port: int | None = None, unix: str | None = None) -> bool:
    try:
        if unix is not None:
            sock = socket.socket(socket.AF_UNIX)
            sock.settimeout(1)
            sock.connect(unix)
        else:
            assert port is not None
            sock = socket.create_connection(("127.0.0.1", port), timeout=1)
        with sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class RedisServer:
    """A ``redis-server`` of our own on a free port (and optionally a unix socket)."""

    workdir: Path
    port: int = field(default_factory=free_port)
    unix: str | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        cmd = [
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--dir",
            str(self.workdir),
        ]
        if self.unix is not None:
            cmd += ["--unixsocket", self.unix, "--unixsocketperm", "700"]
        log = open(self.workdir / f"redis-{self.port}.log", "ab")  # noqa: SIM115 - owned by the process
        try:
            self.process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        except FileNotFoundError:
            pytest.fail(
                "redis-server is not installed and no Redis is running (apt-get install redis-server)"
            )
        finally:
            log.close()
        poll_until(lambda: self._alive() and redis_ping(self.port), 15, f"redis on {self.port}")
        return self

    def _alive(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            pytest.fail(f"redis-server exited with {self.process.returncode}")
        return True

    def kill(self) -> None:
        kill(self.process)
        self.process = None


# -- RabbitMQ ----------------------------------------------------------------------------


def amqp_ready(port: int) -> bool:
    """True when something on ``port`` answers an AMQP 0-9-1 protocol header."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(b"AMQP\x00\x00\x09\x01")
            return sock.recv(1)[:1] == b"\x01"  # Connection.Start frame
    except OSError:
        return False


@dataclass
class RabbitServer:
    """The RabbitMQ on 5672 if it runs, else one of our own on a free port."""

    workdir: Path
    port: int = 5672
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def start(self) -> RabbitServer:
        if amqp_ready(self.port):
            return self
        self.port = free_port()
        name = f"brokers{self.port}"
        # rabbitmq-server started as root drops to the rabbitmq user: give it the
        # directory (pytest's tmp dirs are private to root).
        base = Path(tempfile.mkdtemp(prefix=f"{name}-"))
        (base / "enabled_plugins").write_text("[].\n")
        if os.geteuid() == 0:
            with contextlib.suppress(KeyError, LookupError):
                owner = pwd.getpwnam("rabbitmq")
                for path in (base, base / "enabled_plugins"):
                    os.chown(path, owner.pw_uid, owner.pw_gid)
        env = {
            **os.environ,
            "RABBITMQ_NODENAME": f"{name}@localhost",
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(base / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(base / "none"),
            "RABBITMQ_FEATURE_FLAGS_FILE": str(base / "feature_flags"),
            "RABBITMQ_PLUGINS_EXPAND_DIR": str(base / "plugins-expand"),
            "RABBITMQ_QUORUM_DIR": str(base / "quorum"),
            "RABBITMQ_STREAM_DIR": str(base / "stream"),
            "RABBITMQ_PID_FILE": str(base / "pid"),
            "ERL_CRASH_DUMP": str(base / "erl_crash.dump"),
            "HOME": str(base),
        }
        log = open(base / "stdout.log", "ab")  # noqa: SIM115 - owned by the process
        try:
            self.process = subprocess.Popen(
                ["rabbitmq-server"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=base,
            )
        except FileNotFoundError:
            pytest.fail("no RabbitMQ on 5672 and rabbitmq-server is not installed")
        finally:
            log.close()

        def ready() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                tail = (base / "stdout.log").read_text(errors="replace")[-3000:]
                pytest.fail(f"rabbitmq-server exited with {self.process.returncode}:\n{tail}")
            return amqp_ready(self.port)

        poll_until(ready, 90, f"rabbitmq on {self.port}")
        return self

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        # The wrapper runs beam through ``su`` in a session of its own: collect the
        # whole tree of our child first, then end each of those PIDs.
        tree = [process.pid, *descendants(process.pid)]
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in reversed(tree):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(5)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and any(_alive(pid) for pid in tree[1:]):
                time.sleep(0.1)
            if not any(_alive(pid) for pid in tree[1:]):
                return


def descendants(pid: int) -> list[int]:
    """PIDs of every process below ``pid`` (from /proc), parents first."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


# -- server nodes ----------------------------------------------------------------------


@dataclass
class Node:
    """One uvicorn process serving ``cluster_app`` (runtime or python-socketio)."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    channel: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return "<no log>"

    def alive(self) -> bool:
        return self.process.poll() is None

    def check_alive(self) -> None:
        if not self.alive():
            pytest.fail(
                f"node {self.name} exited ({self.process.returncode}):\n{self.log()[-4000:]}"
            )


def start_node(
    workdir: Path,
    name: str,
    *,
    impl: str,
    broker: str,
    url: str,
    channel: str,
    python: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> Node:
    port = free_port()
    env = {
        **os.environ,
        "CLUSTER_IMPL": impl,
        "CLUSTER_BROKER": broker,
        "CLUSTER_URL": url,
        "CLUSTER_CHANNEL": channel,
        "CLUSTER_NODE": name,
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    if impl == "runtime":
        env["PYTHONPATH"] = str(REPO)
    else:
        env.pop("PYTHONPATH", None)  # runtime must not leak into the python-socketio node
    log_path = workdir / f"node-{name}-{port}.log"
    log = open(log_path, "ab")  # noqa: SIM115 - owned by the process
    cmd = [
        str(python or sys.executable),
        "-m",
        "uvicorn",
        "cluster_app:app",
        "--app-dir",
        str(APPS),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    try:
        process = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    finally:
        log.close()
    node = Node(name, process, port, log_path, channel)

    def ready() -> bool:
        node.check_alive()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(
                    b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\n"
                    b"Host: x\r\nConnection: close\r\n\r\n"
                )
                return sock.recv(16).startswith(b"HTTP/1.1 200")
        except OSError:
            return False

    poll_until(ready, 30, f"node {name} on {port}")
    return node


# -- client runners ----------------------------------------------------------------------


class ClientRunner:
    """``apps/client_runner.py`` in the python-socketio venv: many real clients.

    ``command`` runs another runner of the same stdin/stdout protocol instead (the JS
    ``apps/client_runner.js``).
    """

    def __init__(self, python: Path, workdir: Path, command: list[str] | None = None) -> None:
        self._stderr_path = workdir / f"clients-{uuid.uuid4().hex[:6]}.log"
        stderr = open(self._stderr_path, "ab")  # noqa: SIM115 - owned by the process
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        try:
            self.process = subprocess.Popen(
                command or [str(python), str(APPS / "client_runner.py")],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=env,
            )
        finally:
            stderr.close()
        self.lines: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self._ids = itertools.count(1)
        assert self.process.stdout is not None
        self._reader = threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True)
        self._reader.start()
        self.wait_for(lambda line: line["op"] == "ready", 30, "the client runner to start")

    def _read(self, stream: IO[bytes]) -> None:
        for raw in stream:
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            with self._cond:
                self.lines.append(line)
                self._cond.notify_all()

    def _send(self, command: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        if self.process.poll() is not None:
            pytest.fail(f"client runner exited:\n{self.stderr()}")
        self.process.stdin.write((json.dumps(command) + "\n").encode())
        self.process.stdin.flush()

    def stderr(self) -> str:
        return self._stderr_path.read_text(errors="replace")[-4000:]

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float, what: str
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.lines:
                    if predicate(line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(
                        f"timed out after {timeout} s waiting for {what}; "
                        f"last lines: {self.lines[-8:]}\n{self.stderr()}"
                    )
                self._cond.wait(min(left, 0.5))

    def connect(
        self,
        name: str,
        node: Node | str,
        transports: list[str] | None = None,
        local_address: str | None = None,
    ) -> str:
        """Connect client ``name``; from ``local_address`` (e.g. 127.0.5.1) if given."""
        self._send(
            {
                "op": "connect",
                "name": name,
                "url": node if isinstance(node, str) else node.url,
                "transports": transports or ["websocket"],
                "local_address": local_address,
            }
        )
        line = self.wait_for(
            lambda ln: ln.get("name") == name and ln["op"] in ("connected", "error"),
            WAIT,
            f"{name} to connect",
        )
        if line["op"] == "error":
            pytest.fail(f"{name} could not connect: {line['error']}")
        sid: str = line["sid"]
        return sid

    def cmd(self, name: str, **data: Any) -> Any:
        """Send a ``cmd`` event from client ``name``; return the server's ack."""
        ident = next(self._ids)
        self._send({"op": "cmd", "name": name, "id": ident, "data": data})
        line = self.wait_for(
            lambda ln: ln.get("id") == ident and ln["op"] in ("ack", "error"),
            WAIT,
            f"ack of {data}",
        )
        if line["op"] == "error":
            pytest.fail(f"cmd {data} from {name} failed: {line['error']}")
        return line["data"]

    def disconnect(self, name: str) -> None:
        self._send({"op": "disconnect", "name": name})

    def events(self, name: str, event: str) -> list[list[Any]]:
        with self._cond:
            return [
                line["args"]
                for line in self.lines
                if line["op"] == "event" and line["name"] == name and line["event"] == event
            ]

    def wait_event(
        self, name: str, event: str, args: list[Any] | None = None, timeout: float = WAIT
    ) -> list[Any]:
        line = self.wait_for(
            lambda ln: (
                ln["op"] == "event"
                and ln["name"] == name
                and ln["event"] == event
                and (args is None or ln["args"] == args)
            ),
            timeout,
            f"{name} to receive {event} {args}",
        )
        got: list[Any] = line["args"]
        return got

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._send({"op": "quit"})
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)
        kill(self.process)


@contextlib.contextmanager
def cleanup(*stops: Callable[[], None]) -> Iterator[None]:
    try:
        yield
    finally:
        for stop in stops:
            with contextlib.suppress(Exception):
                stop()


# -- the machine's brokers (the guide's default URLs) -------------------------------------


def ensure_machine_brokers(redis: bool = False, rabbit: bool = False) -> None:
    """Start the machine's Redis on 6379 / RabbitMQ on 5672 as daemons when not answering.

    For blocks that use the guide's URLs as written (``'redis://'``, ``'amqp://'``). They
    are the machine's services, left running like any system service.
    """
    if redis and not redis_ping(6379):
        subprocess.run(
            ["redis-server", "--port", "6379", "--bind", "127.0.0.1", "--daemonize", "yes"],
            check=True,
            capture_output=True,
            timeout=30,
        )
        poll_until(lambda: redis_ping(6379) or None, 15, "redis on 6379")
    if rabbit and not amqp_ready(5672):
        subprocess.run(
            ["rabbitmq-server", "-detached"], check=True, capture_output=True, timeout=60
        )
        poll_until(lambda: amqp_ready(5672) or None, 90, "rabbitmq on 5672")
