"""The sync ``Server`` on real WSGI servers: now part of the interop suite.

The live runs that were here (Werkzeug, Gunicorn ``--threads``, gevent.pywsgi with
and without gevent-websocket, eventlet, driven by the JavaScript and python-socketio
clients) are the ``threading``, ``threading-gunicorn``, ``gevent``,
``gevent-websocket`` and ``eventlet`` modes of ``tests/interop`` (parametrised over
every mode, see ``interop_harness.MODES``), and ``tests/deploy`` runs the user
guide's deployment recipes. What stays is ``ensure_green_venv`` (``.venvs/green``),
which the guide's examples in ``tests/seeds`` use.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
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
