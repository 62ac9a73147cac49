"""Debian's load balancers in front of test workers, configured from ``docs/scaling.md``.

The configurations are the fenced blocks of the doc, with its example ports replaced by
free ones, so the doc shows exactly what the tests run. Each balancer runs in the
foreground as our child, its files in a tmp dir, and is killed by its PID.
"""

from __future__ import annotations

import re
import shutil
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


@dataclass
class Balancer:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            pytest.fail(f"{self.name} exited ({self.process.returncode}):\n{self.log()[-4000:]}")

    def stop(self) -> None:
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


def start_haproxy(workdir: Path, worker_ports: list[int]) -> Balancer:
    binary = ensure_installed("haproxy", "haproxy")
    port = free_port()
    config = workdir / "haproxy.cfg"
    config.write_text(render(doc_block("haproxy"), port, worker_ports))
    log_path = workdir / "haproxy.log"
    with log_path.open("wb") as log:
        # -db: foreground, no daemon; its request log goes to stdout (``log stdout``)
        process = subprocess.Popen(
            [binary, "-f", str(config), "-db"], stdout=log, stderr=subprocess.STDOUT
        )
    balancer = Balancer("haproxy", process, port, log_path)

    def ready() -> bool:
        balancer.check_alive()
        return _answers_handshake(port)

    try:
        poll_until(ready, 30, f"haproxy on {port}")
    except BaseException:
        balancer.stop()
        raise
    return balancer


# one request line of the doc's HAProxy log-format: "%ci %b/%s %ST %{+Q}r"
_HAPROXY_REQUEST = re.compile(r'^\S+ (\S+)/(\S+) (-?\d+) "([^"]*)"$', re.M)


def haproxy_requests(log: str) -> list[tuple[str, int, str]]:
    """``(worker, status, request line)`` of every request HAProxy logged."""
    return [(m[2], int(m[3]), m[4]) for m in _HAPROXY_REQUEST.finditer(log)]
