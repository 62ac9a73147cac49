"""The python-socketio virtualenv: created on demand, pinned, never the system Python.

uvicorn and its speedups (uvloop, httptools, websockets), and the redis client
of the cluster scenario, are pinned to the versions installed in the system Python,
so both servers run the same stack.
"""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venvs" / "pysio-bench"
PYSIO_PINS = ("python-socketio==5.18.1", "python-engineio==4.15.1")
SHARED_STACK = ("uvicorn", "uvloop", "httptools", "websockets", "redis")
SYNC_STACK = (
    "simple-websocket==1.1.0",
    "wsproto==1.3.2",
    "gunicorn==25.3.0",
    "gevent==26.9.0",
    "gevent-websocket==0.10.1",
)
_MARKER = "bench-pins.txt"


def pins() -> list[str]:
    """Everything the venv must hold; the shared stack at the system Python's versions."""
    shared = []
    for dist in SHARED_STACK:
        version = metadata.version(dist)
        extra = "[standard]" if dist == "uvicorn" else ""
        shared.append(f"{dist}{extra}=={version}")
    return [*PYSIO_PINS, *shared, *SYNC_STACK]


def python() -> Path:
    return VENV / "bin" / "python"


def ensure(log: bool = True) -> Path:
    """Create or refresh the venv when its pins changed; return its interpreter."""
    wanted = "\n".join(pins()) + "\n"
    marker = VENV / _MARKER
    if python().exists() and marker.exists() and marker.read_text() == wanted:
        return python()
    if log:
        print(f"[bench] creating {VENV} with {' '.join(pins())}", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    subprocess.run(
        [str(python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *pins()],
        check=True,
        timeout=900,
    )
    marker.write_text(wanted)
    return python()


if __name__ == "__main__":
    print(ensure())
