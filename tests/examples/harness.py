"""Processes for the example's tests: the chat server on uvicorn, bounded and killed by PID."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
MODERATOR_TOKEN = "moderator-token-for-the-tests"
READY = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")
START_TIMEOUT = 30.0


def wait_for_output(
    process: subprocess.Popen[bytes], log_path: Path, pattern: re.Pattern[str], timeout: float
) -> re.Match[str]:
    """Poll the process's log until `pattern` shows up; fail if it exits or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        text = log_path.read_text(errors="replace")
        if match := pattern.search(text):
            return match
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"no {pattern.pattern!r} (exit {process.poll()}):\n{text}", pytrace=False)
        time.sleep(0.05)  # polling interval, not a wait for a condition


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@contextmanager
def running(
    command: list[str],
    log_path: Path,
    ready: re.Pattern[str],
    *,
    cwd: Path = ROOT,
    env: Mapping[str, str] | None = None,
    timeout: float = START_TIMEOUT,
) -> Iterator[tuple[subprocess.Popen[bytes], re.Match[str]]]:
    """Start `command`, yield once its output matches `ready`, always stop it by PID."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, env=dict(env or os.environ)
        )
    try:
        yield process, wait_for_output(process, log_path, ready, timeout)
    finally:
        stop(process)


@dataclass(frozen=True, slots=True)
class Served:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def login(url: str, name: str) -> dict[str, Any]:
    """``POST /api/login`` on the example app: ``{"token": ..., "user": {...}}``.

    (``pysio_chat_client.py`` runs in python-socketio's venv and has its own copy.)
    """
    request = urllib.request.Request(
        f"{url}/api/login",
        data=json.dumps({"name": name}).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=START_TIMEOUT) as response:
        result: dict[str, Any] = json.loads(response.read())
        return result


@contextmanager
def chat_server(log_path: Path, port: int = 0) -> Iterator[Served]:
    """The example app on uvicorn, on `port` (0: a port the OS picks)."""
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "examples.chat.app:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),  # uvicorn logs the port it got
    ]
    env = dict(os.environ, CHAT_MODERATOR_TOKEN=MODERATOR_TOKEN)
    with running(command, log_path, READY, env=env) as (process, match):
        yield Served(f"http://127.0.0.1:{match[1]}", process, log_path)


def setup_step(command: list[str], what: str, cwd: Path | None = None) -> None:
    """Run a set-up command (bounded); fail the test with its output when it fails."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        done = subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.fail(f"test set-up: could not {what}: {exc}", pytrace=False)
    if done.returncode != 0:
        pytest.fail(
            f"test set-up: could not {what} (exit {done.returncode}); "
            f"`{' '.join(command)}` said:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}",
            pytrace=False,
        )


def npm_ci(directory: Path) -> Path:
    """`npm ci` in `directory` unless its node_modules was made from the current lock."""
    stamp = directory / "node_modules" / ".lock.sha256"
    wanted = hashlib.sha256((directory / "package-lock.json").read_bytes()).hexdigest()
    if not (stamp.exists() and stamp.read_text().strip() == wanted):
        setup_step(["npm", "ci", "--no-audit", "--no-fund"], f"npm ci in {directory}", directory)
        stamp.write_text(wanted)
    return directory / "node_modules"
