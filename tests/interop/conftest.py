"""Fixtures of the interop suite (real third-party clients against our server).

``server_impl`` is parametrised over ``INTEROP_IMPLS`` (default ``runtime``;
``INTEROP_IMPLS=runtime,python-socketio`` adds the python-socketio reference run).
While ``runtime`` cannot be imported, its cases are skipped with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from interop_harness import (
    RUNTIME,
    ServerPool,
    ensure_node_modules,
    ensure_pysio_venv,
    runtime_import_error,
    selected_impls,
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "server_impl" not in metafunc.fixturenames:
        return
    params = []
    for impl in selected_impls():
        marks = []
        if impl == RUNTIME:
            error = runtime_import_error()
            if error is not None:
                marks.append(pytest.mark.skip(reason=f"runtime is not importable yet: {error}"))
        params.append(pytest.param(impl, id=impl, marks=marks))
    metafunc.parametrize("server_impl", params, scope="module")


@cache
def _pysio_python() -> Path:
    return ensure_pysio_venv()


@pytest.fixture(scope="session")
def pysio_python() -> Path:
    """The python of ``.venvs/pysio`` (python-socketio), created on first use."""
    return _pysio_python()


@pytest.fixture(scope="session")
def node_client() -> Path:
    """``tests/interop/js`` with its node_modules installed (``npm ci``)."""
    return ensure_node_modules()


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerPool]:
    pool = ServerPool(tmp_path_factory.mktemp("interop-servers"), _pysio_python)
    try:
        yield pool
    finally:
        pool.stop_all()
