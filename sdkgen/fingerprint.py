"""The contract fingerprint: a short hash of everything generated code depends on.

Computed from the IR (schemas, names, metadata), not from source bytes, so formatting
or comments in a contract file do not change it and it is the same on every machine.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sdkgen import ir
from sdkgen.typeinfo import canonical_json

__all__ = ["contract_hash", "event_record", "model_record"]


def model_record(ref: ir.ModelRef | None) -> Any:
    if ref is None:
        return None
    return {
        "module": ref.module,
        "name": ref.qualname,
        "validation": ref.schema_validation,
        "serialization": ref.schema_serialization,
    }


def event_record(e: ir.Event) -> dict[str, Any]:
    return {
        "name": e.wire_name,
        "python_name": e.python_name,
        "direction": str(e.direction),
        "payload": model_record(e.payload),
        "ack": model_record(e.ack),
        "description": e.description,
        "deprecated": e.deprecated,
        "deprecation_message": e.deprecation_message,
        "stability": e.stability,
        "ack_timeout": e.ack_timeout,
    }


def contract_hash(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()[:12]
