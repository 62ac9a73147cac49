"""Unit tests of the client generators' schema handling: merging and TypeScript types."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sdkgen.clients.schemas import namespace_shapes
from sdkgen.clients.typescript import ts_type


def position(schema: dict[str, Any]) -> dict[str, Any]:
    return {"binary": False, "schema": schema}


def lock_of(events: dict[str, Any]) -> dict[str, Any]:
    return {
        "namespaces": {"/x": {"version": "1.0.0", "module": "x", "auth": None, "events": events}}
    }


def event(direction: str, payload: dict[str, Any], ack: dict[str, Any] | None = None) -> Any:
    return {
        "direction": direction,
        "python_name": "e",
        "payload": position(payload),
        "ack": position(ack) if ack else None,
    }


MEMBER_IN = {"type": "object", "properties": {"id": {"type": "string"}}, "title": "Member"}
MEMBER_OUT = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "extra": {"type": "integer"}},
    "title": "Member",
}


def holder(title: str, member: dict[str, Any]) -> dict[str, Any]:
    return {
        "$defs": {"Member": member},
        "properties": {"member": {"$ref": "#/$defs/Member", "title": "Member"}},
        "title": title,
        "type": "object",
    }


def test_clashing_definitions_get_numbered_names_and_refs_follow() -> None:
    lock = lock_of(
        {
            "a": event("client_to_server", holder("Join", MEMBER_IN)),
            "b": event("server_to_client", holder("Joined", MEMBER_OUT)),
        }
    )
    (shape,) = namespace_shapes(lock)
    assert set(shape.definitions) == {"Join", "Joined", "Member", "Member2"}
    assert shape.definitions["Join"]["properties"]["member"] == {"$ref": "#/$defs/Member"}
    assert shape.definitions["Joined"]["properties"]["member"] == {"$ref": "#/$defs/Member2"}
    assert "extra" in shape.definitions["Member2"]["properties"]
    # Field titles are Pydantic noise; model titles stay.
    assert shape.definitions["Member"]["title"] == "Member"


def test_identical_definitions_are_shared_and_ref_roots_name_their_model() -> None:
    tree = {"$defs": {"Tree": {"type": "object", "title": "Tree"}}, "$ref": "#/$defs/Tree"}
    lock = lock_of(
        {
            "a": event("client_to_server", holder("Join", MEMBER_IN), tree),
            "b": event("server_to_client", holder("Left", MEMBER_IN)),
        }
    )
    (shape,) = namespace_shapes(lock)
    assert set(shape.definitions) == {"Join", "Left", "Member", "Tree"}
    assert shape.client_events[0].ack == "Tree"


def test_typescript_types_of_schema_nodes() -> None:
    assert ts_type({"enum": ["a", "b"]}) == '"a" | "b"'
    assert ts_type({"const": "file"}) == '"file"'
    assert ts_type({"type": "string", "format": "date-time"}) == "IsoDateTime"
    assert ts_type({"type": "string", "format": "binary"}) == "Binary"
    assert ts_type({"type": "string", "format": "uuid"}) == "string"
    assert ts_type({"anyOf": [{"$ref": "#/$defs/Quote"}, {"type": "null"}]}) == "Quote | null"
    assert ts_type(
        {"type": "array", "items": {"anyOf": [{"type": "integer"}, {"type": "string"}]}}
    ) == ("Array<number | string>")
    assert ts_type({"type": "object", "additionalProperties": {"type": "integer"}}) == (
        "Record<string, number>"
    )
    assert ts_type(
        {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "boolean"}]}
    ) == ("[number, boolean]")
    inline = {"type": "object", "properties": {"a-b": {"type": "integer"}}, "required": []}
    assert ts_type(inline) == '{ "a-b"?: number }'
    assert ts_type({}) == "unknown"


scalars = st.sampled_from(
    [
        {"type": "string"},
        {"type": "integer"},
        {"type": "null"},
        {"type": "string", "format": "date-time"},
        {"enum": ["x", 1]},
        {"$ref": "#/$defs/M"},
    ]
)
schemas = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.builds(lambda s: {"type": "array", "items": s}, inner),
        st.builds(lambda xs: {"anyOf": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(
            lambda props: {"type": "object", "properties": props},
            st.dictionaries(st.text(min_size=1, max_size=5), inner, min_size=1, max_size=3),
        ),
    ),
    max_leaves=10,
)


def balanced(text: str) -> bool:
    """Brackets outside string literals nest properly."""
    pairs, stack, i = {")": "(", ">": "<", "}": "{", "]": "["}, [], 0
    while i < len(text):
        c = text[i]
        if c == '"':
            i += 1
            while text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c in "(<{[":
            stack.append(c)
        elif c in pairs and (not stack or stack.pop() != pairs[c]):
            return False
        i += 1
    return not stack


@given(schemas)
def test_every_schema_maps_to_a_balanced_type(schema: dict[str, Any]) -> None:
    text = ts_type(schema)
    assert text and "unknown" not in text
    assert balanced(text), text


def test_models_only_received_are_read_only_and_sent_ones_are_not() -> None:
    sent = {
        "$defs": {"Member": MEMBER_IN},
        "properties": {"member": {"$ref": "#/$defs/Member"}},
        "title": "Join",
        "type": "object",
    }
    received = {
        "properties": {"count": {"default": 0, "type": "integer"}},
        "title": "Count",
        "type": "object",
    }
    lock = lock_of(
        {
            "a": event("client_to_server", sent, received),
            "b": event("server_to_client", holder("Ping", MEMBER_IN), {"title": "Pong"}),
        }
    )
    (shape,) = namespace_shapes(lock)
    assert shape.written == {"Join", "Member", "Pong"}  # payloads, what they use, call acks
    assert shape.read_only("Count") and shape.read_only("Ping")
    assert not shape.read_only("Member")  # sent inside Join, received inside Ping
