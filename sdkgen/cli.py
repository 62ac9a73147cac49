"""The `sdkgen` command line (Typer). Commands stay thin: parse, call, report, exit.

Exit codes (stable, for CI):
    0  success (written, or `--check` found the output current)
    1  `--check`: the output directory is out of date
    2  bad usage (unknown option, missing directory): Click's own code
    3  the contracts have errors (or warnings, with `--fail-on-warning`)
    4  the output directory holds files sdkgen did not generate; nothing was written
    5  internal failure (formatter missing or failing)
    6  `check`: the old snapshot or the ignore file could not be read

`sdkgen check` exits 1 when it finds unapproved breaking changes.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from sdkgen import ir
from sdkgen._version import __version__
from sdkgen.diagnostics import Diagnostic, Level, has_errors
from sdkgen.diff.check import IgnoreEntry, IgnoreError, load_ignores
from sdkgen.diff.check import check as check_locks
from sdkgen.diff.git import AgainstError, read_against
from sdkgen.diff.locate import Locator
from sdkgen.fmt import FormatError
from sdkgen.lock import LOCK_FILE, LockError, loads
from sdkgen.pipeline import build as build_tree
from sdkgen.pipeline import lock_of, stale_json
from sdkgen.report import Format, render
from sdkgen.rules import Category, Severity
from sdkgen.write import Change, ChangeKind, compare, foreign_files, write

__all__ = ["EXIT_CHECK_FAILED", "EXIT_CONTRACT_ERRORS", "app", "main"]

EXIT_CHECK_FAILED = 1
EXIT_CONTRACT_ERRORS = 3
EXIT_FOREIGN_FILES = 4
EXIT_INTERNAL = 5
EXIT_NO_BASELINE = 6

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
    stale = stale_json(result.files, out)
    changes += [
        Change(path, ChangeKind.REMOVED, f"--- a/{path}\n+++ /dev/null\n") for path in stale
    ]
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

    foreign = [path for path in foreign_files(result.files, out) if path not in stale]
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


class FailOn(StrEnum):
    ERROR = "error"
    WARN = "warn"


class Scope(StrEnum):
    WIRE = "wire"
    ALL = "all"


@app.command("check")
def check_command(
    contracts: Annotated[
        Path,
        typer.Argument(exists=True, file_okay=False, dir_okay=True, help="Contracts directory."),
    ],
    against: Annotated[
        str,
        typer.Option(
            "--against",
            "-a",
            help="Old snapshot: a git ref (reads REF:<out>/sdkgen.lock.json with git show), "
            "REF:path, or a lock file on disk.",
        ),
    ],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", file_okay=False, help="Output directory holding the lock."),
    ] = Path("generated"),
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Report format.")] = Format.TEXT,
    fail_on: Annotated[
        FailOn, typer.Option("--fail-on", help="Lowest unapproved severity that fails.")
    ] = FailOn.ERROR,
    scope: Annotated[
        Scope,
        typer.Option(
            "--category",
            help="wire: only wire breaks fail; all: SDK (generated code) breaks fail too.",
        ),
    ] = Scope.WIRE,
    ignore_file: Annotated[
        Path | None,
        typer.Option(
            "--ignore-file",
            dir_okay=False,
            help="TOML with [[check.ignore]] entries (default: sdkgen.toml beside CONTRACTS).",
        ),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option("--report", dir_okay=False, help="Also write the report to this file."),
    ] = None,
    today: Annotated[
        str | None, typer.Option("--today", hidden=True, help="Date for ignore expiry (tests).")
    ] = None,
) -> None:
    """Compare CONTRACTS with an old snapshot and classify every change by who reads it."""
    new, diagnostics = lock_of(contracts)
    _report(diagnostics)
    if new is None:
        typer.secho("cannot check: fix the contracts first", err=True, fg=typer.colors.RED)
        raise typer.Exit(EXIT_CONTRACT_ERRORS)
    ignores: list[IgnoreEntry] = []
    default_ignore = contracts.resolve().parent / "sdkgen.toml"
    try:
        if ignore_file is not None:
            ignores = load_ignores(ignore_file)
        elif default_ignore.is_file():
            ignores = load_ignores(default_ignore)
        text, origin = read_against(against, out / LOCK_FILE)
        old = loads(text, origin)
    except (AgainstError, LockError, IgnoreError) as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(EXIT_NO_BASELINE) from None
    outcome = check_locks(
        old,
        new,
        locator=Locator(contracts.resolve().parent, display_from=Path.cwd()),
        against=origin,
        ignores=ignores,
        today=date.fromisoformat(today) if today else date.today(),
    )
    categories = (
        frozenset({Category.WIRE})
        if scope is Scope.WIRE
        else frozenset({Category.WIRE, Category.SDK})
    )
    failing = outcome.failing(
        Severity.ERROR if fail_on is FailOn.ERROR else Severity.WARN, categories
    )
    rendered = render(outcome, fmt, failing)
    typer.echo(rendered, nl=False)
    if report is not None:
        report.write_text(rendered, encoding="utf-8")
    if failing:
        raise typer.Exit(EXIT_CHECK_FAILED)


@app.command("import")
def import_command(
    document: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, help="AsyncAPI 3.0 document (YAML or JSON)."),
    ],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", file_okay=False, help="Contracts directory to create."),
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite files in a non-empty OUT.")
    ] = False,
) -> None:
    """Turn an AsyncAPI 3.0 document into contract modules (models via datamodel-code-generator)."""
    from sdkgen.importer import AsyncAPIImportError, import_asyncapi, load_document

    if out.exists() and any(out.iterdir()) and not force:
        typer.secho(f"refusing to write into non-empty {out} (use --force)", err=True, fg="red")
        raise typer.Exit(EXIT_FOREIGN_FILES)
    try:
        files = import_asyncapi(load_document(document.read_text(encoding="utf-8")))
    except AsyncAPIImportError as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(EXIT_CONTRACT_ERRORS) from None
    except ModuleNotFoundError as exc:
        typer.secho(
            f"error: sdkgen import needs {exc.name}: pip install datamodel-code-generator",
            err=True,
            fg=typer.colors.RED,
        )
        raise typer.Exit(EXIT_INTERNAL) from None
    for rel, text in files.items():
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", newline="\n")
    typer.secho(f"wrote {len(files)} file(s) to {out.as_posix()}", fg=typer.colors.GREEN)
