"""The user guide's deployment recipes, run as written against ``runtime``.

Each recipe starts a real server process (Gunicorn with threads, gevent, eventlet
or Uvicorn workers; uWSGI with gevent; Flask's ``app.run(threaded=True)``) on a
port the OS picks, then python-socketio's client (its own venv) connects over
polling and over websocket, emits and checks the ack, which also says which
``async_mode`` served it. Readiness is polled; every server is killed by its PID
with its process group (the workers). The green servers run in ``.venvs/deploy``
(``requirements-deploy.txt``), apart from this interpreter.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
APPS = HERE / "apps"
CLIENT = HERE / "client.py"
sys.path.insert(0, str(REPO / "tests" / "interop"))

from interop_harness import (  # noqa: E402
    _kill,
    ensure_deploy_venv,
    ensure_pysio_venv,
    spawn,
    wait_healthy,
)

pytestmark = [pytest.mark.interop, pytest.mark.timeout(300)]

CLIENT_TIMEOUT = 30.0


@dataclass(frozen=True)
class Recipe:
    """One deployment: the command line the guide gives (plus a bind), and its mode."""

    argv: tuple[str, ...]  # after the program (the bind is added by _start)
    program: str  # "gunicorn", "uwsgi" or "python"
    green: bool  # runs in .venvs/deploy
    async_mode: str  # what the server must report
    env_mode: str = ""  # DEPLOY_ASYNC_MODE ("" = automatic)
    wrapper: str = ""  # DEPLOY_WRAPPER (flask_app.py)


RECIPES = {
    # "gunicorn --workers 1 --threads 100 --bind 127.0.0.1:5000 module:app"
    "gunicorn-threads": Recipe(
        ("--workers", "1", "--threads", "100", "wsgi_app:app"), "gunicorn", False, "threading",
        "threading",
    ),
    # "gunicorn -k gevent -w 1 module:app"
    "gunicorn-gevent": Recipe(
        ("-k", "gevent", "-w", "1", "wsgi_app:app"), "gunicorn", True, "gevent", "gevent"
    ),
    # "gunicorn -k geventwebsocket.gunicorn.workers.GeventWebSocketWorker -w 1 module:app"
    "gunicorn-gevent-websocket": Recipe(
        ("-k", "geventwebsocket.gunicorn.workers.GeventWebSocketWorker", "-w", "1", "wsgi_app:app"),
        "gunicorn",
        True,
        "gevent",
        "gevent",
    ),
    # "gunicorn -k eventlet -w 1 module:app"
    "gunicorn-eventlet": Recipe(
        ("-k", "eventlet", "-w", "1", "wsgi_app:app"), "gunicorn", True, "eventlet", "eventlet"
    ),
    # "gunicorn --workers 1 --worker-class uvicorn.workers.UvicornWorker ..."
    "gunicorn-uvicorn": Recipe(
        ("--workers", "1", "--worker-class", "uvicorn.workers.UvicornWorker", "asgi_app:app"),
        "gunicorn",
        False,
        "asgi",
    ),
    # "uwsgi --http :5000 --gevent 1000 --http-websockets --master --wsgi-file app.py
    #  --callable app" (the port: a shared socket on port 0, see _start)
    "uwsgi-gevent": Recipe(
        (
            "--gevent", "1000", "--http-websockets", "--master", "--wsgi-file",
            str(APPS / "wsgi_app.py"), "--callable", "app",
        ),
        "uwsgi",
        True,
        "gevent_uwsgi",
        "gevent_uwsgi",
    ),
    # "app.run(threaded=True)" with the Socket.IO app wrapped around Flask's
    "flask-threaded": Recipe((str(APPS / "flask_app.py"), "0"), "python", False, "threading"),
    # the guide's own threading example: app.wsgi_app = socketio.Middleware(sio, app.wsgi_app)
    "flask-middleware": Recipe(
        (str(APPS / "flask_app.py"), "0"), "python", False, "threading", wrapper="middleware"
    ),
    # not a recipe of the guide: a threaded server that hides the socket (see below)
    "wsgiref-threaded": Recipe((str(APPS / "wsgiref_app.py"),), "python", False, "threading"),
}  # fmt: skip

_UWSGI_BOUND = re.compile(rb"uWSGI http bound on 127\.0\.0\.1:(\d+)")
_WERKZEUG_BOUND = re.compile(rb"Running on http://127\.0\.0\.1:(\d+)")


@dataclass
class Running:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            pytest.fail(f"{self.name} exited ({self.process.returncode}):\n{self.log()}")


def _start(name: str, workdir: Path) -> Running:
    recipe = RECIPES[name]
    bin_dir = ensure_deploy_venv().parent if recipe.green else Path(sys.executable).parent
    env = dict(
        os.environ,
        PYTHONUNBUFFERED="1",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        DEPLOY_ASYNC_MODE=recipe.env_mode,
        DEPLOY_WRAPPER=recipe.wrapper,
    )
    passed: list[socket.socket] = []
    fixed_port: int | None = None
    if recipe.program == "gunicorn":
        # the listener is bound here (port 0: the OS picks) and handed to Gunicorn
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        passed.append(listener)
        fixed_port = listener.getsockname()[1]
        cmd = [
            str(bin_dir / "gunicorn"),
            *recipe.argv,
            "--bind",
            f"fd://{listener.fileno()}",
            "--graceful-timeout",
            "1",
            "--no-control-socket",  # else every Gunicorn shares ~/.gunicorn/gunicorn.ctl
        ]
    elif recipe.program == "uwsgi":
        cmd = [
            str(bin_dir / "uwsgi"),
            "--shared-socket",
            "127.0.0.1:0",
            "--http",
            "=0",
            *recipe.argv,
            "--die-on-term",
            "--need-app",  # exit when the app fails to load, instead of answering 500
        ]
    else:
        cmd = [str(bin_dir / "python"), *recipe.argv]
    log_path = workdir / f"{name}.log"
    process = spawn(cmd, cwd=APPS, env=env, log_path=log_path, passed=passed)
    running = Running(name, process, log_path)
    try:

        def port() -> int | None:
            if fixed_port is not None:
                return fixed_port
            pattern = _UWSGI_BOUND if recipe.program == "uwsgi" else _WERKZEUG_BOUND
            found = pattern.search(log_path.read_bytes())
            return int(found.group(1)) if found else None

        running.port = wait_healthy(running.check_alive, port, name)
    except BaseException:
        _kill(process)
        raise
    return running


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Running]]:
    """Start a recipe on first use; one server at a time, each killed by its PID."""
    workdir = tmp_path_factory.mktemp("deploy")
    current: list[Running] = []

    def get(name: str) -> Running:
        if current and current[0].name != name:
            _kill(current.pop().process)
        if not current:
            current.append(_start(name, workdir))
        current[0].check_alive()
        return current[0]

    try:
        yield get
    finally:
        for running in current:
            _kill(running.process)


@pytest.mark.parametrize("transport", ["polling", "websocket"])
@pytest.mark.parametrize("recipe", [name for name in RECIPES if name != "wsgiref-threaded"])
def test_recipe(deployed: Callable[[str], Running], recipe: str, transport: str) -> None:
    server = deployed(recipe)
    health = httpx.get(f"{server.url}/health", timeout=5).json()
    assert health["async_mode"] == RECIPES[recipe].async_mode, health
    done = run_client(server, transport)
    if done.returncode != 0:
        pytest.fail(
            f"client failed:\n{done.stdout}{done.stderr[-3000:]}\nserver log:\n{server.log()}"
        )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {
        "ack": {
            "echo": {"hello": transport, "bin": "00ff"},
            "async_mode": RECIPES[recipe].async_mode,
            "transport": transport,
        },
        "client_transport": transport,
    }
    server.check_alive()


def run_client(server: Running, transport: str) -> subprocess.CompletedProcess[str]:
    cmd = [str(ensure_pysio_venv()), str(CLIENT), server.url, transport]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=CLIENT_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"client hung: {exc.stdout!r} {exc.stderr!r}\nserver log:\n{server.log()}")


def test_threading_without_socket_access_stays_on_polling(
    deployed: Callable[[str], Running],
) -> None:
    """A threaded WSGI server that hides the socket cannot carry a websocket (by design).

    The websocket request is refused with 400; a client that starts on polling keeps
    working there, its upgrade probe having failed.
    """
    server = deployed("wsgiref-threaded")
    upgraded = run_client(server, "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr[-3000:]
    result = json.loads(upgraded.stdout.strip().splitlines()[-1])
    assert result["ack"]["transport"] == "polling"
    assert result["client_transport"] == "polling"
    direct = run_client(server, "websocket")
    assert direct.returncode != 0
    assert "websocket refused" in server.log()
    server.check_alive()
