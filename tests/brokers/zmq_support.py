"""The ZeroMQ forwarder for the tests: ``python -m runtime.pubsub.zmq_forwarder`` as a process.

It binds the sink (PULL) and publisher (PUB) ports of ``url`` on loopback. It is
ready once a probe PUSHed to the sink comes back on a SUB socket. ``kill()`` ends
it by PID; ``start()`` again brings it back on the same ports.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.brokers.harness import REPO, free_port, kill, poll_until


def forwarder_echoes(sink_port: int, pub_port: int, timeout_ms: int = 300) -> bool:
    """True when a message pushed to ``sink_port`` is published on ``pub_port``."""
    import zmq

    context = zmq.Context()
    push = context.socket(zmq.PUSH)
    sub = context.socket(zmq.SUB)
    try:
        for sock in (push, sub):
            sock.setsockopt(zmq.LINGER, 0)
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        sub.connect(f"tcp://127.0.0.1:{pub_port}")
        push.connect(f"tcp://127.0.0.1:{sink_port}")
        probe = f"probe-{uuid.uuid4().hex}".encode()
        # The subscription reaches the PUB side asynchronously: resend until seen.
        for _ in range(5):
            push.send(probe)
            while sub.poll(timeout_ms):
                if sub.recv() == probe:
                    return True
        return False
    finally:
        push.close()
        sub.close()
        context.term()


@dataclass
class ForwarderServer:
    """A forwarder process of our own on two free loopback ports."""

    workdir: Path
    sink_port: int = field(default_factory=free_port)
    pub_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"zmq+tcp://127.0.0.1:{self.sink_port}+{self.pub_port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"zmq-forwarder-{self.sink_port}.log"

    def start(self) -> ForwarderServer:
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the process
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "runtime.pubsub.zmq_forwarder", self.url],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=REPO,
                env={**os.environ, "PYTHONPATH": str(REPO)},
            )
        finally:
            log.close()

        def ready() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-3000:]
                pytest.fail(f"zmq forwarder exited with {self.process.returncode}:\n{tail}")
            return forwarder_echoes(self.sink_port, self.pub_port)

        try:
            poll_until(ready, 20, f"zmq forwarder on {self.sink_port}+{self.pub_port}")
        except BaseException:
            self.kill()
            raise
        return self

    def stop(self) -> None:
        """End the forwarder with SIGTERM (its clean shutdown); SIGKILL if it lingers."""
        import signal

        kill(self.process, signal.SIGTERM)
        self.process = None

    def kill(self) -> None:
        kill(self.process)
        self.process = None
