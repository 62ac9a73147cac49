"""Fixtures: the implementation under test, the client venv, servers and drivers."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Protocol

import pytest

from tests.seeds import harness, pysio_venv


class Serve(Protocol):
    def __call__(
        self,
        blocks: Sequence[str] = (),
        prelude: str = "",
        epilogue: str = "",
        files: Mapping[str, bytes] | None = None,
        runner: harness.Runner = harness.UVICORN,
    ) -> harness.Server: ...


Drive = Callable[[harness.Server, Sequence[Mapping[str, Any]]], harness.Drive]


@pytest.fixture(scope="session")
def implementation() -> str:
    """``runtime`` unless ``SEEDS_IMPL=python-socketio`` asks for the reference."""
    return harness.impl()


@pytest.fixture(scope="session")
def pysio() -> Path:
    """The python-socketio venv's interpreter (clients; the reference server)."""
    return pysio_venv.ensure()


@pytest.fixture(scope="session")
def server_python(implementation: str, pysio: Path) -> Path:
    return harness.server_python(implementation, pysio)


@pytest.fixture(scope="session")
def green_python() -> Callable[[], Path]:
    """The interpreter of the gevent/eventlet venv, created on first use only."""

    def get() -> Path:
        from tests.runtime.test_wsgi_live import ensure_green_venv

        return ensure_green_venv()

    return get


@pytest.fixture
def serve(
    implementation: str, server_python: Path, green_python: Callable[[], Path], tmp_path: Path
) -> Iterator[Serve]:
    """Start a server for guide blocks; every server is stopped at teardown."""
    with ExitStack() as stack:
        count = 0

        def start(
            blocks: Sequence[str] = (),
            prelude: str = "",
            epilogue: str = "",
            files: Mapping[str, bytes] | None = None,
            runner: harness.Runner = harness.UVICORN,
        ) -> harness.Server:
            nonlocal count
            count += 1
            source = harness.module_source(implementation, blocks, prelude, epilogue)
            workdir = tmp_path / f"server{count}"
            env = harness.server_env(implementation)
            python = green_python() if runner.green else server_python
            return stack.enter_context(
                harness.serve_module(source, workdir, python, env, files, runner=runner)
            )

        yield start


@pytest.fixture(scope="session")
def driver(pysio: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.Driver]:
    client = harness.Driver(pysio, tmp_path_factory.mktemp("driver") / "driver.log")
    yield client
    client.close()


@pytest.fixture
def drive(driver: harness.Driver) -> Drive:
    """Run client steps against a server; see client_driver.py for the steps."""

    def run(server: harness.Server, steps: Sequence[Mapping[str, Any]]) -> harness.Drive:
        return driver.run(server.url, steps, server)

    return run
