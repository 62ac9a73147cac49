"""`sdkgen.lock.json`: the canonical snapshot of a contract tree that `sdkgen check` compares.

Written by `sdkgen build` into the output directory (`generated/sdkgen.lock.json`),
next to the code generated from the same contracts, so the two are swapped in
together and `--check` keeps both honest. Old versions are read back with
`git show REF:generated/sdkgen.lock.json`: checking never imports old code.

Each schema position carries the JSON Schema of what is *on the wire* for its
reader: positions the server reads (client payloads, acks of server events, auth)
hold Pydantic's validation-mode schema (what the server accepts); positions clients
read hold the serialization-mode schema (what the server sends). Keys are sorted
and the file holds no timestamps and no line numbers, so it only changes when the
contract does.
"""

from __future__ import annotations

import enum
import json
import typing
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from sdkgen import ir
from sdkgen.rules import Column, column_of

__all__ = [
    "LOCK_FILE",
    "LOCK_FORMAT",
    "READER_POLICY",
    "LockError",
    "dumps",
    "loads",
    "snapshot",
]

LOCK_FILE = "sdkgen.lock.json"
LOCK_FORMAT = 1

# How generated readers treat data they did not expect. The checker's severities for
# rows 12/25/33 of the catalogue assume this policy; it is recorded so an old lock
# says what the clients deployed from it did.
READER_POLICY: dict[str, Any] = {
    "client": {"unknown_keys": "ignore", "enums": "closed", "constraints": "not-enforced"},
    "server": {"unknown_keys": "model", "enums": "closed", "constraints": "enforced"},
}

Resolver = Callable[[str, str], "type[BaseModel] | None"]


class LockError(ValueError):
    """The text is not an sdkgen lock file this version understands."""


def _schema_of(ref: ir.ModelRef, column: Column) -> dict[str, Any]:
    mode = "validation" if column.reader == "server" else "serialization"
    text = ref.schema_validation if mode == "validation" else ref.schema_serialization
    schema: dict[str, Any] = _sorted_required(json.loads(text))
    return schema


def _sorted_required(node: Any) -> Any:
    """`required` lists in name order: declaration order is not part of the contract."""
    if isinstance(node, dict):
        out = {key: _sorted_required(value) for key, value in node.items()}
        if isinstance(out.get("required"), list) and all(
            isinstance(x, str) for x in out["required"]
        ):
            out["required"] = sorted(out["required"])
        return out
    if isinstance(node, list):
        return [_sorted_required(item) for item in node]
    return node


def _models(cls: type[BaseModel] | None) -> dict[str, Any]:
    """Each model reachable from `cls`: its class path and the Python names of aliased fields.

    Keyed by class name (Pydantic's `$defs` name), so the checker can tie a schema
    definition to a class (source lines) and see attribute renames (SDK changes).
    """
    found: dict[str, Any] = {}
    todo: list[type] = [cls] if cls is not None else []
    while todo:
        model = todo.pop()
        if model.__name__ in found:
            continue
        if not issubclass(model, BaseModel):  # an Enum: located, no attributes
            found[model.__name__] = {"class": f"{model.__module__}.{model.__qualname__}"}
            continue
        attributes: dict[str, str] = {}
        for name, info in model.model_fields.items():
            alias = info.serialization_alias or info.alias or name
            if alias != name:
                attributes[alias] = name
            todo.extend(_nested_models(info.annotation))
        found[model.__name__] = {
            "class": f"{model.__module__}.{model.__qualname__}",
            "attributes": attributes,
        }
    return found


def _nested_models(annotation: Any) -> list[type]:
    """Models and enums named in a field annotation (through unions, lists, Annotated)."""
    out: list[type] = []
    stack = [annotation]
    while stack:
        item = stack.pop()
        if isinstance(item, type) and issubclass(item, BaseModel | enum.Enum):
            out.append(item)
        stack.extend(typing.get_args(item))
    return out


def _position(
    ref: ir.ModelRef | None, column: Column, resolve: Resolver | None
) -> dict[str, Any] | None:
    if ref is None:
        return None
    cls = resolve(ref.module, ref.qualname) if resolve else None
    return {
        "model": f"{ref.module}.{ref.qualname}",
        "reader": str(column.reader),
        "mode": "validation" if column.reader == "server" else "serialization",
        "binary": ref.binary,
        "schema": _schema_of(ref, column),
        "models": _models(cls),
    }


def _event(e: ir.Event, resolve: Resolver | None) -> dict[str, Any]:
    direction = str(e.direction)
    return {
        "direction": direction,
        "python_name": e.python_name,
        "description": e.description,
        "deprecated": e.deprecated,
        "deprecation_message": e.deprecation_message,
        "stability": e.stability,
        "ack_timeout": e.ack_timeout,
        "payload": _position(e.payload, column_of(direction, "payload"), resolve),
        "ack": _position(e.ack, column_of(direction, "ack"), resolve),
    }


def snapshot(api: ir.Api, resolve: Resolver | None = None) -> dict[str, Any]:
    """The lock document of `api` (a plain JSON value).

    `resolve(module, qualname)` returns the contract class while the contracts are
    loaded; without it, attribute names (SDK-only changes) are not recorded.
    """
    namespaces: dict[str, Any] = {}
    for ns in api.namespaces:
        namespaces[ns.path] = {
            "version": ns.version,
            "stability": ns.stability,
            "description": ns.description,
            "source": ns.source_file,
            "module": ns.module_name,
            "auth": _position(ns.auth, Column.C2S_PAYLOAD, resolve),
            "events": {e.wire_name: _event(e, resolve) for e in ns.events},
        }
    return {
        "$comment": (
            f"Generated by sdkgen from {api.source_root}/. DO NOT EDIT. "
            "Compared by `sdkgen check --against <git-ref>`."
        ),
        "format": LOCK_FORMAT,
        "generator": api.tool_version,
        "source_root": api.source_root,
        "reader_policy": READER_POLICY,
        "namespaces": namespaces,
    }


def dumps(lock: dict[str, Any]) -> str:
    """Canonical text: sorted keys, two-space indent, LF, final newline."""
    return json.dumps(lock, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def loads(text: str, origin: str = "lock file") -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LockError(f"{origin} is not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("namespaces"), dict):
        raise LockError(f"{origin} is not an sdkgen lock file (no 'namespaces')")
    fmt = data.get("format")
    if fmt != LOCK_FORMAT:
        raise LockError(f"{origin} has lock format {fmt!r}; this sdkgen reads format {LOCK_FORMAT}")
    return data
