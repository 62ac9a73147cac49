"""Shared helpers of the sdkgen tests: paths, inline contract trees, mypy runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
GOLDEN = HERE / "golden"
TYPECHECK = HERE / "typecheck"
UPDATE_GOLDEN = os.environ.get("SDKGEN_UPDATE_GOLDEN") == "1"

# A mypy cache of our own: warm across runs, and never shared with other suites
# running mypy on the same tree at the same time.
MYPY_CACHE = Path(tempfile.gettempdir()) / "sdkgen-tests-mypy-cache"


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write `{relative path: source}` under `root` (sources are dedented)."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def lines_of(source: str, marker: str) -> list[int]:
    """1-based numbers of the lines of (dedented) `source` containing `marker`."""
    lines = textwrap.dedent(source).lstrip("\n").splitlines()
    return [number for number, line in enumerate(lines, 1) if marker in line]


def line_of(source: str, marker: str) -> int:
    """1-based line of the first line of (dedented) `source` containing `marker`."""
    found = lines_of(source, marker)
    assert found, f"{marker!r} not in source"
    return found[0]


@dataclass(frozen=True)
class MypyMessage:
    file: str  # as mypy printed it
    line: int
    severity: str
    message: str
    code: str


_LINE = re.compile(
    r"^(?P<file>[^:]+):(?P<line>\d+): (?P<sev>error|note): (?P<msg>.*?)(?:  \[(?P<code>[a-z-]+)\])?$"
)


def run_mypy(
    targets: list[str], *, cwd: Path, mypypath: list[Path], cache: str
) -> tuple[int, list[MypyMessage], str]:
    """`mypy --strict` on `targets`; imported modules are analysed but not reported on."""
    env = dict(os.environ, MYPYPATH=os.pathsep.join(str(p) for p in mypypath))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--follow-imports=silent",
            "--no-error-summary",
            "--show-error-codes",
            "--no-color-output",
            "--hide-error-context",
            "--no-pretty",
            f"--cache-dir={MYPY_CACHE / cache}",
            *targets,
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    messages = []
    for raw in result.stdout.splitlines():
        match = _LINE.match(raw)
        if match:
            messages.append(
                MypyMessage(
                    match["file"],
                    int(match["line"]),
                    match["sev"],
                    match["msg"],
                    match["code"] or "",
                )
            )
    return result.returncode, messages, result.stdout + result.stderr
