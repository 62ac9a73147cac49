"""The vocabulary of typed dispatch: event specs, error codes, errors and payload dumps.

Shared by the async (`runtime.typed`) and sync (`runtime.typed_sync`) namespaces and
by the generated clients; nothing here talks to a server.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, Generic, TypeAlias, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import to_jsonable_python

from runtime.exceptions import SocketIOError

__all__ = [
    "DEFAULT_CALL_TIMEOUT",
    "ERROR_EVENT",
    "ErrorCode",
    "EventError",
    "EventSpec",
    "InvalidAckError",
    "Target",
    "dump",
    "error_body",
    "validation_details",
]

ERROR_EVENT: Final = "sdkgen:error"
DEFAULT_CALL_TIMEOUT: Final = 60.0  # python-socketio's `call` default

P = TypeVar("P", bound=BaseModel)
A = TypeVar("A", bound=BaseModel | None)

Target: TypeAlias = str | Sequence[str] | None


class ErrorCode(StrEnum):
    INVALID_PAYLOAD = "invalid_payload"
    INVALID_AUTH = "invalid_auth"
    INTERNAL_ERROR = "internal_error"
    NOT_IMPLEMENTED = "not_implemented"
    UNKNOWN_EVENT = "unknown_event"


class EventError(Exception):
    """Raise in a handler to answer with a structured error instead of an ack.

    `code` is machine-readable (`"room_not_found"`), `message` is for people.
    """

    def __init__(
        self, code: str, message: str = "", *, details: Sequence[Mapping[str, Any]] = ()
    ) -> None:
        super().__init__(message or code)
        self.code = code
        self.message = message or code
        self.details = [dict(d) for d in details]


class InvalidAckError(SocketIOError):
    """A client acknowledged a server event with data that fails the ack model."""

    def __init__(self, event: str, error: ValidationError) -> None:
        super().__init__(f"invalid ack for {event!r}: {error.error_count()} validation error(s)")
        self.event = event
        self.errors = validation_details(error)


@dataclass(frozen=True, slots=True)
class EventSpec(Generic[P, A]):
    """One contract event: wire name, payload model and ack model (None: no ack)."""

    name: str
    payload: type[P]
    ack: type[A] | None = None
    ack_timeout: float | None = None
    # Set by the generator for models holding `bytes` (see `dump`).
    payload_binary: bool = False
    ack_binary: bool = False


def validation_details(error: ValidationError) -> list[dict[str, Any]]:
    """Pydantic errors as JSON: where, what and why, without echoing the input back."""
    return [
        {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
        for e in error.errors(include_url=False, include_context=False, include_input=False)
    ]


def error_body(code: str, message: str, event: str, details: Sequence[Any] = ()) -> dict[str, Any]:
    """The `error` object of an error envelope and of the `sdkgen:error` event."""
    return {"code": code, "message": message, "event": event, "details": list(details)}


def _keep_bytes(value: Any) -> Any:
    if isinstance(value, str | int | float | bool | bytes) or value is None:
        return value
    if isinstance(value, dict):
        return {k if isinstance(k, str) else str(k): _keep_bytes(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_keep_bytes(v) for v in value]
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    return to_jsonable_python(value)  # datetimes, UUIDs, enums, decimals...


def dump(model: BaseModel, binary: bool = False) -> Any:
    """`model` as the JSON-ready value to send; `bytes` stay bytes when `binary`.

    The binary path dumps in python mode and converts the leaves itself, so a custom
    serializer declared `when_used="json"` does not run on models that carry bytes.
    """
    if binary:
        # JSON mode would turn bytes into text; python mode keeps them for attachments.
        return _keep_bytes(model.model_dump(mode="python", by_alias=True))
    return model.model_dump(mode="json", by_alias=True)
