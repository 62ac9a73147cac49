"""mypy --strict over code written against the generated bindings of `contracts/`.

`typecheck/good_app.py` must pass. In the other files there, a comment line starting
with ``E:`` (error code in brackets, then part of the message) marks the next code line,
which must get exactly that error. Marks sit on their own lines so formatting never moves
them. One mypy run covers the directory; each mark is its own test case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.sdkgen.helpers import ROOT, TYPECHECK, MypyMessage, run_mypy

_MARK = re.compile(r"\[(?P<code>[a-z-]+)\]\s*(?P<text>.*)")


@dataclass(frozen=True)
class Expected:
    file: str  # relative to ROOT, POSIX
    line: int
    code: str
    text: str

    @property
    def id(self) -> str:
        return f"{Path(self.file).name}:{self.line}:{self.code}"


def expectations() -> list[Expected]:
    found = []
    for path in sorted(TYPECHECK.glob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        pending: list[tuple[str, str]] = []
        for number, line in enumerate(path.read_text().splitlines(), 1):
            stripped = line.strip()
            if stripped.startswith("# E: "):
                match = _MARK.match(stripped[len("# E: ") :])
                assert match, f"{rel}:{number}: malformed mark {stripped!r}"
                pending.append((match["code"], match["text"].strip()))
            elif stripped and not stripped.startswith("#"):
                found += [Expected(rel, number, code, text) for code, text in pending]
                pending = []
        assert not pending, f"{rel}: a mark at the end of the file marks nothing"
    return found


EXPECTED = expectations()


@pytest.fixture(scope="module")
def mypy_messages() -> list[MypyMessage]:
    files = [p.relative_to(ROOT).as_posix() for p in sorted(TYPECHECK.glob("*.py"))]
    _, messages, _ = run_mypy(files, cwd=ROOT, mypypath=[], cache="typecheck")
    return [m for m in messages if m.severity == "error"]


def test_the_suite_has_a_case_for_each_kind_of_mistake() -> None:
    codes = {(e.file.rsplit("/", 1)[-1], e.code) for e in EXPECTED}
    assert ("bad_handlers.py", "arg-type") in codes
    assert ("bad_handlers.py", "assignment") in codes
    assert ("bad_sync_handlers.py", "arg-type") in codes
    assert ("bad_sync_handlers.py", "assignment") in codes
    assert ("deprecated_use.py", "deprecated") in codes
    assert len(EXPECTED) >= 12


@pytest.mark.parametrize("expected", EXPECTED, ids=[e.id for e in EXPECTED])
def test_wrong_code_is_rejected_with_the_expected_error(
    expected: Expected, mypy_messages: list[MypyMessage]
) -> None:
    at_line = [m for m in mypy_messages if (m.file, m.line) == (expected.file, expected.line)]
    assert any(m.code == expected.code and expected.text in m.message for m in at_line), (
        f"mypy did not report [{expected.code}] {expected.text!r} at "
        f"{expected.file}:{expected.line}; it reported: {at_line}"
    )


def test_nothing_else_is_reported(mypy_messages: list[MypyMessage]) -> None:
    """good_app.py is clean, and every error of the bad files was expected."""
    marks = {(e.file, e.line, e.code) for e in EXPECTED}
    unexpected = [m for m in mypy_messages if (m.file, m.line, m.code) not in marks]
    assert not unexpected, unexpected
    per_line: dict[tuple[str, int], int] = {}
    for e in EXPECTED:
        per_line[e.file, e.line] = per_line.get((e.file, e.line), 0) + 1
    for key, count in per_line.items():
        assert sum((m.file, m.line) == key for m in mypy_messages) == count, key
