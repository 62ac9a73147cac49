"""Structural comparison of two JSON Schemas of one position (Pydantic's dialect).

`$ref`s are followed and compared by structure, so moving or renaming a model is
not a wire change (it is reported once as `model-renamed`, category SDK). The
result is raw changes (rule id, field path, model, detail); how bad each one is
depends on who reads the position and is decided by `sdkgen.rules`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["OPEN_ENUM_KEY", "SchemaChange", "compare_schemas"]

# Mark an enum as open (readers accept unknown values):
# `Field(json_schema_extra={"x-open-enum": True})`.
OPEN_ENUM_KEY = "x-open-enum"

Schema = Mapping[str, Any]

# Constraint keys and which direction tightens them.
_UPPER = ("maxLength", "maxItems", "maxProperties", "maximum", "exclusiveMaximum")
_LOWER = ("minLength", "minItems", "minProperties", "minimum", "exclusiveMinimum")
_OTHER = ("pattern", "multipleOf", "format", "uniqueItems")
_DOC_KEYS = ("description", "examples")


@dataclass(frozen=True, slots=True)
class SchemaChange:
    rule: str
    path: str  # field path inside the position, e.g. "content(kind=text).text"; "" = root
    model: str | None  # definition name of the innermost model (for source locations)
    field: str | None  # the field of that model, when the change is about one
    detail: str


def _join(path: str, part: str) -> str:
    if not path:
        return part
    return f"{path}{part}" if part.startswith(("[", "{", "(")) else f"{path}.{part}"


def _fmt(value: Any) -> str:
    return repr(value)


class _Side:
    """One schema document: resolves `$ref`s against its `$defs`."""

    def __init__(self, root: Schema) -> None:
        self.root = root
        self.defs: Mapping[str, Any] = root.get("$defs", {})

    def resolve(self, node: Schema) -> tuple[Schema, str | None]:
        """`node` with `$ref` (and single-item `allOf`) inlined, and the definition name."""
        name: str | None = None
        seen = 0
        while seen < 64:  # a chain of refs, never a cycle in pydantic output
            seen += 1
            if "$ref" in node:
                ref = str(node["$ref"])
                target_name = ref.rsplit("/", 1)[-1]
                target = self.defs.get(target_name, {}) if ref.startswith("#/$defs/") else {}
                if ref == "#":
                    target, target_name = self.root, str(self.root.get("title", ""))
                name = target_name
                merged = {k: v for k, v in target.items() if k != "$defs"}
                merged.update({k: v for k, v in node.items() if k != "$ref"})
                node = merged
            elif isinstance(node.get("allOf"), list) and len(node["allOf"]) == 1:
                inner = dict(node["allOf"][0])
                inner.update({k: v for k, v in node.items() if k != "allOf"})
                node = inner
            else:
                break
        return node, name


@dataclass(frozen=True, slots=True)
class _Shape:
    node: Schema  # resolved, without the null branch
    nullable: bool
    kind: str  # object, array, string, integer, number, boolean, null, enum, union, any
    variants: tuple[Schema, ...]  # union branches (resolved lazily by the comparer)


def _kind(node: Schema) -> str:
    if "enum" in node or "const" in node:
        return "enum"
    t = node.get("type")
    if isinstance(t, str):
        return t
    if "properties" in node:
        return "object"
    return "any"


def _enum_values(node: Schema) -> list[Any]:
    if "enum" in node:
        return list(node["enum"])
    return [node["const"]] if "const" in node else []


def _shape(node: Schema) -> _Shape:
    branches = node.get("anyOf") or node.get("oneOf")
    types = node.get("type")
    if isinstance(types, list) and "null" in types:
        rest = [t for t in types if t != "null"]
        inner = dict(node)
        inner["type"] = rest[0] if len(rest) == 1 else rest
        return _Shape(inner, True, _kind(inner), ())
    if isinstance(branches, list):
        non_null = [b for b in branches if b != {"type": "null"}]
        nullable = len(non_null) != len(branches)
        outer = {k: v for k, v in node.items() if k not in ("anyOf", "oneOf")}
        if len(non_null) == 1:
            inner = dict(non_null[0])
            for key, value in outer.items():
                inner.setdefault(key, value)
            return _Shape(inner, nullable, "ref" if "$ref" in inner else _kind(inner), ())
        return _Shape(outer | {"anyOf": non_null}, nullable, "union", tuple(non_null))
    return _Shape(node, False, _kind(node), ())


class _Comparer:
    def __init__(self, old: Schema, new: Schema, strict_reader: bool | None) -> None:
        self.strict_reader = strict_reader
        self.old = _Side(old)
        self.new = _Side(new)
        self.changes: list[SchemaChange] = []
        self._active: set[tuple[str | None, str | None]] = set()
        self._renames: set[tuple[str, str]] = set()

    def add(self, rule: str, path: str, model: str | None, field: str | None, detail: str) -> None:
        self.changes.append(SchemaChange(rule, path, model, field, detail))

    # -- entry -----------------------------------------------------------------------
    def compare(
        self, old: Schema, new: Schema, path: str, model: str | None, field: str | None
    ) -> None:
        old, old_name = self.old.resolve(old)
        new, new_name = self.new.resolve(new)
        if (
            old_name
            and new_name
            and old_name != new_name
            and ((old_name, new_name) not in self._renames)
        ):
            self._renames.add((old_name, new_name))
            self.add(
                "model-renamed",
                path,
                new_name,
                None,
                f"model {old_name} is now {new_name} (same shape on the wire is checked below)",
            )
        key = (old_name, new_name)
        if old_name or new_name:
            if key in self._active:
                return  # a recursive model: this pair is already being compared
            self._active.add(key)
        inner_model = new_name or old_name or model
        try:
            self._compare_resolved(
                old, new, path, inner_model, field if inner_model == model else None
            )
        finally:
            self._active.discard(key)

    def _compare_resolved(
        self, old: Schema, new: Schema, path: str, model: str | None, field: str | None
    ) -> None:
        where = path or "the value"
        for key in _DOC_KEYS:
            if old.get(key) != new.get(key):
                self.add(
                    "description-changed",
                    path,
                    model,
                    field,
                    f"{key} of {where} changed",
                )
        if "default" in old and "default" in new and old["default"] != new["default"]:
            self.add(
                "default-changed",
                path,
                model,
                field,
                f"default of {where} changed from {_fmt(old['default'])} to {_fmt(new['default'])}",
            )
        a, b = _shape(old), _shape(new)
        if a.kind == "ref" or b.kind == "ref":
            # `X | None` around a reference: compare nullability here, the target below.
            self._nullability(a, b, path, model, field)
            self.compare(_bare(a.node), _bare(b.node), path, model, field)
            return
        self._nullability(a, b, path, model, field)
        self._compare_shapes(a, b, path, model, field)

    def _nullability(
        self, a: _Shape, b: _Shape, path: str, model: str | None, field: str | None
    ) -> None:
        where = path or "the value"
        if a.nullable and not b.nullable:
            self.add("became-non-nullable", path, model, field, f"{where} no longer accepts null")
        elif b.nullable and not a.nullable:
            self.add("became-nullable", path, model, field, f"{where} may now be null")

    # -- shapes ------------------------------------------------------------------------
    def _compare_shapes(
        self, a: _Shape, b: _Shape, path: str, model: str | None, field: str | None
    ) -> None:
        where = path or "the value"
        if a.kind == "union" or b.kind == "union":
            self._unions(a, b, path, model, field)
            return
        if a.kind == "any" or b.kind == "any":
            if a.kind != b.kind:
                rule = "type-widened" if b.kind == "any" else "type-narrowed"
                self.add(rule, path, model, field, f"{where}: {a.kind} -> {b.kind}")
            return
        if a.kind == "enum" or b.kind == "enum":
            self._enums(a, b, path, model, field)
            return
        if a.kind != b.kind:
            if (a.kind, b.kind) == ("integer", "number"):
                self.add("type-widened", path, model, field, f"{where}: integer -> number")
            elif (a.kind, b.kind) == ("number", "integer"):
                self.add("type-narrowed", path, model, field, f"{where}: number -> integer")
            else:
                self.add("type-changed", path, model, field, f"{where}: {a.kind} -> {b.kind}")
                return
        self._constraints(a.node, b.node, path, model, field)
        if b.kind == "object":
            self._objects(a.node, b.node, path, model)
        elif b.kind == "array":
            self.compare(
                a.node.get("items", {}), b.node.get("items", {}), _join(path, "[]"), model, field
            )

    def _enums(self, a: _Shape, b: _Shape, path: str, model: str | None, field: str | None) -> None:
        where = path or "the value"
        if a.kind == "enum" and b.kind == "enum":
            old, new = _enum_values(a.node), _enum_values(b.node)
            open_enum = bool(b.node.get(OPEN_ENUM_KEY) or a.node.get(OPEN_ENUM_KEY))
            for value in new:
                if value not in old:
                    rule = "open-enum-value-added" if open_enum else "enum-value-added"
                    self.add(rule, path, model, field, f"{where}: value {_fmt(value)} added")
            for value in old:
                if value not in new:
                    self.add(
                        "enum-value-removed",
                        path,
                        model,
                        field,
                        f"{where}: value {_fmt(value)} removed",
                    )
            return
        plain, enum = (b, a) if a.kind == "enum" else (a, b)
        values = _enum_values(enum.node)
        same_type = all(
            _json_type(v) == plain.kind or (plain.kind == "number" and _json_type(v) == "integer")
            for v in values
        )
        if not same_type:
            self.add("type-changed", path, model, field, f"{where}: {a.kind} -> {b.kind}")
        elif a.kind == "enum":
            self.add("type-widened", path, model, field, f"{where}: {values} -> any {plain.kind}")
        else:
            self.add("type-narrowed", path, model, field, f"{where}: any {plain.kind} -> {values}")

    def _unions(
        self, a: _Shape, b: _Shape, path: str, model: str | None, field: str | None
    ) -> None:
        where = path or "the value"
        both = a.kind == b.kind == "union"
        da = a.node.get("discriminator") if both else None
        db = b.node.get("discriminator") if both else None
        if isinstance(da, Mapping) and isinstance(db, Mapping):
            if da.get("propertyName") != db.get("propertyName"):
                self.add(
                    "discriminator-changed",
                    path,
                    model,
                    field,
                    f"{where}: discriminator {da.get('propertyName')!r} -> "
                    f"{db.get('propertyName')!r}",
                )
                return
            tag = str(db.get("propertyName"))
            old = self._tagged(self.old, a.variants, tag)
            new = self._tagged(self.new, b.variants, tag)
            for value in new.keys() - old.keys():
                self.add(
                    "union-variant-added", path, model, field, f"{where}: {tag}={value!r} added"
                )
            for value in old.keys() - new.keys():
                self.add(
                    "union-variant-removed", path, model, field, f"{where}: {tag}={value!r} removed"
                )
            for value in sorted(old.keys() & new.keys(), key=str):
                self.compare(old[value], new[value], _join(path, f"({tag}={value})"), model, field)
            return
        if (da is None) != (db is None):
            self.add(
                "discriminator-changed",
                path,
                model,
                field,
                f"{where}: union {'gained' if db else 'lost'} its discriminator",
            )
        old_v = self._signatures(self.old, a)
        new_v = self._signatures(self.new, b)
        added = [s for s in new_v if s not in old_v]
        removed = [s for s in old_v if s not in new_v]
        kind_rule = "union-variant" if both else "type"
        for sig in added:
            rule = "union-variant-added" if kind_rule == "union-variant" else "type-widened"
            self.add(rule, path, model, field, f"{where}: {sig} accepted")
        for sig in removed:
            rule = "union-variant-removed" if kind_rule == "union-variant" else "type-narrowed"
            self.add(rule, path, model, field, f"{where}: {sig} no longer accepted")
        for sig in [s for s in old_v if s in new_v]:
            self.compare(old_v[sig], new_v[sig], path, model, field)

    @staticmethod
    def _tagged(side: _Side, variants: tuple[Schema, ...], tag: str) -> dict[Any, Schema]:
        found: dict[Any, Schema] = {}
        for variant in variants:
            node, _ = side.resolve(variant)
            prop, _ = side.resolve(node.get("properties", {}).get(tag, {}))
            for value in _enum_values(prop):
                found[value] = variant
        return found

    @staticmethod
    def _signatures(side: _Side, shape: _Shape) -> dict[str, Schema]:
        """Union branches keyed by what they are: a model's title or a JSON type."""
        branches = shape.variants if shape.kind == "union" else (shape.node,)
        found: dict[str, Schema] = {}
        for branch in branches:
            node, name = side.resolve(branch)
            kind = _kind(node)
            if kind == "object":
                sig = f"object {node.get('title', name or '')}".strip()
            elif kind == "enum":
                sig = "enum " + ",".join(map(repr, _enum_values(node)))
            else:
                sig = kind
            found.setdefault(sig, branch)
        return found

    # -- constraints and objects -------------------------------------------------------
    def _constraints(
        self, old: Schema, new: Schema, path: str, model: str | None, field: str | None
    ) -> None:
        where = path or "the value"
        for key in (*_UPPER, *_LOWER, *_OTHER):
            before, after = old.get(key), new.get(key)
            if before == after:
                continue
            detail = f"{where}: {key} {_fmt(before)} -> {_fmt(after)}"
            if before is None:
                rule = "constraint-added"
            elif after is None:
                rule = "constraint-loosened"
            elif (
                key in _UPPER and isinstance(before, int | float) and isinstance(after, int | float)
            ):
                rule = "constraint-tightened" if after < before else "constraint-loosened"
            elif (
                key in _LOWER and isinstance(before, int | float) and isinstance(after, int | float)
            ):
                rule = "constraint-tightened" if after > before else "constraint-loosened"
            elif key == "format":
                rule = "type-changed"
            else:
                rule = "constraint-changed"
            self.add(rule, path, model, field, detail)

    def _objects(self, old: Schema, new: Schema, path: str, model: str | None) -> None:
        where = path or "the value"
        old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
        if old_extra is not False and new_extra is False:
            self.add("extra-forbidden", path, model, None, f"{where} now rejects unknown keys")
        elif old_extra is False and new_extra is not False:
            self.add("extra-allowed", path, model, None, f"{where} now accepts unknown keys")
        if isinstance(old_extra, Mapping) and isinstance(new_extra, Mapping):
            self.compare(old_extra, new_extra, _join(path, "{}"), model, None)
        old_props: Mapping[str, Any] = old.get("properties", {})
        new_props: Mapping[str, Any] = new.get("properties", {})
        old_req, new_req = set(old.get("required", ())), set(new.get("required", ()))
        removed = [n for n in old_props if n not in new_props]
        added = [n for n in new_props if n not in old_props]
        renamed = self._renamed_fields(old_props, new_props, removed, added, old_req, new_req)
        for old_name, new_name in renamed:
            removed.remove(old_name)
            added.remove(new_name)
            self.add(
                "field-renamed",
                _join(path, new_name),
                model,
                new_name,
                f"field {old_name!r} of {where} is now {new_name!r} on the wire",
            )
        # Who rejects unknown keys: the model itself (the server reads with it) or,
        # for client readers, the generated clients' policy.
        strict = new_extra is False if self.strict_reader is None else self.strict_reader
        for name in sorted(removed):
            rule = (
                "field-removed-strict-reader"
                if strict
                else "required-field-removed"
                if name in old_req
                else "optional-field-removed"
            )
            kind = "required" if name in old_req else "optional"
            self.add(rule, _join(path, name), model, name, f"{kind} field {name!r} removed")
        for name in sorted(added):
            if name in new_req:
                self.add(
                    "required-field-added",
                    _join(path, name),
                    model,
                    name,
                    f"required field {name!r} added",
                )
            else:
                rule = (
                    "optional-field-added-strict-reader"
                    if self.strict_reader
                    else "optional-field-added"
                )
                self.add(rule, _join(path, name), model, name, f"optional field {name!r} added")
        for name in sorted(set(old_props) & set(new_props)):
            sub = _join(path, name)
            if name in old_req and name not in new_req:
                self.add("field-became-optional", sub, model, name, f"{name!r} became optional")
            elif name in new_req and name not in old_req:
                self.add("field-became-required", sub, model, name, f"{name!r} became required")
            self.compare(old_props[name], new_props[name], sub, model, name)

    def _renamed_fields(
        self,
        old_props: Mapping[str, Any],
        new_props: Mapping[str, Any],
        removed: list[str],
        added: list[str],
        old_req: set[str],
        new_req: set[str],
    ) -> list[tuple[str, str]]:
        """Pairs (removed, added) with the same schema: a rename, when unambiguous."""
        pairs: list[tuple[str, str]] = []
        for old_name in removed:
            matches = [
                new_name
                for new_name in added
                if _same(old_props[old_name], new_props[new_name])
                and (old_name in old_req) == (new_name in new_req)
            ]
            if len(matches) == 1 and all(p[1] != matches[0] for p in pairs):
                pairs.append((old_name, matches[0]))
        return pairs


def _same(a: Schema, b: Schema) -> bool:
    drop = ("title", "description", "examples")
    return {k: v for k, v in a.items() if k not in drop} == {
        k: v for k, v in b.items() if k not in drop
    }


def _bare(node: Schema) -> Schema:
    """A union branch without the keys the enclosing node already compared."""
    return {k: v for k, v in node.items() if k not in (*_DOC_KEYS, "default", "title")}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "null" if value is None else "object"


def compare_schemas(
    old: Schema, new: Schema, *, strict_reader: bool | None = None
) -> Iterator[SchemaChange]:
    """Every change from `old` to `new`, root first, then fields in name order.

    `strict_reader`: None when the reader validates with this very schema (the
    server), else whether the reader rejects unknown keys (the clients' policy).
    """
    comparer = _Comparer(old, new, strict_reader)
    root = str(new.get("title") or old.get("title") or "") or None
    comparer.compare(old, new, "", root, None)
    yield from comparer.changes
