"""`python -m examples.chat`: checks generated/ and the page, rebuilds them when stale, serves.

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

from examples.chat.__main__ import STAMP
from tests.examples.harness import ROOT, npm_ci, running

SERVING = re.compile(r"chat demo on http://127\.0\.0\.1:(\d+)/")
GENERATED_CHAT = Path("generated", "server", "chat.py")
WEB = Path("examples", "chat", "web")
PAGE = Path("examples", "chat", "static", "index.html")
BUILDING = "building the page: examples/chat/web -> static/index.html"


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
    # The page's toolchain, installed once from its lock (`npm ci` is not what is tested).
    (tmp_path / WEB / "node_modules").symlink_to(npm_ci(ROOT / WEB), target_is_directory=True)
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
        assert page.headers["content-type"] == "text/html"
        assert page.text == (tree / PAGE).read_text(encoding="utf-8")
    # The page is current: its stamp is the digest of what it is built from now.
    assert page_digest_in(tree) in page.text
    return log_path.read_text()


def page_digest_in(tree: Path) -> str:
    """`page_digest()` of the copy (the module computes it for the real tree)."""
    code = "from examples.chat.__main__ import page_digest; print(page_digest())"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tree, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


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
    page = (tree / PAGE).read_text(encoding="utf-8")
    assert STAMP.search(page) is not None
    # The bundle is inline (the app serves only "/"): no script is fetched from elsewhere.
    assert "<script src" not in page and page.count("<script>") == 1
    # It is the generated client's code: the wrapper's error event and request names.
    assert "sdkgen:error" in page and "room:join" in page


def test_rebuilds_the_page_when_its_sources_change(tree: Path) -> None:
    main = tree / WEB / "src" / "main.ts"
    main.write_text(main.read_text().replace("no answer from the server", "the server is mute"))
    output = serve_and_fetch(tree)
    assert BUILDING in output
    assert "the server is mute" in (tree / PAGE).read_text(encoding="utf-8")
    assert BUILDING not in serve_and_fetch(tree)  # built once, then current


def test_rebuilds_the_page_after_a_contract_change(tree: Path) -> None:
    """contracts/ -> generated/client_ts -> the page: one command brings both up to date."""
    contract = tree / "contracts" / "chat.py"
    contract.write_text(contract.read_text().replace("Chat rooms:", "Chat rooms, v2:"))
    page_before = (tree / PAGE).read_text(encoding="utf-8")
    output = serve_and_fetch(tree)  # also asserts the page's stamp is the new digest
    assert "generated/ is stale; rebuilding" in output
    assert "Chat rooms, v2:" in (tree / "generated" / "client_ts" / "chat.ts").read_text()
    assert output.index("rebuilding") < output.index(BUILDING)
    assert (tree / PAGE).read_text(encoding="utf-8") != page_before


def test_a_page_that_does_not_type_check_stops_the_demo(tree: Path) -> None:
    main = tree / WEB / "src" / "main.ts"
    # A payload the contract does not allow: esbuild would bundle it, tsc refuses it.
    main.write_text(main.read_text().replace("{ room: shown, active: true }", "{ room: shown }"))
    before = (tree / PAGE).read_bytes()
    done = subprocess.run(
        [sys.executable, "-m", "examples.chat", "--port", str(free_port())],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "tsc (type-checking the page) failed" in done.stderr
    assert "active" in done.stderr
    assert (tree / PAGE).read_bytes() == before


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
