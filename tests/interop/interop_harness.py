"""Process management for the interop suite: servers, client runners, polling.

Everything here is bounded: each subprocess has a deadline and is killed by PID,
readiness is polled, and a wait that runs out fails with what was seen so far.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

import httpx
import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
APPS = HERE / "apps"
SERVER_APP = APPS / "server_app.py"
SYNC_APP = APPS / "sync_app.py"
UWSGI_ENTRY = APPS / "uwsgi_entry.py"
PY_RUNNER = HERE / "pyclient" / "runner.py"
JS_DIR = HERE / "js"
JS_RUNNER = JS_DIR / "runner.js"
VENV = REPO / ".venvs" / "pysio"
REQUIREMENTS = HERE / "requirements-pysio.txt"
# gevent, eventlet and uWSGI live in their own venv, so that installing them does not
# change the automatic async_mode of the rest of the suite; runtime comes from PYTHONPATH
DEPLOY_VENV = REPO / ".venvs" / "deploy"
DEPLOY_REQUIREMENTS = REPO / "tests" / "deploy" / "requirements-deploy.txt"

RUNTIME = "runtime"
PYSIO = "python-socketio"
IMPLS = (RUNTIME, PYSIO)
TRANSPORTS = ("polling", "websocket", "upgrade")

# How the interop app is served (``INTEROP_MODES``). "asgi" is uvicorn; the sync
# ``Server`` runs in "threading" (Werkzeug threaded=True, Gunicorn --threads), "gevent"
# (gevent.pywsgi alone, and with gevent-websocket's handler), "eventlet" (eventlet.wsgi)
# and "gevent_uwsgi" (uWSGI --gevent --http-websockets); the asyncio frameworks serve
# ``apps/<mode>_app.py`` when that module exists.
ASGI = "asgi"
SYNC_SERVERS = {  # mode -> sync_app.py --server
    "threading": "werkzeug",
    "gevent": "gevent",
    "gevent-websocket": "gevent-websocket",
    "eventlet": "eventlet",
}
GREEN_MODES = ("gevent", "gevent-websocket", "eventlet")
FRAMEWORK_MODES = ("aiohttp", "tornado", "sanic")
MODES = (
    ASGI,
    "threading",
    "threading-gunicorn",
    "gevent",
    "gevent-websocket",
    "eventlet",
    "gevent_uwsgi",
    *FRAMEWORK_MODES,
)
# Every scenario runs on these; the other modes run the tests marked ``interop_core``
# (connect, acks, binary, disconnects, burst, msgpack, heartbeat) on every transport:
# the rest exercises the shared protocol code, which a mode's edge does not change.
FULL_MODES = (ASGI, "threading", "gevent")

# Heartbeat profiles. "normal" is short so that a killed polling client is
# noticed within seconds; "fast" is for the raw client that never answers PING.
PROFILES = {"normal": (2.0, 2.0), "fast": (0.5, 0.5)}

SERVER_START_TIMEOUT = 30.0
CLIENT_TIMEOUT = 60.0
STEP_TIMEOUT_MS = 5000

T = TypeVar("T")


# -- which implementations run ---------------------------------------------------


def runtime_import_error() -> str | None:
    """Why ``runtime`` cannot serve yet, or None when it can."""
    try:
        import runtime

        runtime.AsyncServer  # noqa: B018 - the attribute is what we need
        runtime.ASGIApp  # noqa: B018
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def selected_impls() -> list[str]:
    """``INTEROP_IMPLS=runtime,python-socketio``; default: runtime only."""
    raw = os.environ.get("INTEROP_IMPLS", RUNTIME)
    impls = [name.strip() for name in raw.split(",") if name.strip()]
    unknown = [name for name in impls if name not in IMPLS]
    if unknown:
        raise pytest.UsageError(f"INTEROP_IMPLS: unknown {unknown}; choose from {IMPLS}")
    return impls


def framework_app(mode: str) -> Path:
    return APPS / f"{mode}_app.py"


def mode_available(mode: str) -> bool:
    """Framework modes need their app module (written with the mode's runtime support)."""
    return mode not in FRAMEWORK_MODES or framework_app(mode).exists()


def selected_modes() -> list[str]:
    """``INTEROP_MODES=asgi,threading``; default: every mode available here."""
    raw = os.environ.get("INTEROP_MODES", "")
    if not raw.strip():
        return [mode for mode in MODES if mode_available(mode)]
    modes = [name.strip() for name in raw.split(",") if name.strip()]
    unknown = [name for name in modes if name not in MODES]
    if unknown:
        raise pytest.UsageError(f"INTEROP_MODES: unknown {unknown}; choose from {MODES}")
    missing = [name for name in modes if not mode_available(name)]
    if missing:
        raise pytest.UsageError(f"INTEROP_MODES: no app module for {missing}")
    return modes


def is_reference(impl: str) -> bool:
    """True for python-socketio, whose known deviations some tests accept."""
    return impl == PYSIO


# -- environment set-up (session fixtures call these) ----------------------------


def _digest(*paths: Path) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(path.read_bytes())
    return h.hexdigest()


def ensure_pysio_venv() -> Path:
    """Create or refresh ``.venvs/pysio`` from the pinned requirements."""
    python = VENV / "bin" / "python"
    stamp = VENV / ".interop-requirements.sha256"
    wanted = _digest(REQUIREMENTS)
    if python.exists() and stamp.exists() and stamp.read_text().strip() == wanted:
        return python
    if not python.exists():
        _run_setup([sys.executable, "-m", "venv", str(VENV)], "create the pysio venv")
    _run_setup(
        [str(python), "-m", "pip", "install", "--quiet", "-r", str(REQUIREMENTS)],
        "install the pysio requirements",
    )
    stamp.write_text(wanted)
    return python


def ensure_venv(venv: Path, requirements: Path) -> Path:
    """A virtualenv with ``requirements``, created or refreshed on first use."""
    python = venv / "bin" / "python"
    stamp = venv / ".requirements.sha256"
    wanted = _digest(requirements)
    if python.exists() and stamp.exists() and stamp.read_text().strip() == wanted:
        return python
    if not python.exists():
        _run_setup([sys.executable, "-m", "venv", str(venv)], f"create {venv}")
    _run_setup(
        [str(python), "-m", "pip", "install", "--quiet", "-r", str(requirements)],
        f"install {requirements.name} into {venv}",
    )
    stamp.write_text(wanted)
    return python


def ensure_deploy_venv() -> Path:
    """``.venvs/deploy``: gevent, eventlet, uWSGI, Gunicorn, Flask, msgpack (tests/deploy)."""
    return ensure_venv(DEPLOY_VENV, DEPLOY_REQUIREMENTS)


def ensure_node_modules() -> Path:
    """``npm ci`` into tests/interop/js/node_modules when missing or stale."""
    stamp = JS_DIR / "node_modules" / ".interop-lock.sha256"
    wanted = _digest(JS_DIR / "package-lock.json")
    if stamp.exists() and stamp.read_text().strip() == wanted:
        return JS_DIR
    _run_setup(["npm", "ci", "--no-audit", "--no-fund"], "npm ci", cwd=JS_DIR)
    stamp.write_text(wanted)
    return JS_DIR


def _run_setup(cmd: list[str], what: str, cwd: Path | None = None) -> None:
    try:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.fail(f"could not {what}: {exc}", pytrace=False)
    if done.returncode != 0:
        pytest.fail(
            f"could not {what} (exit {done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}",
            pytrace=False,
        )


# -- polling -------------------------------------------------------------------


def poll_until(probe: Callable[[], T | None], timeout: float, what: str) -> T:
    """Call ``probe`` until it returns a truthy value; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}; last: {last!r}")
        time.sleep(0.05)  # a polling interval, not a wait for a condition


def new_tag(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# -- servers ---------------------------------------------------------------------


@dataclass
class Server:
    """One server process serving the interop app for an (impl, serializer, profile, mode)."""

    impl: str
    serializer: str
    profile: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    mode: str = ASGI

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ping_interval(self) -> float:
        return PROFILES[self.profile][0]

    @property
    def ping_timeout(self) -> float:
        return PROFILES[self.profile][1]

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "<no server log>"

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            pytest.fail(
                f"{self.impl} server exited with {self.process.returncode}:\n{self.log_tail()}",
                pytrace=False,
            )

    def state(self, tag: str) -> dict[str, Any]:
        self.check_alive()
        response = httpx.get(f"{self.url}/state", params={"tag": tag}, timeout=5)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def wait_state(
        self, tag: str, probe: Callable[[dict[str, Any]], bool], what: str, timeout: float = 15
    ) -> dict[str, Any]:
        """Poll ``/state`` until ``probe`` accepts it."""

        def check() -> dict[str, Any] | None:
            st = self.state(tag)
            return st if probe(st) else None

        try:
            return poll_until(check, timeout, what)
        except pytest.fail.Exception as exc:
            raise AssertionError(
                f"{exc}\nstate: {self.state(tag)}\nserver log:\n{self.log_tail()}"
            ) from None

    def disconnects(self, tag: str, count: int = 1, timeout: float = 15) -> list[dict[str, Any]]:
        st = self.wait_state(
            tag, lambda s: len(s["disconnects"]) >= count, f"{count} disconnect(s)", timeout
        )
        result: list[dict[str, Any]] = st["disconnects"]
        return result

    def stop(self) -> None:
        _kill(self.process)


def _server_command(
    impl: str,
    mode: str,
    serializer: str,
    profile: str,
    workdir: Path,
    name: str,
    pysio_python: Path | None,
) -> tuple[list[str], dict[str, str], list[socket.socket]]:
    """How to start the app in ``mode``: command, extra environment, sockets to pass."""
    interval, timeout = PROFILES[profile]
    port_file = workdir / f"{name}.port"
    app_args = [
        "--impl",
        impl,
        "--serializer",
        serializer,
        "--ping-interval",
        str(interval),
        "--ping-timeout",
        str(timeout),
        "--port-file",
        str(port_file),
    ]
    live_env = {  # what sync_app.create_app() reads under Gunicorn and uWSGI
        "LIVE_IMPL": impl,
        "LIVE_SERIALIZER": serializer,
        "LIVE_PING_INTERVAL": str(interval),
        "LIVE_PING_TIMEOUT": str(timeout),
    }
    if mode == ASGI:
        python = str(pysio_python) if impl == PYSIO and pysio_python else sys.executable
        return [python, str(SERVER_APP), *app_args], {}, []
    if impl != RUNTIME:
        raise pytest.UsageError(f"mode {mode!r} runs runtime only, not {impl}")
    if mode in FRAMEWORK_MODES:
        return [sys.executable, str(framework_app(mode)), *app_args], {}, []
    if mode in SYNC_SERVERS:
        python = str(ensure_deploy_venv()) if mode in GREEN_MODES else sys.executable
        return [python, str(SYNC_APP), *app_args, "--server", SYNC_SERVERS[mode]], {}, []
    if mode == "threading-gunicorn":
        # Gunicorn binds the socket we pass it: the OS picked the port, nobody races for it
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        port_file.write_text(str(listener.getsockname()[1]))
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "1",
            "--threads",
            "64",
            # Gunicorn drops a connection idle for --keep-alive (2 s by default) without
            # notice; the "normal" profile's PONG POST comes every 2 s on the same
            # connection, so it raced that close and a lost POST lost the DISCONNECT.
            "--keep-alive",
            "10",
            "--bind",
            f"fd://{listener.fileno()}",
            "--no-control-socket",
            "--graceful-timeout",
            "1",
            "--pythonpath",
            str(APPS),
            "sync_app:create_app()",
        ]
        return cmd, {**live_env, "LIVE_ASYNC_MODE": "threading"}, [listener]
    if mode == "gevent_uwsgi":
        uwsgi = ensure_deploy_venv().parent / "uwsgi"
        cmd = [
            str(uwsgi),
            # a shared socket on port 0: the OS picks the port, uWSGI logs it
            "--shared-socket",
            "127.0.0.1:0",
            "--http",
            "=0",
            "--gevent",
            "1000",
            "--http-websockets",
            "--master",
            "--wsgi-file",
            str(UWSGI_ENTRY),
            "--die-on-term",
            "--need-app",  # exit when the app fails to load, instead of answering 500
            "--disable-logging",  # no line per request
        ]
        return cmd, {**live_env, "LIVE_ASYNC_MODE": "gevent_uwsgi"}, []
    raise pytest.UsageError(f"unknown interop mode {mode!r}")


_UWSGI_BOUND = re.compile(rb"uWSGI http bound on 127\.0\.0\.1:(\d+)")


def spawn(
    cmd: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    log_path: Path,
    passed: list[socket.socket] | None = None,
) -> subprocess.Popen[bytes]:
    """Start a server in a session of its own (see ``_kill``), its output in ``log_path``.

    ``passed`` sockets are inherited by the server, then closed here.
    """
    passed = passed or []
    try:
        with log_path.open("wb") as log:
            return subprocess.Popen(
                cmd,
                cwd=cwd,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                pass_fds=tuple(sock.fileno() for sock in passed),
            )
    finally:
        for sock in passed:
            sock.close()  # the server holds its own copy


def wait_healthy(check_alive: Callable[[], None], port: Callable[[], int | None], what: str) -> int:
    """Poll until the server says which port it bound, then until it answers /health."""

    def bound() -> int | None:
        check_alive()
        return port()

    found = poll_until(bound, SERVER_START_TIMEOUT, f"{what} to bind")

    def healthy() -> bool:
        check_alive()
        try:
            return httpx.get(f"http://127.0.0.1:{found}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    poll_until(healthy, SERVER_START_TIMEOUT, f"{what} to answer /health")
    return found


def start_server(
    impl: str,
    serializer: str,
    profile: str,
    workdir: Path,
    pysio_python: Path | None,
    mode: str = ASGI,
) -> Server:
    name = f"{impl}-{mode}-{serializer}-{profile}"
    port_file = workdir / f"{name}.port"
    log_path = workdir / f"{name}.log"
    port_file.unlink(missing_ok=True)  # a restart must not read the last run's port
    cmd, extra_env, passed = _server_command(
        impl, mode, serializer, profile, workdir, name, pysio_python
    )
    env = dict(os.environ, PYTHONUNBUFFERED="1", SIO_IMPL=impl, **extra_env)
    if impl == RUNTIME:
        # the checkout's package first: a stale editable install can otherwise
        # resolve ``runtime`` to an empty namespace package outside the repo root
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    process = spawn(cmd, cwd=REPO, env=env, log_path=log_path, passed=passed)
    server = Server(impl, serializer, profile, process, 0, log_path, mode)
    try:

        def port() -> int | None:
            if mode == "gevent_uwsgi":
                found = _UWSGI_BOUND.search(log_path.read_bytes())
                return int(found.group(1)) if found else None
            text = port_file.read_text().strip() if port_file.exists() else ""
            return int(text) if text else None

        server.port = wait_healthy(server.check_alive, port, name)
    except BaseException:
        server.stop()
        raise
    return server


class ServerPool:
    """Servers started on first use and reused by every test of a module."""

    def __init__(self, workdir: Path, pysio_python: Callable[[], Path]) -> None:
        self.workdir = workdir
        self.pysio_python = pysio_python
        self.servers: dict[tuple[str, str, str, str], Server] = {}
        self.failed: dict[tuple[str, str, str, str], str] = {}

    def get(
        self, impl: str, serializer: str = "default", profile: str = "normal", mode: str = ASGI
    ) -> Server:
        key = (impl, serializer, profile, mode)
        server = self.servers.get(key)
        if server is None:
            if key in self.failed:  # fail fast: one start attempt per module
                pytest.fail(f"{impl}/{mode} did not start: {self.failed[key]}", pytrace=False)
            python = self.pysio_python() if impl == PYSIO else None
            try:
                server = start_server(impl, serializer, profile, self.workdir, python, mode)
            except pytest.fail.Exception as exc:
                self.failed[key] = str(exc)
                raise
            self.servers[key] = server
        server.check_alive()
        return server

    def stop_all(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.servers.clear()


def _kill(process: subprocess.Popen[Any]) -> None:
    """Kill a process we started, by PID, with its children, and reap it.

    Servers start in a session of their own, so their process group is their PID:
    Gunicorn's and uWSGI's workers go with their master.
    """
    # every process here is started with start_new_session=True; a group outlives its
    # reaped leader while a worker lives, and its id is not reused before it is gone
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


# -- clients -------------------------------------------------------------------


@dataclass
class ClientRun:
    """The JSON lines a runner printed, with helpers to pick them."""

    command: list[str]
    lines: list[dict[str, Any]]
    stderr: str
    returncode: int | None

    def events(self, name: str) -> list[dict[str, Any]]:
        return [line for line in self.lines if line.get("event") == name]

    def one(self, name: str) -> dict[str, Any]:
        found = self.events(name)
        assert len(found) == 1, f"expected one {name!r} line, got {found}\n{self.describe()}"
        return found[0]

    def named(self, event: str, name: str) -> dict[str, Any]:
        found = [line for line in self.events(event) if line.get("name") == name]
        assert len(found) == 1, f"expected one {event}/{name}, got {found}\n{self.describe()}"
        return found[0]

    def describe(self) -> str:
        shown = "\n".join(json.dumps(line)[:2000] for line in self.lines)
        return (
            f"command: {' '.join(self.command)}\nstdout:\n{shown}\nstderr:\n{self.stderr[-3000:]}"
        )


@dataclass
class ClientSpec:
    kind: str  # "js" or "py"
    scenario: str
    server: Server
    transport: str
    tag: str
    extra: list[str] = field(default_factory=list)

    def command(self, pysio_python: Path | None) -> list[str]:
        common = [
            "--scenario",
            self.scenario,
            "--url",
            self.server.url,
            "--transport",
            self.transport,
            "--tag",
            self.tag,
        ]
        if self.kind == "js":
            parser = "msgpack" if self.server.serializer == "msgpack" else "json"
            return [
                "node",
                str(JS_RUNNER),
                *common,
                "--parser",
                parser,
                "--timeout",
                str(STEP_TIMEOUT_MS),
                *self.extra,
            ]
        assert pysio_python is not None
        return [
            str(pysio_python),
            str(PY_RUNNER),
            *common,
            "--serializer",
            self.server.serializer,
            "--timeout",
            str(STEP_TIMEOUT_MS / 1000),
            *self.extra,
        ]


def _parse_lines(text: str) -> list[dict[str, Any]]:
    lines = []
    for raw in text.splitlines():
        raw = raw.strip()
        if not raw:
            continue
        try:
            lines.append(json.loads(raw))
        except json.JSONDecodeError:
            lines.append({"event": "unparsed", "text": raw})
    return lines


def run_client(
    spec: ClientSpec, pysio_python: Path | None, timeout: float = CLIENT_TIMEOUT
) -> ClientRun:
    """Run a scenario to completion; fail clearly on a hang, a crash or an error line."""
    cmd = spec.command(pysio_python)
    spec.server.check_alive()
    try:
        done = subprocess.run(cmd, cwd=HERE, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:  # subprocess.run killed the child
        run = ClientRun(cmd, _parse_lines(_text(exc.stdout)), _text(exc.stderr), None)
        pytest.fail(
            f"{spec.kind} scenario {spec.scenario!r} hung for {timeout} s\n{run.describe()}"
            f"\nserver log:\n{spec.server.log_tail()}",
            pytrace=False,
        )
    run = ClientRun(cmd, _parse_lines(_text(done.stdout)), _text(done.stderr), done.returncode)
    if done.returncode != 0 or not run.lines or run.lines[-1].get("event") != "done":
        pytest.fail(
            f"{spec.kind} scenario {spec.scenario!r} failed (exit {done.returncode})\n"
            f"{run.describe()}\nserver log:\n{spec.server.log_tail()}",
            pytrace=False,
        )
    return run


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data.decode(errors="replace") if isinstance(data, bytes) else data


class LiveClient:
    """A runner kept alive while the test acts on it (e.g. kills it)."""

    def __init__(self, spec: ClientSpec, pysio_python: Path | None) -> None:
        self.command = spec.command(pysio_python)
        self.process = subprocess.Popen(
            self.command,
            cwd=HERE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self.lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        assert self.process.stdout is not None
        self._reader = threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True)
        self._reader.start()

    def _read(self, stream: IO[bytes]) -> None:
        for raw in stream:
            for line in _parse_lines(raw.decode(errors="replace")):
                self.lines.put(line)
        self.lines.put(None)  # end of output

    def expect(self, event: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                line = self.lines.get(timeout=max(remaining, 0.001))
            except queue.Empty:
                line = None
                remaining = 0
            if line is not None:
                self.seen.append(line)
                if line.get("event") == event:
                    return line
                continue
            self.kill()
            stderr = (
                self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
            )
            why = "timed out" if remaining <= 0 else "ended"
            pytest.fail(
                f"client {why} before {event!r}: {self.seen}\n{stderr[-3000:]}", pytrace=False
            )

    def kill(self) -> None:
        _kill(self.process)

    def close(self) -> None:
        self.kill()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        self._reader.join(timeout=5)


@contextlib.contextmanager
def live_client(spec: ClientSpec, pysio_python: Path | None) -> Iterator[LiveClient]:
    client = LiveClient(spec, pysio_python)
    try:
        yield client
    finally:
        client.close()
