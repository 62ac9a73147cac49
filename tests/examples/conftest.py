from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.examples.harness import Served, chat_server
from tests.interop.interop_harness import ensure_pysio_venv


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One example server per test module (its state is shared by the module's tests)."""
    with chat_server(tmp_path_factory.mktemp("chat") / "uvicorn.log") as served:
        yield served


@pytest.fixture(scope="session")
def pysio_python() -> Path:
    return ensure_pysio_venv()
