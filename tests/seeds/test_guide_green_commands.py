"""The guide's green deployment commands, run as printed: Gunicorn with gevent, gevent-websocket
and eventlet workers, and uWSGI with gevent (``async_mode='gevent_uwsgi'``).

Each command is taken from its guide block and run in ``.venvs/deploy`` (gevent, eventlet,
gevent-websocket, Gunicorn, uWSGI) against ``module.py`` (or ``latency.py``) built from the
guide's own blocks for that mode. The only change to a command is the port: a free one for
the guide's 5000, or, where the command names none, a ``--bind`` in ``GUNICORN_CMD_ARGS``.
What a test run needs beyond the guide (a short graceful timeout, no shared Gunicorn
control socket, uWSGI exiting on SIGTERM) goes through the servers' environment variables,
not the command. python-socketio's client connects over polling and over websocket, gets
acks back, and asks which ``async_mode`` served it.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from tests.interop.interop_harness import ensure_deploy_venv
from tests.seeds import harness
from tests.seeds.conftest import Drive
from tests.seeds.steps import connect, emit
from tests.seeds.test_guide_examples import connected
from tests.seeds.test_guide_sync import APP, ECHO, check_serves

pytestmark = [pytest.mark.interop, pytest.mark.timeout(300)]  # the first run builds the venv

# Which async_mode served the client: the proof that the worker class was the guide's.
MODE = """
@sio.on("seeds:mode")
def _mode(sid):
    return sio.async_mode
"""

GUIDE_PORT = "5000"

# command block -> (the blocks that make up module.py, the async_mode it must run in)
GUNICORN_COMMANDS = {
    "guide:Gevent with Gunicorn#1": (["guide:Gevent#1", "guide:Gevent#2"], "gevent"),
    "deploy:Using Gunicorn with Gevent#1": (["deploy:Gevent#1"], "gevent"),
    "deploy:Using Gunicorn with Gevent#2": (["deploy:Gevent#1"], "gevent"),
    "guide:Eventlet with Gunicorn#1": (["guide:Eventlet#1"], "eventlet"),
}
# The deployment notes print the same commands again; one run covers both.
SAME_COMMAND = {
    "deploy:Using Gunicorn with Eventlet#1": "guide:Eventlet with Gunicorn#1",
    "deploy:uWSGI#1": "guide:Gevent with uWSGI#1",
    "deploy:uWSGI#2": "guide:Gevent with uWSGI#2",
}


@pytest.fixture
def runtime_only(implementation: str) -> None:
    if implementation != "runtime":
        pytest.skip("python-socketio is not installed in .venvs/deploy")


def guide_command(key: str) -> list[str]:
    return shlex.split(harness.block(key).text.removeprefix("$ "))


def check_mode(server: harness.Server, drive: Drive, mode: str) -> None:
    out = drive(server, [connect("m"), emit("m", "seeds:mode", ack=True)])
    connected(out.results[0])
    assert out.results[1] == {"ack": [mode]}, out.results


def test_same_commands_in_both_guides() -> None:
    for copy, original in SAME_COMMAND.items():
        assert harness.block(copy).text == harness.block(original).text, copy


@pytest.mark.usefixtures("runtime_only")
@pytest.mark.parametrize("key", list(GUNICORN_COMMANDS))
def test_gunicorn_green_worker_command(
    key: str, implementation: str, drive: Drive, tmp_path: Path
) -> None:
    blocks, mode = GUNICORN_COMMANDS[key]
    command = guide_command(key)
    assert command[:2] == ["gunicorn", "-k"], command
    if command[-2:] == ["module:", "app"]:
        # the deployment notes print "module: app": as two arguments Gunicorn would
        # read "module:" as the application; rejoined, the one fix to their text
        command[-2:] = ["module:app"]
    assert command[-1] == "module:app", command
    port = harness.free_port()
    argv = [str(ensure_deploy_venv().parent / "gunicorn")]
    argv += [arg.replace(f":{GUIDE_PORT}", f":{port}") for arg in command[1:]]
    settings = "--graceful-timeout 1 --no-control-socket"  # else every Gunicorn shares one
    if not any(arg in ("-b", "--bind") for arg in command):
        settings += f" --bind 127.0.0.1:{port}"  # Gunicorn's default, 8000, may be taken
    env = {**harness.server_env(implementation), "GUNICORN_CMD_ARGS": settings}
    epilogue = ("" if "guide:Gevent#2" in blocks else APP) + ECHO + MODE
    (tmp_path / "module.py").write_text(harness.module_source(implementation, blocks, "", epilogue))
    with harness.run_server(argv, tmp_path, port, env, group=True) as server:
        check_serves(server, drive)
        check_mode(server, drive, mode)


@pytest.mark.usefixtures("runtime_only")
def test_uwsgi_gevent_command(implementation: str, drive: Drive, tmp_path: Path) -> None:
    """``uwsgi --http :5000 --gevent 1000 --http-websockets --master --wsgi-file latency.py
    --callable app`` with ``latency.py`` holding the block ``Server(async_mode='gevent_uwsgi')``
    and its WSGIApp."""
    command = guide_command("guide:Gevent with uWSGI#2")
    assert command[:3] == ["uwsgi", "--http", f":{GUIDE_PORT}"], command
    assert command[command.index("--wsgi-file") + 1] == "latency.py", command
    port = harness.free_port()
    argv = [str(ensure_deploy_venv().parent / "uwsgi"), "--http", f":{port}", *command[3:]]
    source = harness.module_source(
        implementation, ["guide:Gevent with uWSGI#1"], epilogue=APP + ECHO + MODE
    )
    (tmp_path / "latency.py").write_text(source)
    env = {
        **harness.server_env(implementation),
        # uWSGI reads UWSGI_<OPTION> as --<option>: exit on SIGTERM (the master would
        # reload), and exit when the app does not load rather than answer 500s
        "UWSGI_DIE_ON_TERM": "1",
        "UWSGI_NEED_APP": "1",
    }
    with harness.run_server(argv, tmp_path, port, env, group=True) as server:
        check_serves(server, drive)
        check_mode(server, drive, "gevent_uwsgi")
