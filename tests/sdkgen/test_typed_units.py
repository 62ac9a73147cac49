"""runtime.typed without a connection: dumping, errors, and misuse of TypedNamespace."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

import pytest
from pydantic import BaseModel, Field, ValidationError

import runtime
from contracts.chat import DeliveryCheck, SendMessage, Typing
from generated.server.chat import TYPING, ChatNamespace
from runtime.typed import EventError, EventSpec, dump, validation_details


class Kind(StrEnum):
    A = "a"


class Inner(BaseModel):
    raw: bytes
    at: datetime


class Outer(BaseModel):
    id: UUID
    kind: Kind
    inner: list[Inner]
    tags: frozenset[str]
    renamed: int = Field(alias="renamedField")


def sample() -> Outer:
    return Outer(
        id=UUID(int=1),
        kind=Kind.A,
        inner=[Inner(raw=b"\xff\x00", at=datetime(2030, 1, 1, tzinfo=UTC))],
        tags=frozenset({"x"}),
        renamedField=3,
    )


def test_dump_json_mode_uses_aliases_and_json_types() -> None:
    value = Outer.model_validate(
        {"id": str(UUID(int=1)), "kind": "a", "inner": [], "tags": ["x"], "renamedField": 3}
    )
    assert dump(value) == {
        "id": "00000000-0000-0000-0000-000000000001",
        "kind": "a",
        "inner": [],
        "tags": ["x"],
        "renamedField": 3,
    }


def test_dump_binary_mode_keeps_bytes_and_converts_everything_else() -> None:
    assert dump(sample(), binary=True) == {
        "id": "00000000-0000-0000-0000-000000000001",
        "kind": "a",
        "inner": [{"raw": b"\xff\x00", "at": "2030-01-01T00:00:00Z"}],
        "tags": ["x"],
        "renamedField": 3,
    }


def test_binary_dump_validates_back_to_an_equal_model() -> None:
    assert Outer.model_validate(dump(sample(), binary=True)) == sample()


def test_validation_details_do_not_echo_the_input() -> None:
    with pytest.raises(ValidationError) as caught:
        Typing.model_validate({"room": "secret-input!!", "active": "maybe"})
    details = validation_details(caught.value)
    assert {tuple(d["loc"]) for d in details} == {("room",), ("active",)}
    assert "secret-input!!" not in repr(details)


def test_event_error_defaults() -> None:
    error = EventError("gone")
    assert (error.code, error.message, error.details) == ("gone", "gone", [])


def test_namespace_misuse_is_reported_early() -> None:
    chat = ChatNamespace()
    with pytest.raises(RuntimeError, match="not registered"):
        _ = chat.server
    with pytest.raises(ValueError, match="not a client event of /chat"):
        chat.on(DeliveryCheck)  # type: ignore[arg-type]

    def sync_handler(sid: str, payload: SendMessage) -> Any:
        return None

    with pytest.raises(TypeError, match="async"):
        chat.on(SendMessage)(sync_handler)
    chat.register(runtime.AsyncServer())
    with pytest.raises(RuntimeError, match="another server"):
        chat.register(runtime.AsyncServer())


async def test_call_needs_an_acked_event() -> None:
    chat = ChatNamespace()
    chat.register(runtime.AsyncServer())
    with pytest.raises(TypeError, match="has no ack"):
        await chat._call(TYPING, Typing(room="a", active=True), to="sid", timeout=1)  # type: ignore[type-var]


def test_event_spec_defaults() -> None:
    spec: EventSpec[Typing, None] = EventSpec("typing", Typing)
    assert (spec.ack, spec.ack_timeout, spec.payload_binary, spec.ack_binary) == (
        None,
        None,
        False,
        False,
    )
