"""Shared fixtures of the generated-client tests: a uvicorn running typed_chat_app."""

from __future__ import annotations

import re
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
