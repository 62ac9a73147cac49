"""The `sdkgen` command line (Typer). Commands stay thin: parse, call, report, exit.

Exit codes (stable, for CI):
    0  success (written, or `--check` found the output current)
    1  `--check`: the output directory is out of date
    2  bad usage (unknown option, missing directory): Click's own code
    3  the contracts have errors (or warnings, with `--fail-on-warning`)
    4  the output directory holds files sdkgen did not generate; nothing was written
    5  internal failure (formatter missing or failing)
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sdkgen import ir
from sdkgen._version import __version__
from sdkgen.diagnostics import Diagnostic, Level, has_errors
from sdkgen.fmt import FormatError
from sdkgen.pipeline import build as build_tree
from sdkgen.write import ChangeKind, compare, foreign_files, write

__all__ = ["EXIT_CHECK_FAILED", "EXIT_CONTRACT_ERRORS", "app", "main"]

EXIT_CHECK_FAILED = 1
EXIT_CONTRACT_ERRORS = 3
EXIT_FOREIGN_FILES = 4
EXIT_INTERNAL = 5

app = typer.Typer(
    name="sdkgen",
    help="Typed Socket.IO server code from Pydantic contracts.",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_COLOURS = {Level.ERROR: typer.colors.RED, Level.WARNING: typer.colors.YELLOW}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sdkgen {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Turn Socket.IO contracts (Pydantic models) into typed server code."""


def _report(diagnostics: tuple[Diagnostic, ...]) -> None:
    base = Path.cwd()
    for diag in diagnostics:
        where = f"{diag.location.display(base)}: " if diag.location else ""
        typer.secho(where, nl=False, err=True, bold=True)
        typer.secho(f"{diag.level}", nl=False, err=True, fg=_COLOURS[diag.level], bold=True)
        typer.echo(f"[{diag.code}]: {diag.message}", err=True)
        if diag.hint:
            typer.secho(f"  hint: {diag.hint}", err=True, fg=typer.colors.CYAN)
    errors = sum(d.level is Level.ERROR for d in diagnostics)
    warnings = len(diagnostics) - errors
    if diagnostics:
        typer.echo(f"{errors} error(s), {warnings} warning(s)", err=True)


@app.command()
def build(
    contracts: Annotated[
        Path,
        typer.Argument(
            exists=True,
            file_okay=False,
            dir_okay=True,
            help="Directory of contract modules, imported as a package named after it.",
        ),
    ],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", file_okay=False, help="Output directory (a package)."),
    ] = Path("generated"),
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Write nothing; print a diff and exit 1 if OUT is not what a build would write.",
        ),
    ] = False,
    fail_on_warning: Annotated[
        bool,
        typer.Option("--fail-on-warning", help="Treat warnings as errors (exit 3)."),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print diagnostics and diffs only.")
    ] = False,
) -> None:
    """Generate typed server code for every namespace in CONTRACTS."""

    def progress(ns: ir.Namespace) -> None:
        if not quiet:
            events = len(ns.client_events) + len(ns.server_events)
            target = (out / "server" / f"{ns.module_name}.py").as_posix()
            typer.echo(f"  {ns.path} -> {target} ({events} events)")

    try:
        result = build_tree(contracts, progress=progress)
    except FormatError as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(EXIT_INTERNAL) from None
    _report(result.diagnostics)
    if not result.ok or has_errors(result.diagnostics, warnings_are_errors=fail_on_warning):
        typer.secho("no files written: fix the contracts first", err=True, fg=typer.colors.RED)
        raise typer.Exit(EXIT_CONTRACT_ERRORS)

    changes = compare(result.files, out)
    if check:
        for change in changes:
            typer.echo(change.diff, nl=False)
        if changes:
            typer.secho(
                f"{out.as_posix()} is out of date ({len(changes)} file(s)); "
                f"run: sdkgen build {contracts.as_posix()} --out {out.as_posix()}",
                err=True,
                fg=typer.colors.RED,
            )
            raise typer.Exit(EXIT_CHECK_FAILED)
        if not quiet:
            typer.secho(f"{out.as_posix()} is up to date", fg=typer.colors.GREEN)
        return

    foreign = foreign_files(result.files, out)
    if foreign:
        typer.secho(
            f"refusing to replace {out.as_posix()}: it holds files sdkgen did not generate: "
            + ", ".join(foreign),
            err=True,
            fg=typer.colors.RED,
        )
        raise typer.Exit(EXIT_FOREIGN_FILES)
    if changes:
        write(result.files, out)
    if not quiet:
        counts = {kind: sum(c.kind is kind for c in changes) for kind in ChangeKind}
        summary = ", ".join(f"{n} {kind}" for kind, n in counts.items() if n) or "no changes"
        typer.secho(f"wrote {out.as_posix()} ({summary})", fg=typer.colors.GREEN)
