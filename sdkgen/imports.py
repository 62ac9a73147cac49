"""Imports of a generated server module: model aliases and the support imports.

The IR owns these decisions (openapi-python-client's `relative_imports` lesson): a
model whose name clashes with another model or with a name the template binds is
imported under an alias, and the support imports match exactly what the template uses.
"""

from __future__ import annotations

from collections.abc import Iterable

from sdkgen import ir
from sdkgen.typeinfo import ModelFacts

__all__ = ["GENERATED_NAMES", "import_plan", "support_imports"]

# Names the server template binds at module level; contract models that share one
# are imported under an alias instead of shadowing it.
GENERATED_NAMES = frozenset(
    {
        "annotations",
        "Any",
        "AsyncServerLike",
        "Awaitable",
        "Callable",
        "ConnectHandler",
        "DisconnectHandler",
        "EventHandler",
        "EventSpec",
        "Mapping",
        "PATH",
        "PlainConnectHandler",
        "Protocol",
        "Target",
        "ServerLike",
        "SyncConnectHandler",
        "SyncDisconnectHandler",
        "SyncEventHandler",
        "SyncPlainConnectHandler",
        "SyncTypedNamespace",
        "TypedNamespace",
        "VERSION",
        "deprecated",
        "overload",
    }
)


def import_plan(
    models: Iterable[tuple[type, ModelFacts]], taken: set[str]
) -> tuple[dict[type, ir.ModelRef], tuple[ir.Import, ...]]:
    """Local names for models (aliases on clashes) and the grouped, sorted imports."""
    ordered = sorted(models, key=lambda m: (m[0].__module__, m[0].__qualname__))
    refs: dict[type, ir.ModelRef] = {}
    top_alias: dict[tuple[str, str], str] = {}
    used = set(taken)
    for cls, facts in ordered:
        top, _, rest = cls.__qualname__.partition(".")
        key = (cls.__module__, top)
        if key not in top_alias:
            alias = top
            while alias in used:
                alias += "_"
            used.add(alias)
            top_alias[key] = alias
        local = top_alias[key] + (f".{rest}" if rest else "")
        refs[cls] = ir.ModelRef(
            module=cls.__module__,
            qualname=cls.__qualname__,
            local_name=local,
            binary=facts.binary,
            schema_validation=facts.schema_validation,
            schema_serialization=facts.schema_serialization,
        )
    grouped: dict[str, list[tuple[str, str]]] = {}
    for (module, top), alias in top_alias.items():
        grouped.setdefault(module, []).append((top, alias))
    imports = tuple(ir.Import(mod, tuple(sorted(names))) for mod, names in sorted(grouped.items()))
    return refs, imports


def support_imports(
    client: tuple[ir.Event, ...], server: tuple[ir.Event, ...], has_auth: bool
) -> tuple[tuple[ir.Import, ...], ...]:
    """The non-model imports of a generated server module (mirrors the template)."""
    abc: set[str] = set()
    typing: set[str] = set()
    extensions: set[str] = set()
    typed = {"EventSpec", "TypedNamespace", "ConnectHandler" if has_auth else "PlainConnectHandler"}
    typed_sync = {
        "SyncTypedNamespace",
        "SyncConnectHandler" if has_auth else "SyncPlainConnectHandler",
    }
    if client:
        abc.add("Callable")
        typing.update({"Any", "Protocol"})
        typed.add("EventHandler")
        typed_sync.add("SyncEventHandler")
    if len(client) > 1:
        typing.add("overload")
    if server:
        typed.add("Target")
    if any(e.deprecated for e in client + server):
        extensions.add("deprecated")

    def block(*modules: tuple[str, set[str]]) -> tuple[ir.Import, ...]:
        return tuple(
            ir.Import(module, tuple((n, n) for n in sorted(names)))
            for module, names in modules
            if names
        )

    groups = (
        block(("collections.abc", abc), ("typing", typing)),
        block(("typing_extensions", extensions)),
        block(("runtime.typed", typed), ("runtime.typed_sync", typed_sync)),
    )
    return tuple(g for g in groups if g)
