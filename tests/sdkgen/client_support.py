"""Shared fixtures of the generated-code tests: the chat apps (async under uvicorn, sync under
Werkzeug) in subprocesses, and contracts built at another version."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from tests.sdkgen.helpers import ROOT

READY = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")
CLIENT_PY = ROOT / "generated" / "client_py"
CLIENT_TS = ROOT / "generated" / "client_ts"


def start_uvicorn(app: str, log_path: Path, port: int = 0) -> tuple[subprocess.Popen[bytes], int]:
    """Start uvicorn on `port` (0: the OS picks); wait (bounded) until it listens."""
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    start = log_path.stat().st_size if log_path.exists() else 0
    deadline = time.monotonic() + 30
    while True:
        text = log_path.read_text(errors="replace")
        match = READY.search(text, start if port == 0 else 0)
        if match and (port == 0 or int(match[1]) == port):
            return process, int(match[1])
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            raise RuntimeError(f"uvicorn did not start (exit {process.poll()}):\n{text}")
        time.sleep(0.05)  # readiness polling interval


def start_sync_chat(log_path: Path) -> tuple[subprocess.Popen[bytes], int]:
    """`apps/typed_chat_sync_app.py` (the sync twin under Werkzeug threaded), port from the OS."""
    port_file = log_path.with_suffix(".port")
    port_file.unlink(missing_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.sdkgen.apps.typed_chat_sync_app", str(port_file)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while not port_file.exists():  # written (atomically) once the server listens
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            text = log_path.read_text(errors="replace")
            raise RuntimeError(f"the sync chat app did not start (exit {process.poll()}):\n{text}")
        time.sleep(0.05)  # readiness polling interval
    return process, int(port_file.read_text())


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def served(app: str, log_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes], int]]:
    process, port = start_uvicorn(app, log_path)
    try:
        yield f"http://127.0.0.1:{port}", process, port
    finally:
        stop(process)


def build_chat_at(version: str, root: Path) -> Path:
    """`sdkgen build` of a copy of contracts/ whose /chat contract says `version`.

    Stands for a client generated from another release of the contracts; returns the
    output directory (with `client_py/` and `client_ts/`).
    """
    from generated.server.chat import VERSION

    contracts = shutil.copytree(
        ROOT / "contracts", root / "contracts", ignore=shutil.ignore_patterns("__pycache__")
    )
    chat = contracts / "chat.py"
    text = chat.read_text()
    assert text.count(f'version="{VERSION}"') == 1, "the /chat Namespace(version=...) moved"
    chat.write_text(text.replace(f'version="{VERSION}"', f'version="{version}"'))
    out = root / "generated"
    done = subprocess.run(
        [sys.executable, "-m", "sdkgen", "build", str(contracts), "--out", str(out), "--quiet"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out
