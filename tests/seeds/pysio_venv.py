"""The python-socketio virtualenv the seed tests drive clients (and the reference server) from.

python-socketio never goes into the system Python, where ``runtime`` is tested.
The shared ``.venvs/pysio`` (built by the interop suite) is used when it is
complete; otherwise ``.venvs/pysio-seeds`` is created, under a file lock so
parallel sessions build it once.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / ".venvs" / "pysio"
OWN = ROOT / ".venvs" / "pysio-seeds"
_MARKER = "seeds-pins.txt"

# What the venv must be able to import: the client, its transport, and a
# server stack for the python-socketio reference run.
_READY_CHECK = (
    "import importlib.metadata as m, socketio, aiohttp, uvicorn;"
    "assert m.version('python-socketio').startswith('5.')"
)


def pins() -> list[str]:
    uvicorn = metadata.version("uvicorn")  # the same server stack as the system Python
    return ["python-socketio[asyncio_client]==5.*", "aiohttp", f"uvicorn[standard]=={uvicorn}"]


def _ready(python: Path) -> bool:
    if not python.exists():
        return False
    probe = subprocess.run([str(python), "-c", _READY_CHECK], capture_output=True, timeout=60)
    return probe.returncode == 0


def _build(venv: Path) -> Path:
    python = venv / "bin" / "python"
    wanted = "\n".join(pins()) + "\n"
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f"{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        marker = venv / _MARKER
        if marker.exists() and marker.read_text() == wanted and _ready(python):
            return python
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                *pins(),
            ],
            check=True,
            timeout=900,
        )
        marker.write_text(wanted)
    return python


def ensure() -> Path:
    """Return the interpreter of a ready python-socketio venv, building one if needed."""
    override = os.environ.get("SEEDS_PYSIO_PYTHON")
    if override:
        return Path(override)
    shared = SHARED / "bin" / "python"
    if _ready(shared):
        return shared
    return _build(OWN)


if __name__ == "__main__":
    print(ensure())
