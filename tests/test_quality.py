"""Static checks CI must not forgive: mypy --strict and ruff on the packages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = [p for p in ("runtime", "sdkgen") if any((ROOT / p).rglob("*.py"))]


def run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("package", PACKAGES)
def test_mypy_strict(package: str) -> None:
    result = run(sys.executable, "-m", "mypy", "--strict", package)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_check() -> None:
    result = run(sys.executable, "-m", "ruff", "check", *PACKAGES, "tests", "examples")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format() -> None:
    result = run(sys.executable, "-m", "ruff", "format", "--check", *PACKAGES)
    assert result.returncode == 0, result.stdout + result.stderr
