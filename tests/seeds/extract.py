"""Find every literal code block of a reStructuredText guide.

A literal block follows a paragraph whose last line ends with ``::`` (or a
paragraph that is only ``::``) and consists of the indented lines after it.
Directives (``.. note::``) end with ``::`` too but hold prose, so they are not
literal blocks. Each block is keyed by its section title and its index within
that section, which survives edits elsewhere in the guide; the digest notices
an edit of the block itself.
"""

from __future__ import annotations

import hashlib
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SEEDS_DIR = Path("/work/shared/seeds")

# Short names for the guides, used as the first part of a block key.
GUIDES: dict[str, str] = {
    "guide": "001_4508b485f2f11753.txt",
    "deploy": "000_074fcbf925e26c70.txt",
}

# rST section underlines used by the guides (any punctuation repeated works).
_UNDERLINE_CHARS = frozenset("=-~!^\"'`#*+.:_")


@dataclass(frozen=True, slots=True)
class Block:
    """One literal block: where it is and its text, dedented as rST presents it."""

    guide: str
    section: str
    index: int
    line: int
    text: str

    @property
    def key(self) -> str:
        return f"{self.guide}:{self.section}#{self.index}"

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()[:12]


def guide_path(guide: str) -> Path:
    return SEEDS_DIR / GUIDES[guide]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_underline(line: str, title: str) -> bool:
    stripped = line.rstrip()
    return (
        len(stripped) >= 3
        and len(set(stripped)) == 1
        and stripped[0] in _UNDERLINE_CHARS
        and title.strip() != ""
        and not title.startswith(" ")
        and len(stripped) >= len(title.rstrip())
    )


def iter_blocks(guide: str, text: str) -> Iterator[Block]:
    """Yield the literal blocks of ``text`` in document order."""
    lines = text.splitlines()
    section = "(top)"
    counts: dict[str, int] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        if i + 1 < len(lines) and _is_underline(lines[i + 1], line):
            section = line.strip()
            i += 2
            continue
        ends_paragraph = line.strip() != "" and (i + 1 == len(lines) or lines[i + 1].strip() == "")
        if not (ends_paragraph and line.rstrip().endswith("::")):
            i += 1
            continue
        # Walk back to the paragraph's first line: a directive is not a literal block.
        first = i
        while first > 0 and lines[first - 1].strip() != "":
            first -= 1
        if lines[first].lstrip().startswith(".. "):
            i += 1
            continue
        base = _indent(lines[first])
        j = i + 1
        while j < len(lines) and lines[j].strip() == "":
            j += 1
        start = j
        while j < len(lines) and (lines[j].strip() == "" or _indent(lines[j]) > base):
            j += 1
        end = j
        while end > start and lines[end - 1].strip() == "":
            end -= 1
        if end > start:
            counts[section] = counts.get(section, 0) + 1
            body = textwrap.dedent("\n".join(lines[start:end])) + "\n"
            yield Block(guide, section, counts[section], start + 1, body)
        i = max(j, i + 1)


def load_blocks(guide: str) -> list[Block]:
    return list(iter_blocks(guide, guide_path(guide).read_text(encoding="utf-8")))


def all_blocks() -> list[Block]:
    return [block for guide in GUIDES for block in load_blocks(guide)]


if __name__ == "__main__":  # a listing to write or refresh catalogue.py from
    for block in all_blocks():
        first = block.text.splitlines()[0]
        print(f"{block.line:5} {block.digest} {block.key!r:60} {first}")
