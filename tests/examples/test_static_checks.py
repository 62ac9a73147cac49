"""The example is held to the project's bar: mypy --strict, ruff, ruff format."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.examples.harness import ROOT

# A cache of our own: other suites run mypy on the same tree at the same time.
MYPY_CACHE = Path(tempfile.gettempdir()) / "examples-tests-mypy-cache"
TARGETS = ["examples/chat", "tests/examples"]


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_mypy_strict_on_the_example() -> None:
    # The app is checked against the generated code: a handler with the wrong payload
    # or ack type, or a missing one, fails here (ChatHandlers is a Protocol).
    result = run(sys.executable, "-m", "mypy", "--strict", f"--cache-dir={MYPY_CACHE}", *TARGETS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_check_and_format() -> None:
    check = run(sys.executable, "-m", "ruff", "check", *TARGETS)
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = run(sys.executable, "-m", "ruff", "format", "--check", *TARGETS)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


APP = ROOT / "examples" / "chat" / "app.py"
MUTATIONS = {
    # a client event without a handler
    "missing handler": ("    async def typing(self,", "    async def typing_renamed(self,"),
    # a handler whose ack is not the contract's ack model
    "wrong ack": (
        "async def fetch_history(self, sid: str, payload: FetchHistory) -> HistoryPage:",
        "async def fetch_history(self, sid: str, payload: FetchHistory) -> PresenceAccepted:",
    ),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_mypy_rejects_a_broken_service(mutation: str, tmp_path: Path) -> None:
    """The check above can fail: the same app with one contract violation does not pass."""
    old, new = MUTATIONS[mutation]
    source = APP.read_text(encoding="utf-8")
    assert old in source
    broken = tmp_path / "broken_app.py"
    broken.write_text(source.replace(old, new), encoding="utf-8")
    result = run(sys.executable, "-m", "mypy", "--strict", f"--cache-dir={MYPY_CACHE}", str(broken))
    assert result.returncode == 1, result.stdout + result.stderr
    assert '"register_handlers" of "ChatNamespace" has incompatible type' in result.stdout
