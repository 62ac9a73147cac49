"""Contract file:line for a finding, read from the current sources with `ast`.

The lock file holds no line numbers (it would change with every blank line), so
the checker finds lines itself: the class of a model, the line of one of its
fields, or the `Namespace("/path", ...)` call. Nothing is imported.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Locator", "SourceLine"]


@dataclass(frozen=True, slots=True)
class SourceLine:
    file: str  # POSIX, relative to the contracts directory's parent or the display root
    line: int


@dataclass(slots=True)
class _File:
    classes: dict[str, tuple[int, dict[str, int]]] = field(default_factory=dict)
    namespaces: dict[str, int] = field(default_factory=dict)


def _parse(path: Path) -> _File:
    out = _File()
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return out

    def visit(body: list[ast.stmt], scope: tuple[str, ...]) -> None:
        for stmt in body:
            if isinstance(stmt, ast.ClassDef):
                qualname = ".".join((*scope, stmt.name))
                fields = {
                    s.target.id: s.lineno
                    for s in stmt.body
                    if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
                }
                out.classes.setdefault(qualname, (stmt.lineno, fields))
                visit(stmt.body, (*scope, stmt.name))
            elif isinstance(stmt, ast.Assign | ast.AnnAssign) and isinstance(stmt.value, ast.Call):
                call = stmt.value
                name = call.func.id if isinstance(call.func, ast.Name) else ""
                name = call.func.attr if isinstance(call.func, ast.Attribute) else name
                if (
                    name == "Namespace"
                    and call.args
                    and isinstance(call.args[0], ast.Constant)
                    and isinstance(call.args[0].value, str)
                ):
                    out.namespaces.setdefault(call.args[0].value, stmt.lineno)

    visit(tree.body, ())
    return out


class Locator:
    """Answers "where is this?" for the contract tree rooted at `base / source_root`."""

    def __init__(self, base: Path, display_from: Path | None = None) -> None:
        self.base = base
        self._files: dict[str, _File] = {}
        # Report paths relative to `display_from` (the CLI's working directory, so
        # GitHub annotations get repository paths) when the contracts are below it.
        self._prefix = ""
        if display_from is not None:
            try:
                rel = base.resolve().relative_to(display_from.resolve()).as_posix()
            except ValueError:
                rel = "."
            self._prefix = "" if rel == "." else rel + "/"

    def _file(self, rel: str) -> _File | None:
        if rel not in self._files:
            path = self.base / rel
            self._files[rel] = _parse(path) if path.is_file() else _File()
        found = self._files[rel]
        return found if (found.classes or found.namespaces) else None

    def module_file(self, module: str) -> str | None:
        stem = module.replace(".", "/")
        for rel in (f"{stem}.py", f"{stem}/__init__.py"):
            if (self.base / rel).is_file():
                return rel
        return None

    def namespace(self, source: str, path: str) -> SourceLine | None:
        parsed = self._file(source)
        if parsed is None:
            return None
        return SourceLine(self._prefix + source, parsed.namespaces.get(path, 1))

    def model(self, class_path: str, field_name: str | None = None) -> SourceLine | None:
        """The class `module.Qual.Name` (or its field) if it still exists."""
        parts = class_path.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module, qualname = ".".join(parts[:cut]), ".".join(parts[cut:])
            rel = self.module_file(module)
            if rel is None:
                continue
            parsed = self._file(rel)
            if parsed is None or qualname not in parsed.classes:
                continue
            line, fields = parsed.classes[qualname]
            if field_name is not None and field_name in fields:
                return SourceLine(self._prefix + rel, fields[field_name])
            return SourceLine(self._prefix + rel, line)
        return None
