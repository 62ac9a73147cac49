"""Fixtures of the interop suite (real third-party clients against our server).

``server_impl`` is parametrised over ``INTEROP_IMPLS`` (default ``runtime``;
``INTEROP_IMPLS=runtime,python-socketio`` adds the python-socketio reference run),
together with ``server_mode`` over ``INTEROP_MODES`` (default: every mode available,
see ``interop_harness.MODES``) where a test asks for it: runtime on each mode,
python-socketio on asgi only. Tests marked ``interop_core`` run on every mode, the
others on ``FULL_MODES``. While ``runtime`` cannot be imported, its cases are
skipped with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from interop_harness import (
    ASGI,
    FULL_MODES,
    RUNTIME,
    ServerPool,
    ensure_node_modules,
    ensure_pysio_venv,
    runtime_import_error,
    selected_impls,
    selected_modes,
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "interop_core: runs on every server mode (others: on FULL_MODES only)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "server_impl" not in metafunc.fixturenames:
        return
    runtime_marks = []
    error = runtime_import_error()
    if error is not None:
        runtime_marks.append(pytest.mark.skip(reason=f"runtime is not importable yet: {error}"))
    if "server_mode" not in metafunc.fixturenames:
        params = [
            pytest.param(impl, id=impl, marks=runtime_marks if impl == RUNTIME else [])
            for impl in selected_impls()
        ]
        metafunc.parametrize("server_impl", params, scope="module")
        return
    # python-socketio is the reference on asgi; runtime runs on every selected mode
    core = metafunc.definition.get_closest_marker("interop_core") is not None
    modes = [mode for mode in selected_modes() if core or mode in FULL_MODES]
    pairs = []
    for impl in selected_impls():
        if impl == RUNTIME:
            pairs += [
                pytest.param(impl, mode, id=f"{impl}-{mode}", marks=runtime_marks) for mode in modes
            ]
        elif ASGI in modes:
            pairs.append(pytest.param(impl, ASGI, id=f"{impl}-{ASGI}"))
    metafunc.parametrize(("server_impl", "server_mode"), pairs, scope="module")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect (not skip) a test none of whose modes is selected (``INTEROP_MODES``)."""
    kept, dropped = [], []
    for item in items:
        skip = item.get_closest_marker("skip")
        reason = str(skip.kwargs.get("reason", "")) if skip is not None else ""
        # pytest's own mark for a parametrisation without values
        if "server_mode" in getattr(item, "fixturenames", ()) and reason.startswith(
            "got empty parameter set"
        ):
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


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
