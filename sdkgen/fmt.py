"""Format generated Python with ruff, pinned and isolated from any project config.

One subprocess for the whole tree (not one per file), on a scratch copy; the same
settings on every machine, whatever `pyproject.toml` the user's repository has.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

__all__ = ["RUFF_ARGS", "FormatError", "format_python"]

RUFF_ARGS = ("format", "--isolated", "--line-length", "100", "--target-version", "py311")


class FormatError(RuntimeError):
    """ruff is missing or rejected the rendered code (a template bug)."""


def format_python(files: Mapping[str, str]) -> dict[str, str]:
    """`files` with every `.py` entry formatted; other entries unchanged."""
    python = {path: text for path, text in files.items() if path.endswith(".py")}
    if not python:
        return dict(files)
    with tempfile.TemporaryDirectory(prefix="sdkgen-fmt-") as tmp:
        root = Path(tmp)
        for path, text in python.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", newline="\n")
        try:
            result = subprocess.run(
                [sys.executable, "-m", "ruff", *RUFF_ARGS, "."],
                cwd=root,
                capture_output=True,
                text=True,
                timeout=120,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise FormatError(f"could not run ruff: {exc}") from exc
        if result.returncode != 0:
            raise FormatError(f"ruff format failed:\n{result.stderr or result.stdout}")
        formatted = {path: (root / path).read_text(encoding="utf-8") for path in python}
    return {path: formatted.get(path, text) for path, text in files.items()}
