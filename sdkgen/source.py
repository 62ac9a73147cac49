"""Where things are in contract files: class and field lines, found with `ast`.

Diagnostics point at the line a user has to edit (the field with the naive datetime,
the class with the bad ack), not at the decorator or at pydantic's internals.
"""

from __future__ import annotations

import ast
import inspect
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["SourceIndex"]


@dataclass(slots=True)
class _ClassInfo:
    line: int
    fields: dict[str, int] = field(default_factory=dict)


class _Collector(ast.NodeVisitor):
    def __init__(self) -> None:
        self.classes: dict[str, _ClassInfo] = {}
        self._scope: list[str] = []

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        qualname = ".".join([*self._scope, node.name])
        # `class` line, not the decorator line: that is where users look for a model.
        info = _ClassInfo(line=node.lineno)
        for stmt in node.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                info.fields[stmt.target.id] = stmt.lineno
        self.classes.setdefault(qualname, info)
        self._scope.append(node.name)
        self.generic_visit(node)
        self._scope.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._scope.extend((node.name, "<locals>"))
        self.generic_visit(node)
        del self._scope[-2:]

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]


class SourceIndex:
    """Parses each source file once and answers "which line defines this?"."""

    def __init__(self) -> None:
        self._files: dict[Path, dict[str, _ClassInfo]] = {}

    def _classes(self, file: Path) -> dict[str, _ClassInfo]:
        if file not in self._files:
            try:
                tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
            except (OSError, SyntaxError, ValueError):
                self._files[file] = {}
            else:
                collector = _Collector()
                collector.visit(tree)
                self._files[file] = collector.classes
        return self._files[file]

    @staticmethod
    def file_of(cls: type) -> Path | None:
        try:
            name = inspect.getsourcefile(cls)
        except TypeError:
            return None
        return Path(name).resolve() if name else None

    def class_line(self, cls: type) -> tuple[Path, int] | None:
        file = self.file_of(cls)
        if file is None:
            return None
        info = self._classes(file).get(cls.__qualname__)
        return (file, info.line) if info else None

    def field_line(self, cls: type, name: str) -> tuple[Path, int] | None:
        """The line of `name: ...` in `cls` or the nearest base class that declares it."""
        for klass in cls.__mro__:
            file = self.file_of(klass) if klass.__module__ != "builtins" else None
            if file is None:
                continue
            info = self._classes(file).get(klass.__qualname__)
            if info and name in info.fields:
                return file, info.fields[name]
        return self.class_line(cls)
