"""Serve guide blocks with uvicorn in a subprocess and drive them with real clients.

A guide block runs as the user would run it: its text, unchanged, pasted into
a module after a prelude that provides only what the guide says exists at that
point (``sio``, the user's own helpers), followed by an epilogue (``app``, test
probes). ``socketio`` is made to mean ``runtime`` by import aliasing, so
``import socketio`` inside a block also gets ``runtime``.

``SEEDS_IMPL=python-socketio`` runs the same modules on python-socketio in its
virtualenv instead: the reference the suite was validated against.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.seeds.extract import Block, all_blocks

IMPLS = ("runtime", "python-socketio")

# Bounds for every wait in the suite: readiness, output, client steps.
START_TIMEOUT = 20.0
WAIT_TIMEOUT = 10.0


def driver_timeout(steps: int) -> float:
    """The client driver bounds each step by 2 x WAIT_TIMEOUT (STEP_LIMIT), and the close."""
    return 10.0 + 2 * WAIT_TIMEOUT * (steps + 1)


_ALIAS = {
    "runtime": (
        "import sys\n"
        "import runtime\n"
        "import runtime.exceptions\n"
        "\n"
        "# `socketio` is runtime: blocks that `import socketio` get it too.\n"
        "sys.modules['socketio'] = runtime\n"
        "sys.modules['socketio.exceptions'] = runtime.exceptions\n"
        "import socketio\n"
    ),
    "python-socketio": (
        "import sys\n"
        "\n"
        "# python-engineio auto-detects async_mode as the first importable driver of\n"
        "# aiohttp, sanic, tornado, asgi; aiohttp is here for the client and the sanic\n"
        "# driver imports without sanic. Block both so AsyncServer() means 'asgi'.\n"
        "sys.modules['engineio.async_drivers.aiohttp'] = None\n"
        "sys.modules['engineio.async_drivers.sanic'] = None\n"
        "import socketio\n"
    ),
}

DRIVER = Path(__file__).with_name("client_driver.py")


def impl() -> str:
    name = os.environ.get("SEEDS_IMPL", "runtime")
    if name not in IMPLS:
        raise ValueError(f"SEEDS_IMPL must be one of {IMPLS}, not {name!r}")
    return name


_BLOCKS: dict[str, Block] = {}


def block(key: str) -> Block:
    if not _BLOCKS:
        _BLOCKS.update((b.key, b) for b in all_blocks())
    return _BLOCKS[key]


def module_source(
    implementation: str, blocks: Sequence[str], prelude: str = "", epilogue: str = ""
) -> str:
    """The text of a server module: alias, prelude, the blocks verbatim, epilogue."""
    parts = [_ALIAS[implementation], "# --- prelude (harness) ---\n" + prelude]
    for key in blocks:
        b = block(key)
        parts.append(f"# --- {b.guide} line {b.line}: {key} (unchanged) ---\n{b.text}")
    parts.append("# --- epilogue (harness) ---\n" + epilogue)
    return "\n".join(parts)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


@dataclass
class Server:
    """A running server subprocess and its captured output."""

    proc: subprocess.Popen[bytes]
    port: int
    workdir: Path
    _stdout: Path = field(repr=False)
    _stderr: Path = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stdout(self) -> str:
        return self._stdout.read_text(errors="replace")

    def stderr(self) -> str:
        return self._stderr.read_text(errors="replace")

    def wait_output(self, text: str, timeout: float = WAIT_TIMEOUT) -> None:
        """Wait until the server printed a line equal to ``text``."""
        try:
            wait_until(lambda: text in self.stdout().splitlines(), timeout, repr(text))
        except AssertionError as exc:
            raise AssertionError(
                f"{exc}\nstdout:\n{self.stdout()}\nstderr:\n{self.stderr()}"
            ) from None

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> Response:
        return http_get(self.url + path, headers)


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


def http_get(url: str, headers: Mapping[str, str] | None = None) -> Response:
    request = urllib.request.Request(url, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=WAIT_TIMEOUT) as reply:
            return Response(
                reply.status, {k.lower(): v for k, v in reply.headers.items()}, reply.read()
            )
    except urllib.error.HTTPError as err:
        return Response(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())


ROOT = Path(__file__).resolve().parents[2]


def server_python(implementation: str, pysio_python: Path) -> Path:
    return Path(sys.executable) if implementation == "runtime" else pysio_python


def server_env(implementation: str) -> dict[str, str]:
    """The server's environment: ``runtime`` is this checkout's, whatever is installed."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if implementation == "runtime":
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@contextmanager
def run_server(
    argv: Sequence[str],
    workdir: Path,
    port: int,
    env: Mapping[str, str],
    *,
    group: bool = False,
) -> Iterator[Server]:
    """Start ``argv`` in ``workdir``; yield once ``port`` accepts; kill it by PID at the end.

    ``group``: the server forks workers (uWSGI, Gunicorn); it runs in a session of its
    own, and whatever is left of that process group is killed with it.
    """
    out, err = workdir / "server.stdout", workdir / "server.stderr"
    with open(out, "wb") as out_f, open(err, "wb") as err_f:
        proc = subprocess.Popen(
            list(argv),
            cwd=workdir,
            stdout=out_f,
            stderr=err_f,
            env=dict(env),
            start_new_session=group,
        )
    server = Server(proc, port, workdir, out, err)
    try:

        def up() -> bool:
            if proc.poll() is not None:
                raise AssertionError(
                    f"server exited with {proc.returncode}:\n{server.stdout()}\n{server.stderr()}"
                )
            return _listening(port)

        wait_until(up, START_TIMEOUT, f"{argv} to listen on {port}")
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if group:  # the group's id is the server's PID, not reused while a member lives
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)


