"""What a Pydantic model carries on the wire, read from its schemas.

Two sources: the JSON Schemas (validation and serialisation modes, canonical JSON for
the IR and the contract hash; failing to build one means the model cannot travel as
JSON), and pydantic-core's schema tree, walked for facts the JSON Schema hides:
`bytes` (binary attachments), naive datetimes, `Any`, and arbitrary Python types.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

__all__ = ["Issue", "IssueKind", "ModelFacts", "canonical_json", "inspect_model"]


class IssueKind(StrEnum):
    NAIVE_DATETIME = "naive-datetime"
    UNTYPED = "untyped"
    NOT_SERIALISABLE = "not-serialisable"


@dataclass(frozen=True, slots=True)
class Issue:
    kind: IssueKind
    model: type | None  # the model declaring the field (nested models report themselves)
    field: str | None
    detail: str


@dataclass(frozen=True, slots=True)
class ModelFacts:
    binary: bool
    issues: tuple[Issue, ...]
    schema_validation: str
    schema_serialization: str
    error: str | None  # why no JSON Schema could be built (the model cannot go on the wire)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# Keys of core-schema nodes that hold values or callables, not sub-schemas.
_SKIP_KEYS = frozenset(
    {
        "cls",
        "config",
        "default",
        "expected",
        "function",
        "members",
        "metadata",
        "post_init",
        "ref",
        "schema_ref",
        "serialization",
    }
)
_OPAQUE = {
    "is-instance": "an arbitrary Python type",
    "is-subclass": "a class",
    "callable": "a callable",
}


class _Walker:
    def __init__(self) -> None:
        self.binary = False
        self.issues: dict[tuple[IssueKind, str, str], Issue] = {}

    def add(self, kind: IssueKind, model: type | None, field: str | None, detail: str) -> None:
        key = (kind, model.__qualname__ if model else "", field or "")
        self.issues.setdefault(key, Issue(kind, model, field, detail))

    def walk(self, node: object, model: type | None, field: str | None) -> None:
        if isinstance(node, list):
            for item in node:
                self.walk(item, model, field)
            return
        if not isinstance(node, Mapping):
            return
        kind = node.get("type")
        if kind == "model" and isinstance(node.get("cls"), type):
            model, field = node["cls"], None
        elif kind == "bytes":
            self.binary = True
        elif kind == "datetime" and "tz_constraint" not in node:
            self.add(
                IssueKind.NAIVE_DATETIME,
                model,
                field,
                "datetime accepts naive values; use pydantic.AwareDatetime",
            )
        elif kind == "any":
            self.add(IssueKind.UNTYPED, model, field, "untyped (Any) value: nothing is validated")
        elif isinstance(kind, str) and kind in _OPAQUE:
            self.add(IssueKind.NOT_SERIALISABLE, model, field, f"{_OPAQUE[kind]} cannot be sent")
        if kind in ("model-fields", "typed-dict-fields"):
            for name, sub in node.get("fields", {}).items():
                self.walk(sub, model, name)
            for computed in node.get("computed_fields", None) or []:
                self.walk(computed.get("return_schema"), model, computed.get("property_name"))
            return
        if kind == "dataclass-args":
            for sub in node.get("fields", []):
                self.walk(sub, model, sub.get("name"))
            return
        for key, value in node.items():
            if key not in _SKIP_KEYS:
                self.walk(value, model, field)


def inspect_model(model: type[BaseModel]) -> ModelFacts:
    """Schemas and wire facts of `model`.

    Problems tied to a field are `issues`; `error` is a model-level failure (for
    example an unresolved forward reference) that no field explains.
    """
    validation = serialization = ""
    error: str | None = None
    try:
        validation = canonical_json(model.model_json_schema(mode="validation"))
        serialization = canonical_json(model.model_json_schema(mode="serialization"))
    except Exception as exc:  # pydantic raises several unrelated types here
        error = f"{type(exc).__name__}: {exc}"
    walker = _Walker()
    if model.__pydantic_complete__:
        walker.walk(model.__pydantic_core_schema__, model, None)
    issues = tuple(walker.issues.values())
    if any(i.kind is IssueKind.NOT_SERIALISABLE for i in issues):
        error = None  # the field-level issues say it better
    return ModelFacts(walker.binary, issues, validation, serialization, error)
