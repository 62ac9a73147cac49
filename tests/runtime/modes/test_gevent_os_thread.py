"""gevent mode: emits from a real OS thread reach websocket and polling clients.

A gevent server can be run without monkey-patching, and even patched apps have
real OS threads (gevent's threadpool, ``monkey.get_original``). Work queued in such
a thread's own hub never runs; the driver hands it to the server's hub. The server
(``apps/gevent_os_thread.py``) runs in ``.venvs/deploy`` (gevent installed there
only); the client is the runtime's own ``Client``.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import runtime

INTEROP = Path(__file__).resolve().parents[2] / "interop"
sys.path.insert(0, str(INTEROP))

from interop_harness import REPO, _kill, ensure_deploy_venv, poll_until, spawn  # noqa: E402

pytestmark = pytest.mark.timeout(300)  # the first run may build .venvs/deploy

APP = Path(__file__).resolve().parent / "apps" / "gevent_os_thread.py"
EMITS = 40
WAIT = 15.0  # seconds: a bound; the events arrive at once when they arrive at all


@pytest.fixture(scope="module", params=["patched", "unpatched"])
def server_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    python = ensure_deploy_venv()
    workdir = tmp_path_factory.mktemp(f"gevent-os-thread-{request.param}")
    port_file, log_path = workdir / "port", workdir / "server.log"
    env = dict(os.environ, PYTHONPATH=str(REPO), PATCH="1" if request.param == "patched" else "0")
    process = spawn([str(python), str(APP), str(port_file)], cwd=REPO, env=env, log_path=log_path)
    try:

        def port() -> str | None:
            if process.poll() is not None:
                pytest.fail(f"the server exited: {log_path.read_text()[-2000:]}")
            return port_file.read_text().strip() if port_file.exists() else None

        yield f"http://127.0.0.1:{poll_until(port, 60, 'the gevent server to start')}"
    finally:
        _kill(process)


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_emits_from_an_os_thread_arrive(server_url: str, transport: str) -> None:
    received: list[Any] = []
    all_there = threading.Event()
    client = runtime.Client()

    @client.on("from_thread")
    def on_from_thread(data: Any) -> None:
        received.append(data)
        if len(received) == EMITS:
            all_there.set()

    client.connect(server_url, transports=[transport], wait_timeout=WAIT)
    try:
        assert client.call("start", EMITS, timeout=WAIT) == "started"
        client.emit("go")
        assert all_there.wait(WAIT), f"{len(received)} of {EMITS} emits arrived"
        assert received == [{"i": i, "blob": bytes([i % 256]) * 3} for i in range(EMITS)]
    finally:
        client.disconnect()
