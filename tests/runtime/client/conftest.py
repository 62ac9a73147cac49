"""Servers for the client tests: the runtime (uvicorn) and Node.js socket.io v4.

Each server is a subprocess on a port the OS handed out, ready when its port accepts
TCP connections, and killed by PID. ``restart()`` brings it back on the same port.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
NODE_DIR = HERE / "node"
START_TIMEOUT = 30.0
KINDS = ("runtime", "node")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def ensure_node_modules() -> None:
    """``npm ci`` when node_modules is missing or older than the lock file."""
    stamp = NODE_DIR / "node_modules" / ".lock.sha256"
    wanted = hashlib.sha256((NODE_DIR / "package-lock.json").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text().strip() == wanted:
        return
    done = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund"],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        pytest.fail(f"npm ci failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    stamp.write_text(wanted)


class ServerProcess:
    def __init__(self, kind: str, serializer: str, log_dir: Path, ping: float = 20.0) -> None:
        self.kind = kind
        self.serializer = serializer
        self.ping = ping  # pingInterval = pingTimeout, in seconds
        self.port = free_port()
        self.log_path = log_dir / f"{kind}-{serializer}-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        if self.kind == "node":
            script = str(NODE_DIR / "server.js")
            return ["node", script, str(self.port), self.serializer, str(self.ping)]
        script = str(HERE / "server_app.py")
        return [sys.executable, script, str(self.port), self.serializer, str(self.ping)]

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=HERE,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"{self.kind} server exited:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"{self.kind} server not ready in {START_TIMEOUT} s:\n{self.log()}")
            time.sleep(0.05)  # polling interval for readiness

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.kill(process.pid, signal.SIGCONT)  # in case a test paused it
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def signal(self, signum: int) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signum)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return "<no log>"


ServerFactory = Callable[..., ServerProcess]


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[ServerFactory]:
    started: list[ServerProcess] = []

    def make(
        kind: str, serializer: str = "default", *, start: bool = True, ping: float = 20.0
    ) -> ServerProcess:
        if kind == "node":
            ensure_node_modules()
        server = ServerProcess(kind, serializer, tmp_path, ping)
        started.append(server)
        if start:
            server.start()
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture(params=KINDS)
def server(request: pytest.FixtureRequest, server_factory: ServerFactory) -> ServerProcess:
    return server_factory(request.param)
