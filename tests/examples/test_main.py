"""`python -m examples.chat`: checks generated/, rebuilds it when stale, then serves.

Each test runs the command in a copy of the parts of the repo it reads (contracts/,
generated/, examples/), so a rebuild never touches the real tree.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.examples.harness import ROOT, running

SERVING = re.compile(r"chat demo on http://127\.0\.0\.1:(\d+)/")
GENERATED_CHAT = Path("generated", "server", "chat.py")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name in ("contracts", "generated"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(
        ROOT / "examples",
        tmp_path / "examples",
        ignore=shutil.ignore_patterns("__pycache__", "node_modules"),
    )
    bundle = ROOT / "examples" / "chat" / "node_modules"
    if bundle.exists():  # the bundle install is covered by the browser test's server
        (tmp_path / "examples" / "chat" / "node_modules").symlink_to(bundle)
    # Start from a current generated/, whatever state the working tree is in.
    build = [sys.executable, "-m", "sdkgen", "build", "contracts", "--quiet"]
    done = subprocess.run(build, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return tmp_path


def serve_and_fetch(tree: Path) -> str:
    """Run the demo command in `tree`, fetch its page, stop it; return its output."""
    log_path = tree / "demo.log"
    command = [sys.executable, "-m", "examples.chat", "--port", str(free_port())]
    with running(command, log_path, SERVING, cwd=tree, timeout=120) as (_, match):
        url = f"http://127.0.0.1:{match[1]}"
        page = poll_get(f"{url}/")
        assert page.status_code == 200 and "runtime chat" in page.text
        bundle = poll_get(f"{url}/static/socket.io.min.js")
        assert bundle.status_code == 200 and bundle.headers["content-type"].endswith("javascript")
    return log_path.read_text()


def poll_get(url: str, timeout: float = 30.0) -> httpx.Response:
    """GET `url`, retrying while the server is not accepting connections yet."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)  # polling interval


def test_serves_when_generated_is_current(tree: Path) -> None:
    output = serve_and_fetch(tree)
    assert "generated/ is up to date" in output
    assert "rebuilding" not in output
    assert "moderator token for /moderation:" in output


def test_rebuilds_stale_generated_code_first(tree: Path) -> None:
    fresh = (tree / GENERATED_CHAT).read_text()
    (tree / GENERATED_CHAT).write_text(fresh.replace("Chat rooms:", "Stale rooms:"))
    output = serve_and_fetch(tree)
    assert "generated/ is stale; rebuilding" in output
    assert "/chat -> generated/server/chat.py" in output
    assert (tree / GENERATED_CHAT).read_text() == fresh


def test_stops_on_broken_contracts(tree: Path) -> None:
    contract = tree / "contracts" / "chat.py"
    source = contract.read_text()
    # Two client events with one wire name: a contract error, so nothing may start.
    contract.write_text(source.replace('name="join", deprecated', 'name="room:join", deprecated'))
    done = subprocess.run(
        [sys.executable, "-m", "examples.chat", "--port", str(free_port())],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "sdkgen failed (exit 3)" in done.stderr
