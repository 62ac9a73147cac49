"""The tool version written into every generated file's header."""

from __future__ import annotations

__version__ = "0.1.0"
