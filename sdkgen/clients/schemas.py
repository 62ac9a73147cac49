"""One JSON Schema `$defs` table per namespace, from the lock's positions.

Both client generators read this: every model a client writes or reads, named by
its contract class name (Pydantic's `title`), with `$ref`s into the same table.
Each position holds the schema of its reader (see `sdkgen.lock`), so a model used
both ways may differ between positions; a clash gets a numbered name rather than
silently picking one side.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

__all__ = ["Definitions", "EventShape", "NamespaceShape", "namespace_shapes"]

_REF = "#/$defs/"
Definitions = dict[str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class EventShape:
    wire_name: str
    python_name: str
    direction: str  # "client_to_server" | "server_to_client"
    payload: str  # name in the namespace's definitions
    ack: str | None
    binary_payload: bool
    binary_ack: bool
    description: str
    deprecated: bool
    deprecation_message: str
    ack_timeout: float | None


@dataclass(frozen=True, slots=True)
class NamespaceShape:
    path: str
    version: str
    description: str
    module: str  # python module name (the server's)
    auth: str | None
    binary_auth: bool
    events: tuple[EventShape, ...]  # sorted by wire name
    definitions: Definitions  # sorted by name
    written: frozenset[str] = frozenset()  # definitions the client sends (payloads, acks, auth)

    def read_only(self, name: str) -> bool:
        """Only ever received: the server sends every field, defaults included."""
        return name not in self.written

    @property
    def client_events(self) -> tuple[EventShape, ...]:
        return tuple(e for e in self.events if e.direction == "client_to_server")

    @property
    def server_events(self) -> tuple[EventShape, ...]:
        return tuple(e for e in self.events if e.direction == "server_to_client")


def _rewrite(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(_REF):
                name = value[len(_REF) :]
                out[key] = _REF + renames.get(name, name)
            else:
                out[key] = _rewrite(value, renames)
        return out
    if isinstance(node, list):
        return [_rewrite(item, renames) for item in node]
    return node


def _strip_titles(node: Any, top: bool = True) -> Any:
    """Drop Pydantic's per-field `title`s (noise in generated code); keep model titles."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                out[key] = {
                    name: _strip_titles(
                        {k: v for k, v in prop.items() if k != "title"}
                        if isinstance(prop, dict)
                        else prop,
                        False,
                    )
                    for name, prop in value.items()
                }
            elif key == "$defs" and isinstance(value, dict):
                out[key] = {name: _strip_titles(d, True) for name, d in value.items()}
            else:
                out[key] = _strip_titles(value, False)
        return out
    if isinstance(node, list):
        return [_strip_titles(item, False) for item in node]
    return node


class _Table:
    def __init__(self) -> None:
        self.defs: Definitions = {}

    def _free(self, name: str, schema: dict[str, Any]) -> tuple[str, bool]:
        """The name `schema` gets (and whether it is already there)."""
        candidate, n = name, 1
        while candidate in self.defs:
            if self.defs[candidate] == schema:
                return candidate, True
            n += 1
            candidate = f"{name}{n}"
        return candidate, False

    def add(self, position: dict[str, Any]) -> str:
        """Merge one lock position; return the name of its top-level model."""
        schema = _strip_titles(copy.deepcopy(position["schema"]))
        defs: Definitions = schema.pop("$defs", {})
        # Settle names in a fixed order; a def's identity includes what it refers to,
        # so rename until stable (clashes are rare: one or two passes).
        renames: dict[str, str] = {}
        for _ in range(len(defs) + 1):
            changed = False
            for name in sorted(defs):
                body = _rewrite(defs[name], renames)
                target, _ = self._free(name, body)
                if renames.get(name, name) != target:
                    renames[name] = target
                    changed = True
            if not changed:
                break
        for name in sorted(defs):
            body = _rewrite(defs[name], renames)
            self.defs.setdefault(renames.get(name, name), body)
        top = _rewrite(schema, renames)
        ref = top.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF) and set(top) <= {"$ref", "description"}:
            return ref[len(_REF) :]  # the position is a named model already in the table
        title = str(top.get("title") or "Anonymous")
        target, _ = self._free(title, top)
        self.defs.setdefault(target, top)
        return target


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = set()
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(_REF):
                found.add(value[len(_REF) :])
            else:
                found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(item) for item in node)) if node else set()
    return set()


def _reachable(defs: Definitions, roots: set[str]) -> frozenset[str]:
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen or name not in defs:
            continue
        seen.add(name)
        todo.extend(_refs(defs[name]))
    return frozenset(seen)


def namespace_shapes(lock: dict[str, Any]) -> tuple[NamespaceShape, ...]:
    """Every namespace of the lock document, with its merged definitions."""
    shapes = []
    for path in sorted(lock["namespaces"]):
        ns = lock["namespaces"][path]
        table = _Table()
        auth = ns.get("auth")
        auth_name = table.add(auth) if auth else None
        writes = {auth_name} if auth_name else set()
        events = []
        for wire in sorted(ns["events"]):
            e = ns["events"][wire]
            payload = table.add(e["payload"])
            ack = table.add(e["ack"]) if e.get("ack") else None
            if e["direction"] == "client_to_server":
                writes.add(payload)
            elif ack is not None:
                writes.add(ack)  # the client answers server calls
            events.append(
                EventShape(
                    wire_name=wire,
                    python_name=e["python_name"],
                    direction=e["direction"],
                    payload=payload,
                    ack=ack,
                    binary_payload=bool(e["payload"]["binary"]),
                    binary_ack=bool(e["ack"]["binary"]) if e.get("ack") else False,
                    description=e.get("description") or "",
                    deprecated=bool(e.get("deprecated")),
                    deprecation_message=e.get("deprecation_message") or "",
                    ack_timeout=e.get("ack_timeout"),
                )
            )
        shapes.append(
            NamespaceShape(
                path=path,
                version=ns["version"],
                description=ns.get("description") or "",
                module=ns["module"],
                auth=auth_name,
                binary_auth=bool(auth["binary"]) if auth else False,
                events=tuple(events),
                definitions=dict(sorted(table.defs.items())),
                written=_reachable(table.defs, writes),
            )
        )
    return tuple(shapes)


def document(shape: NamespaceShape) -> str:
    """The definitions as one JSON Schema document (datamodel-code-generator's input)."""
    return json.dumps({"$defs": shape.definitions}, sort_keys=True, indent=2)
