"""The official Socket.IO Admin UI, in Debian's chromium, against ``sio.instrument()``.

The UI (npm ``@socket.io/admin-ui``'s build, served by runtime's ``static_files``)
connects to ``/admin`` on load; a socket.io-client from Node connects as an
application client and joins a room; the UI's Sockets, Rooms and Servers pages must
show that client, its room and the server. Set-up (apt chromium, ``npm ci``) is
part of the test, as for the chat example's browser test.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.examples.harness import setup_step
from tests.examples.test_browser import PNG
from tests.seeds import harness

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SCRIPT = HERE / "admin_ui_e2e.mjs"
DIST = HERE / "node_modules" / "@socket.io" / "admin-ui" / "ui" / "dist"

pytestmark = [pytest.mark.interop, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def node_modules() -> Path:
    """`npm ci` here when node_modules is missing or older than the lock file."""
    stamp = HERE / "node_modules" / ".lock.sha256"
    wanted = hashlib.sha256((HERE / "package-lock.json").read_bytes()).hexdigest()
    if not (stamp.exists() and stamp.read_text().strip() == wanted):
        setup_step(["npm", "ci", "--no-audit", "--no-fund"], "npm ci the Admin UI", HERE)
        stamp.write_text(wanted)
    return HERE / "node_modules"


@pytest.fixture
def server(node_modules: Path, tmp_path: Path) -> Iterator[str]:
    port = harness.free_port()
    env = dict(os.environ, ADMIN_UI_DIST=str(DIST), PYTHONPATH=str(REPO))
    argv = [sys.executable, "-m", "uvicorn", "tests.admin_ui.admin_app:app"]
    argv += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    with harness.run_server(argv, tmp_path, port, env) as served:
        yield served.url
        assert "Traceback" not in served.stderr(), served.stderr()


def test_admin_ui_shows_clients_rooms_and_server(
    chromium: Path, server: str, tmp_path: Path
) -> None:
    screenshot = tmp_path / "admin-ui.png"
    done = subprocess.run(
        ["node", str(SCRIPT), str(chromium), server, str(screenshot)],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=180,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no result from the browser script:\n{done.stdout}\n{done.stderr}"
    result = json.loads(lines[-1])
    assert result["ok"], json.dumps(result, indent=2)
    names = [step["name"] for step in result["steps"]]
    assert names == ["user connected", "socket listed", "room listed", "server listed"]
    assert result["steps"][0]["ack"] == {"from": "node"}
    assert screenshot.read_bytes().startswith(PNG)