# The module's listening port, for blocks that pick their own (a guide's 5000 or
# 8000): the harness substitutes a free one, and that is the only change it makes.
PORT_TOKEN = "__SEEDS_PORT__"


@dataclass(frozen=True, slots=True)
class Runner:
    """How a server module is run: the command, and which interpreter runs it.

    ``argv`` gets the interpreter, the module name and the port; ``green`` runners need
    gevent or eventlet, which live in their own venv (tests/runtime/requirements-green.txt).
    """

    name: str
    argv: Callable[[Path, str, int], list[str]]
    green: bool = False


UVICORN = Runner(
    "uvicorn",
    lambda python, module, port: [
        *(str(python), "-m", "uvicorn", f"{module}:app"),
        *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
        # long-polls may be pending at teardown
        *("--timeout-graceful-shutdown", "1"),
    ],
)
# The guide's threaded deployment (Gunicorn section): one worker, 100 threads.
GUNICORN_THREADS = Runner(
    "gunicorn-threads",
    lambda python, module, port: [
        *(str(python), "-m", "gunicorn", "--workers", "1", "--threads", "100"),
        *("--bind", f"127.0.0.1:{port}", "--graceful-timeout", "1", f"{module}:app"),
    ],
)
# A block that starts its own server (pywsgi, eventlet.wsgi, Flask's app.run).
# Their listen address is the guide's ``('', 8000)``: the harness swaps in a free port.
SCRIPT = Runner("script", lambda python, module, port: [str(python), f"{module}.py"])
GUIDE_LISTEN = "('', 8000)"
GREEN_SCRIPT = Runner(SCRIPT.name + "-green", SCRIPT.argv, green=True)


@contextmanager
def serve_module(
    source: str,
    workdir: Path,
    python: Path,
    env: Mapping[str, str],
    files: Mapping[str, bytes] | None = None,
    module: str = "seedapp",
    runner: Runner = UVICORN,
) -> Iterator[Server]:
    """Write ``source`` as ``module``.py (plus ``files``) and serve it with ``runner``."""
    workdir.mkdir(parents=True, exist_ok=True)
    for name, content in (files or {}).items():
        path = workdir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    port = free_port()
    source = source.replace(PORT_TOKEN, str(port))
    if runner.argv is SCRIPT.argv:
        source = source.replace(GUIDE_LISTEN, f"('', {port})")
    (workdir / f"{module}.py").write_text(source)
    with run_server(runner.argv(python, module, port), workdir, port, env) as server:
        yield server


@dataclass(frozen=True, slots=True)
class Drive:
    """What the clients saw: one result per step, and every event per client."""

    results: list[Any]
    events: dict[str, list[list[Any]]]
    late: dict[str, Any]

    def received(self, client: str, event: str, namespace: str = "/") -> list[list[Any]]:
        """The argument lists of every ``event`` that ``client`` received on ``namespace``."""
        return [
            args
            for ns, name, args in self.events.get(client, [])
            if (ns, name) == (namespace, event)
        ]


class Driver:
    """A python-socketio client process that runs one request of steps at a time.

    One process serves a whole session (starting Python and importing aiohttp
    costs about a second); a request with a ``crash`` step gets its own process,
    since crashing is how that step ends.
    """

    def __init__(self, pysio_python: Path, log: Path) -> None:
        self.pysio_python = pysio_python
        self.log = log
        self._proc: subprocess.Popen[bytes] | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            with open(self.log, "ab") as log:
                self._proc = subprocess.Popen(
                    [str(self.pysio_python), str(DRIVER), "--serve"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=log,
                )
        return self._proc

    def close(self) -> None:
        if self._proc is not None:
            proc, self._proc = self._proc, None
            assert proc.stdin is not None
            proc.stdin.close()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)

    def run(
        self, url: str, steps: Sequence[Mapping[str, Any]], server: Server | None = None
    ) -> Drive:
        request = json.dumps({"url": url, "steps": list(steps), "timeout": WAIT_TIMEOUT})
        if any(step["op"] == "crash" for step in steps):
            return self._run_once(request, len(steps), server)
        proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(request.encode() + b"\n")
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], driver_timeout(len(steps)))
        line = proc.stdout.readline() if ready else b""
        if not line:
            self.close()  # hung or died: the next request gets a fresh process
            raise AssertionError(self._failure("no answer from the client driver", server))
        return _outcome(line)

    def _run_once(self, request: str, steps: int, server: Server | None) -> Drive:
        with open(self.log, "ab") as log:
            done = subprocess.run(
                [str(self.pysio_python), str(DRIVER)],
                input=request.encode(),
                stdout=subprocess.PIPE,
                stderr=log,
                timeout=driver_timeout(steps),
            )
        if done.returncode != 0:
            raise AssertionError(self._failure("the client driver failed", server))
        return _outcome(done.stdout.strip().splitlines()[-1])

    def _failure(self, what: str, server: Server | None) -> str:
        detail = f"\nserver stderr:\n{server.stderr()}" if server else ""
        log = self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""
        return f"{what}; driver log:\n{log}{detail}"


def _outcome(line: bytes) -> Drive:
    outcome = json.loads(line)
    return Drive(outcome["results"], outcome["events"], outcome["late"])
