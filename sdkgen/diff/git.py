"""Read the old lock file: a path on disk, or `git show REF:path` (never old code)."""

from __future__ import annotations

import subprocess
from pathlib import Path

__all__ = ["AgainstError", "read_against"]


class AgainstError(RuntimeError):
    """The old snapshot could not be read (no such ref, no lock file at that ref, no git)."""


def _git(args: list[str], cwd: Path) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AgainstError(f"could not run git: {exc}") from None
    if done.returncode != 0:
        raise AgainstError(f"git {' '.join(args)}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def read_against(against: str, lock: Path) -> tuple[str, str]:
    """(text, origin) of the old lock.

    `against` is a lock file on disk, `REF:path` (path from the repository root), or a
    git ref, in which case the lock is read at the same repository path as `lock`.
    """
    candidate = Path(against)
    if candidate.is_file():
        return candidate.read_text(encoding="utf-8"), against
    where = lock.resolve().parent
    while not where.exists():
        where = where.parent
    if ":" in against:
        return _git(["show", against], where), against
    top = Path(_git(["rev-parse", "--show-toplevel"], where).strip())
    try:
        rel = lock.resolve().relative_to(top.resolve()).as_posix()
    except ValueError:
        raise AgainstError(f"{lock} is not inside the git repository {top}") from None
    spec = f"{against}:{rel}"
    return _git(["show", spec], top), spec
