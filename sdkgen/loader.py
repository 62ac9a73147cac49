"""Load: import the contract modules of a directory (the only place user code runs).

The directory is imported as a package named after it (`contracts/chat.py` becomes
`contracts.chat`), which is also how generated code imports the models. Loading is
isolated: modules of that package already in `sys.modules` are set aside and put
back afterwards, so two contract trees with the same package name (tests, repeated
builds in one process) never see each other's classes.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, TracebackType

from sdkgen.contract import Namespace
from sdkgen.diagnostics import Code, Diagnostic, Level, Location

__all__ = ["Loaded", "load"]


@dataclass(slots=True)
class Loaded:
    root: Path  # the contracts directory, resolved
    package: str  # its import name
    modules: list[ModuleType] = field(default_factory=list)
    namespaces: list[Namespace] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def _module_names(root: Path, package: str) -> list[tuple[str, Path]]:
    # The package itself comes first, even without an `__init__.py`.
    found: list[tuple[str, Path]] = [(package, root / "__init__.py")]
    for file in sorted(root.rglob("*.py")):
        rel = file.relative_to(root)
        if any(part.startswith((".", "__pycache__")) for part in rel.parts):
            continue
        parts = list(rel.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if not parts or not all(part.isidentifier() for part in parts):
            continue
        found.append((".".join([package, *parts]), file))
    return found


def _blame(root: Path, exc: BaseException) -> Location | None:
    """The innermost contract line on the exception's traceback."""
    if isinstance(exc, SyntaxError) and exc.filename and exc.lineno:
        return Location(Path(exc.filename).resolve(), exc.lineno)
    best: Location | None = None
    tb: TracebackType | None = exc.__traceback__
    for frame, lineno in traceback.walk_tb(tb):
        file = Path(frame.f_code.co_filename).resolve()
        if file.is_relative_to(root):
            best = Location(file, lineno)
    return best


def _install_package(root: Path, package: str) -> None:
    """Bind `package` to `root` itself, before anything else on `sys.path` can claim it.

    Without this, a directory without `__init__.py` loses to any regular package of
    the same name further down `sys.path` (PEP 420 prefers regular packages).
    """
    init = root / "__init__.py"
    spec = (
        importlib.util.spec_from_file_location(
            package, init, submodule_search_locations=[str(root)]
        )
        if init.exists()
        else importlib.machinery.ModuleSpec(package, None, is_package=True)
    )
    assert spec is not None
    if spec.submodule_search_locations is None or not init.exists():
        spec.submodule_search_locations = [str(root)]
    module = importlib.util.module_from_spec(spec)
    sys.modules[package] = module
    if spec.loader is not None:
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[package]
            raise


def _owned(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


@contextmanager
def load(directory: Path) -> Iterator[Loaded]:
    """Import every module under `directory`; analyse inside the `with` block.

    Models stay importable (and forward references resolvable) until the block ends.
    """
    root = directory.resolve()
    loaded = Loaded(root=root, package=root.name)
    if not root.is_dir():
        loaded.diagnostics.append(
            Diagnostic(Level.ERROR, Code.IMPORT_ERROR, f"{directory} is not a directory")
        )
        yield loaded
        return
    if not root.name.isidentifier():
        loaded.diagnostics.append(
            Diagnostic(
                Level.ERROR,
                Code.IMPORT_ERROR,
                f"the contracts directory name {root.name!r} is not a Python identifier",
                hint="generated code imports the contracts as a package named after the directory",
            )
        )
        yield loaded
        return

    package = root.name
    saved = {name: sys.modules.pop(name) for name in list(sys.modules) if _owned(name, package)}
    sys.path.insert(0, str(root.parent))
    bytecode = sys.dont_write_bytecode
    sys.dont_write_bytecode = True  # contracts change under our feet in tests and watch loops
    importlib.invalidate_caches()
    try:
        for name, file in _module_names(root, package):
            try:
                if name == package:
                    _install_package(root, package)
                module = importlib.import_module(name)
            except Exception as exc:
                where = _blame(root, exc) or Location(file, 1)
                loaded.diagnostics.append(
                    Diagnostic(
                        Level.ERROR,
                        Code.IMPORT_ERROR,
                        f"importing {name} failed: {type(exc).__name__}: {exc}",
                        where,
                    )
                )
                if name == package:
                    break  # every module would fail the same way
                continue
            loaded.modules.append(module)
            for value in vars(module).values():
                if isinstance(value, Namespace) and all(
                    value is not seen for seen in loaded.namespaces
                ):
                    loaded.namespaces.append(value)
        yield loaded
    finally:
        sys.dont_write_bytecode = bytecode
        for name in [n for n in sys.modules if _owned(n, package)]:
            del sys.modules[name]
        sys.modules.update(saved)
        with suppress(ValueError):
            sys.path.remove(str(root.parent))
