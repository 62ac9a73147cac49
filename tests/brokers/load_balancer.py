"""Debian's load balancers in front of test workers, configured from ``docs/scaling.md``.

The configurations are the fenced blocks of the doc, with its example ports replaced by
free ones, so the doc shows exactly what the tests run. Each balancer runs in the
foreground as our child, its files in a tmp dir, and is killed by its PID.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.brokers.harness import REPO, free_port, kill, poll_until
from tests.examples.harness import setup_step

DOC = REPO / "docs" / "scaling.md"
# the ports the doc's examples use: the balancer's, then one per worker
DOC_LISTEN = "127.0.0.1:8000"
DOC_WORKERS = ("127.0.0.1:8001", "127.0.0.1:8002")


def doc_block(language: str) -> str:
    """The one fenced ``language`` block of docs/scaling.md."""
    blocks = re.findall(rf"^```{language}\n(.*?)^```$", DOC.read_text(), re.M | re.S)
    assert len(blocks) == 1, f"{DOC} should have one ```{language} block, has {len(blocks)}"
    return str(blocks[0])


def render(block: str, listen_port: int, worker_ports: list[int]) -> str:
    """The doc's config with its example addresses replaced by the test's ports."""
    assert len(worker_ports) == len(DOC_WORKERS), "the doc's configs name two workers"
    for doc_address, port in zip(
        (DOC_LISTEN, *DOC_WORKERS), (listen_port, *worker_ports), strict=True
    ):
        assert doc_address in block, f"{doc_address} is not in the doc's config:\n{block}"
        block = block.replace(doc_address, f"127.0.0.1:{port}")
    return block


def ensure_installed(binary: str, package: str) -> str:
    """Path of ``binary``, installing Debian's ``package`` with apt-get when missing."""
    found = shutil.which(binary) or shutil.which(binary, path="/usr/sbin:/usr/bin")
    if found:
        return found
    if shutil.which("apt-get") is None:
        pytest.skip(f"{binary} is not installed and there is no apt-get to install {package}")
    setup_step(["apt-get", "update"], f"apt-get update (to install {package})")
    setup_step(["apt-get", "install", "-y", package], f"apt-get install {package}")
    found = shutil.which(binary, path="/usr/sbin:/usr/bin")
    assert found, f"apt-get installed {package} but there is no {binary}"
    return found


# One request line of each doc config's log format: "%ci %b/%s %ST %{+Q}r" (HAProxy),
# '$remote_addr $upstream_addr $status "$request"' (nginx). The worker is the HAProxy
# server name or the nginx upstream address; a request no worker saw has none.
_REQUEST_LINE = {
    "haproxy": re.compile(r'^\S+ \S+/(\S+) (-?\d+) "([^"]*)"$', re.M),
    "nginx": re.compile(r'^\S+ (\S+) (\d+) "([^"]*)"$', re.M),
}
_NO_WORKER = {"<NOSRV>", "-"}


@dataclass(frozen=True, slots=True)
class Request:
    worker: str | None  # None: answered by the balancer itself
    status: int
    line: str


@dataclass
class Balancer:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path  # its output
    access_log: Path  # one line per request, in the doc's format

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def access(self) -> str:
        try:
            return self.access_log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def requests(self, since: int = 0) -> list[Request]:
        """Every request logged from offset ``since`` of the access log on."""
        return [
            Request(None if m[1] in _NO_WORKER else m[1], int(m[2]), m[3])
            for m in _REQUEST_LINE[self.name].finditer(self.access()[since:])
        ]

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            pytest.fail(f"{self.name} exited ({self.process.returncode}):\n{self.log()[-4000:]}")

    def stop(self) -> None:
        # it runs in a session of its own: its group holds the master and its workers
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        kill(self.process)


def _answers_handshake(port: int) -> bool:
    """True once a polling handshake through the balancer gets a worker's 200."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(
                b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\n"
                b"Host: x\r\nConnection: close\r\n\r\n"
            )
            return sock.recv(16).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def _start(name: str, argv: list[str], port: int, workdir: Path, access_log: Path) -> Balancer:
    log_path = workdir / f"{name}.out"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, cwd=workdir, start_new_session=True
        )
    balancer = Balancer(name, process, port, log_path, access_log)

    def ready() -> bool:
        balancer.check_alive()
        return _answers_handshake(port)

    try:
        poll_until(ready, 30, f"{name} on {port}")
    except BaseException:
        balancer.stop()
        raise
    return balancer


def start_haproxy(workdir: Path, worker_ports: list[int]) -> Balancer:
    binary = ensure_installed("haproxy", "haproxy")
    port = free_port()
    config = workdir / "haproxy.cfg"
    config.write_text(render(doc_block("haproxy"), port, worker_ports))
    # -db: in the foreground; its request log goes to stdout (``log stdout``)
    log = workdir / "haproxy.out"
    return _start("haproxy", [binary, "-f", str(config), "-db"], port, workdir, log)


def start_nginx(workdir: Path, worker_ports: list[int]) -> Balancer:
    binary = ensure_installed("nginx", "nginx")
    port = free_port()
    prefix = workdir / "nginx"
    (prefix / "logs").mkdir(parents=True)
    config = prefix / "nginx.conf"
    config.write_text(render(doc_block("nginx"), port, worker_ports))
    argv = [
        *(binary, "-p", str(prefix), "-c", str(config)),
        *("-e", str(prefix / "logs" / "error.log")),  # not the system's error log
        *("-g", f"daemon off; pid {prefix / 'nginx.pid'};"),
    ]
    return _start("nginx", argv, port, workdir, prefix / "logs" / "socketio.log")
