"""The pipeline: load -> analyse -> IR -> render -> format, with no disk writes.

`build()` returns every output file as text plus the diagnostics; writing or
checking against disk is `sdkgen.write`'s job, so tests and `--check` use the same
result as a real build.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sdkgen import ir
from sdkgen._version import __version__
from sdkgen.analyze import analyse
from sdkgen.diagnostics import Diagnostic, has_errors
from sdkgen.fmt import format_python
from sdkgen.loader import load
from sdkgen.render import environment, render

__all__ = ["BuildResult", "build"]

Progress = Callable[[ir.Namespace], None]


@dataclass(frozen=True, slots=True)
class BuildResult:
    api: ir.Api | None  # None when a contract has errors
    files: dict[str, str] = field(default_factory=dict)  # POSIX path -> formatted text
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        return self.api is not None and not has_errors(self.diagnostics)


def build(contracts: Path, *, progress: Progress | None = None) -> BuildResult:
    """Generate the output tree for the contracts directory `contracts`."""
    with load(contracts) as loaded:
        api, diagnostics = analyse(loaded, tool_version=__version__)
    if api is None:
        return BuildResult(None, {}, tuple(diagnostics))
    files = render(api, environment())
    if progress is not None:
        for ns in api.namespaces:
            progress(ns)
    return BuildResult(api, format_python(files), tuple(diagnostics))
