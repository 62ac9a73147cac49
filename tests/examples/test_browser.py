"""The chat page in a real browser: two headless chromium pages talk through the example.

The page is examples/chat/web (TypeScript on the generated client in generated/client_ts)
bundled into static/index.html. Set-up is part of the test, since CI starts on a fresh
machine: Debian's chromium is installed with apt when /usr/bin/chromium is missing,
playwright-core (which drives it, and downloads no browser) with `npm ci` from the
committed lock file, and the page is rebuilt the way `python -m examples.chat` does when
its sources or the generated client changed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from examples.chat.__main__ import ensure_page
from tests.examples.harness import HERE, Served, chat_server, npm_ci, setup_step

CHROMIUM = Path("/usr/bin/chromium")
# Reactions are emoji; without a colour emoji font the screenshots show empty boxes.
EMOJI_FONT = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
PACKAGES = {CHROMIUM: "chromium", EMOJI_FONT: "fonts-noto-color-emoji"}
BROWSER_DIR = HERE / "browser"
SCRIPT = BROWSER_DIR / "chat_e2e.mjs"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's chromium (and an emoji font), installed with apt-get when missing."""
    missing = [package for path, package in PACKAGES.items() if not path.exists()]
    if missing:
        if shutil.which("apt-get") is None:
            pytest.fail(f"browser test set-up: {missing} missing and no apt-get", pytrace=False)
        setup_step(["apt-get", "update"], f"apt-get update (needed to install {missing})")
        setup_step(["apt-get", "install", "-y", *missing], f"apt-get install {missing}")
    if not CHROMIUM.exists():
        pytest.fail(f"browser test set-up: chromium installed but {CHROMIUM} missing")
    return CHROMIUM


@pytest.fixture(scope="session")
def playwright() -> Path:
    """`npm ci` in tests/examples/browser when node_modules is missing or stale."""
    npm_ci(BROWSER_DIR)
    return BROWSER_DIR


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    ensure_page()
    with chat_server(tmp_path_factory.mktemp("browser-chat") / "uvicorn.log") as served:
        yield served


@pytest.mark.timeout(1800)  # the first run on a machine installs chromium with apt
def test_two_browser_pages_chat(
    chromium: Path, playwright: Path, served: Served, tmp_path: Path
) -> None:
    shots = Path(os.environ.get("CHAT_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["node", str(SCRIPT), served.url, str(shots)],
        cwd=playwright,
        capture_output=True,
        text=True,
        timeout=120,
    )
    steps: dict[str, dict[str, Any]] = {}
    for line in done.stdout.splitlines():
        record = json.loads(line)
        steps[record.pop("step")] = record
    assert done.returncode == 0 and "done" in steps, (
        done.stdout[-5000:] + done.stderr[-5000:] + served.log()[-3000:]
    )

    assert sorted(steps["members"]["alice"]) == ["alice (you)", "bob"]
    assert sorted(steps["members"]["bob"]) == ["alice", "bob (you)"]
    assert steps["typing"]["alice"] == "bob is typing…"
    # Alice's page shows bob's message (author, text); bob's input is cleared after the ack.
    assert steps["message"]["alice"] == ["bob", "hello from bob"]
    assert steps["message"]["bob_input"] == ""
    assert steps["reply"]["bob"] == ["hello from bob", "hi bob, welcome"]
    assert "alice joined" not in steps["reply"]["log"]  # bob joined after alice
    assert ["bob", "away"] in steps["away"]["alice"]
    # The page answered the server's delivery check; the message it lacked came back.
    assert steps["caught_up"]["bob"] == ["hello from bob", "hi bob, welcome"]
    # A wrong password: the request promise rejected with the typed AckError, bob stays put.
    error_ack = steps["error_ack"]
    assert error_ack["bob"] == ["join: room:join: wrong_password: #vault needs the right password"]
    assert error_ack["room"] == "#e2e-room"
    assert sorted(error_ack["members"]) == ["alice (you)", "bob"]
    assert steps["errors"] == {"alice": [], "bob": []}
    # The page and its script are one document; nothing else was fetched but the login.
    assert steps["requests"] == {"alice": ["/", "/api/login"], "bob": ["/", "/api/login"]}
    for name in ("alice", "bob"):
        assert (shots / f"{name}.png").read_bytes().startswith(PNG)
    assert served.process.poll() is None
