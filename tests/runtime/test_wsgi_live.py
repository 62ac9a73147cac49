"""The sync ``Server`` on real WSGI servers, driven by real clients.

Werkzeug (``threaded=True``) and Gunicorn (``gthread`` worker, ``--threads``) serve
``wsgi_live_app`` (the interop app in its sync form); the JavaScript
``socket.io-client`` and python-socketio's ``AsyncClient`` run the interop
scenarios over polling, websocket and upgrade, and the interop checks judge them.
Servers bind a port the OS picks, readiness is polled, every process is killed by
PID.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "interop"))

import interop_checks as checks  # noqa: E402
from interop_harness import (  # noqa: E402
    TRANSPORTS,
    ClientRun,
    ClientSpec,
    Server,
    _kill,
    ensure_node_modules,
    ensure_pysio_venv,
    new_tag,
    poll_until,
    run_client,
)

pytestmark = [pytest.mark.interop, pytest.mark.timeout(300)]

# threading mode on Werkzeug and Gunicorn; gevent mode on gevent.pywsgi, without and
# with gevent-websocket; eventlet mode on eventlet.wsgi (the green ones run in
# .venvs/green, see requirements-green.txt)
WSGI_SERVERS = ("werkzeug", "gunicorn", "gevent", "gevent-websocket", "eventlet")
APP = HERE / "wsgi_live_app.py"
START_TIMEOUT = 30.0
GREEN_VENV = REPO / ".venvs" / "green"
GREEN_REQUIREMENTS = HERE / "requirements-green.txt"


def ensure_green_venv() -> Path:
    """``.venvs/gevent`` with the pinned requirements, created or refreshed on first use."""
    python = GREEN_VENV / "bin" / "python"
    stamp = GREEN_VENV / ".requirements.sha256"
    wanted = hashlib.sha256(GREEN_REQUIREMENTS.read_bytes()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text().strip() == wanted:
        return python
    steps = [[sys.executable, "-m", "venv", str(GREEN_VENV)]] if not python.exists() else []
    steps.append([str(python), "-m", "pip", "install", "-q", "-r", str(GREEN_REQUIREMENTS)])
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            pytest.fail(
                f"could not set up {GREEN_VENV}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
            )
    stamp.write_text(wanted)
    return python


def _gunicorn_available() -> bool:
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        return False
    return True


def start_wsgi_server(kind: str, workdir: Path) -> Server:
    env = dict(
        os.environ,
        PYTHONUNBUFFERED="1",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        LIVE_PING_INTERVAL="2",
        LIVE_PING_TIMEOUT="2",
    )
    log_path = workdir / f"{kind}.log"
    listener: socket.socket | None = None
    port_file = workdir / f"{kind}.port"
    pass_fds: tuple[int, ...] = ()
    if kind == "werkzeug":
        cmd = [sys.executable, str(APP), "--port-file", str(port_file)]
    elif kind.startswith("gevent") or kind == "eventlet":
        python = ensure_green_venv()
        cmd = [str(python), str(APP), "--port-file", str(port_file), "--server", kind]
    else:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        port_file.write_text(str(listener.getsockname()[1]))
        fd = listener.fileno()
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "1",
            "--threads",
            "64",
            "--bind",
            f"fd://{fd}",
            "--no-control-socket",
            "--graceful-timeout",
            "1",
            "tests.runtime.wsgi_live_app:create_app()",
        ]
        pass_fds = (fd,)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            cmd,
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            pass_fds=pass_fds,
        )
    if listener is not None:
        listener.close()  # the server holds its own copy
    server = Server("runtime", "default", "normal", process, 0, log_path)
    try:

        def port_ready() -> int | None:
            server.check_alive()
            text = port_file.read_text().strip() if port_file.exists() else ""
            return int(text) if text else None

        server.port = poll_until(port_ready, START_TIMEOUT, f"{kind} to bind")

        def healthy() -> bool:
            server.check_alive()
            try:
                return httpx.get(f"{server.url}/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        poll_until(healthy, START_TIMEOUT, f"{kind} to answer /health")
    except BaseException:
        _kill(process)
        raise
    return server


@pytest.fixture(scope="module")
def wsgi_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Server]]:
    workdir = tmp_path_factory.mktemp("wsgi-servers")
    started: dict[str, Server] = {}

    def get(kind: str) -> Server:
        if kind == "gunicorn" and not _gunicorn_available():
            pytest.fail("gunicorn is not installed: pip install gunicorn")
        if kind not in started:
            started[kind] = start_wsgi_server(kind, workdir)
        started[kind].check_alive()
        return started[kind]

    try:
        yield get
    finally:
        for server in started.values():
            server.stop()


@pytest.fixture(params=WSGI_SERVERS)
def server(request: pytest.FixtureRequest, wsgi_servers: Callable[[str], Server]) -> Server:
    return wsgi_servers(request.param)


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


def check(
    kind: str, scenario: str, run: ClientRun, server: Server, tag: str, transport: str
) -> None:
    judges: dict[str, Callable[[], Any]] = {
        "connect_ok": lambda: checks.check_connect_ok(run, server, tag, transport, kind),
        "connect_rejected": lambda: checks.check_connect_rejected(run, server, tag, kind),
        "namespaces": lambda: checks.check_namespaces(run, server, tag, transport, kind),
        "acks": lambda: checks.check_acks(run, server, tag),
        "binary": lambda: checks.check_binary(run),
        "rooms": lambda: checks.check_rooms(run),
        "catch_all": lambda: checks.check_catch_all(run, server, tag),
        "sessions": lambda: checks.check_sessions(run),
    }
    judges[scenario]()


JS_SCENARIOS = (
    "connect_ok",
    "connect_rejected",
    "namespaces",
    "acks",
    "binary",
    "rooms",
    "catch_all",
    "sessions",
)


@pytest.mark.parametrize("scenario", JS_SCENARIOS)
def test_js_client(server: Server, transport: str, scenario: str) -> None:
    ensure_node_modules()
    tag = new_tag(f"wsgi-js-{scenario}")
    run = run_client(ClientSpec("js", scenario, server, transport, tag), None)
    check("js", scenario, run, server, tag, transport)


def test_js_server_disconnect_and_burst(server: Server, transport: str) -> None:
    ensure_node_modules()
    tag = new_tag("wsgi-js-kick")
    run = run_client(ClientSpec("js", "disconnect_server", server, transport, tag), None)
    assert run.one("disconnect")["reason"] == "io server disconnect"
    [record] = server.disconnects(tag)
    assert record["reason"] == "server disconnect"
    burst = run_client(ClientSpec("js", "burst", server, transport, new_tag("wsgi-js-burst")), None)
    result = burst.one("burst_result")
    assert result["count"] == 200 and result["received"] == list(range(200))
    # handlers run on a thread pool, as in python-socketio: no order between events
    assert sorted(burst.one("seq_result")["received"]) == list(range(200))


@pytest.mark.parametrize("scenario", ("connect_ok", "acks", "binary"))
def test_python_socketio_client(server: Server, transport: str, scenario: str) -> None:
    python = ensure_pysio_venv()
    tag = new_tag(f"wsgi-py-{scenario}")
    run = run_client(ClientSpec("py", scenario, server, transport, tag), python)
    check("py", scenario, run, server, tag, transport)
