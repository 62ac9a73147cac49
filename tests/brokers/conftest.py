"""Fixtures of the broker suite: real Redis and RabbitMQ on loopback.

Redis: a ``redis-server`` of our own on a free port for the session (so a stopped
system Redis is no problem). RabbitMQ: the one on 5672 when it answers, else a
``rabbitmq-server`` of our own. A broker that cannot be had fails the tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.brokers.harness import (
    ClientRunner,
    Node,
    RabbitServer,
    RedisServer,
    ensure_pysio_venv,
    kill,
)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture(scope="session")
def rabbit_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RabbitServer]:
    server = RabbitServer(tmp_path_factory.mktemp("rabbit")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["redis", "aiopika"])
def broker(request: pytest.FixtureRequest) -> tuple[str, str]:
    """``(kind, url)`` of each broker in turn."""
    kind: str = request.param
    if kind == "redis":
        server: RedisServer | RabbitServer = request.getfixturevalue("redis_server")
    else:
        server = request.getfixturevalue("rabbit_server")
    return kind, server.url


@pytest.fixture(scope="session")
def pysio_python() -> Path:
    """The python of ``.venvs/pysio-brokers`` (python-socketio + aiohttp + redis)."""
    return ensure_pysio_venv()


@pytest.fixture
def runner(pysio_python: Path, tmp_path: Path) -> Iterator[ClientRunner]:
    """Real python-socketio clients (``apps/client_runner.py``), closed at teardown."""
    clients = ClientRunner(pysio_python, tmp_path)
    try:
        yield clients
    finally:
        clients.close()


@pytest.fixture
def nodes() -> Iterator[list[Node]]:
    """Node processes a test starts; each is killed by its PID at teardown."""
    started: list[Node] = []
    try:
        yield started
    finally:
        for node in started:
            kill(node.process)
