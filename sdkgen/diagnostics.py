"""Diagnostics: problems found in contracts, as values with a level and a location."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

__all__ = ["Code", "Diagnostic", "Level", "Location", "has_errors"]


class Level(StrEnum):
    ERROR = "error"  # nothing is written
    WARNING = "warning"  # output is written; `--fail-on-warning` makes it an error


class Code(StrEnum):
    """Stable identifiers, so tests and CI filters do not match on message text."""

    IMPORT_ERROR = "import-error"
    NO_NAMESPACES = "no-namespaces"
    EMPTY_NAMESPACE = "empty-namespace"
    INVALID_PATH = "invalid-path"
    DUPLICATE_PATH = "duplicate-path"
    MODULE_COLLISION = "module-collision"
    INVALID_VERSION = "invalid-version"
    INVALID_STABILITY = "invalid-stability"
    NOT_AN_EVENT = "not-an-event"
    NOT_MODULE_LEVEL = "not-module-level"
    DUPLICATE_EVENT = "duplicate-event"
    EVENT_INHERITANCE = "event-inheritance"
    INVALID_EVENT_NAME = "invalid-event-name"
    RESERVED_EVENT_NAME = "reserved-event-name"
    DUPLICATE_EVENT_NAME = "duplicate-event-name"
    PYTHON_NAME_COLLISION = "python-name-collision"
    BAD_ACK_MODEL = "bad-ack-model"
    BAD_AUTH_MODEL = "bad-auth-model"
    RESERVED_AUTH_FIELD = "reserved-auth-field"
    BAD_ACK_TIMEOUT = "bad-ack-timeout"
    NOT_SERIALISABLE = "not-serialisable"
    NAIVE_DATETIME = "naive-datetime"
    UNTYPED_FIELD = "untyped-field"
    UNREGISTERED_EVENT = "unregistered-event"


@dataclass(frozen=True, slots=True)
class Location:
    file: Path
    line: int

    def display(self, base: Path | None = None) -> str:
        path = self.file
        if base is not None:
            with contextlib.suppress(ValueError):
                path = self.file.relative_to(base)
        return f"{path.as_posix()}:{self.line}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    level: Level
    code: Code
    message: str
    location: Location | None = None
    hint: str | None = None

    def sort_key(self) -> tuple[str, int, str, str]:
        loc = self.location
        return (loc.file.as_posix() if loc else "", loc.line if loc else 0, self.code, self.message)

    def format(self, base: Path | None = None) -> str:
        where = f"{self.location.display(base)}: " if self.location else ""
        text = f"{where}{self.level}[{self.code}]: {self.message}"
        return f"{text}\n  hint: {self.hint}" if self.hint else text


def has_errors(diagnostics: Iterable[Diagnostic], *, warnings_are_errors: bool = False) -> bool:
    return any(
        d.level is Level.ERROR or (warnings_are_errors and d.level is Level.WARNING)
        for d in diagnostics
    )
