"""What typed dispatch decides, without doing any I/O (sans-IO).

The async and the sync namespace differ only in awaiting or calling the handler
and the server; every decision around that call is made here, once:

* `EventPlan.parse`: payload count and validation, before the handler runs;
* `EventPlan.raised` / `EventPlan.returned`: the handler's exception or result
  as an `Outcome` (`EventError` -> its error, anything else -> `internal_error`;
  a result that is not the ack model -> `internal_error`; else the dumped ack);
* `failure`: errors of acked events go in the ack envelope
  `{"ok": false, "error": {...}}`, those of unacked events in a `sdkgen:error`
  event to the sender, so nothing fails silently;
* `connect_arguments`, `unknown_event_ack`, `ack_model_of`, `parse_ack`,
  `check_handler_kind`: connect auth, unknown events, typed calls and handlers.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple, TypeVar

from pydantic import BaseModel, ValidationError

from runtime.exceptions import ConnectionRefusedError
from runtime.typed_core import (
    ErrorCode,
    EventError,
    EventSpec,
    InvalidAckError,
    dump,
    error_body,
    validation_details,
)

__all__ = [
    "NO_REPLY",
    "EventPlan",
    "Outcome",
    "ack_model_of",
    "check_handler_kind",
    "connect_arguments",
    "failure",
    "is_async_callable",
    "parse_ack",
    "unknown_event_ack",
]

R = TypeVar("R", bound=BaseModel)

logger = logging.getLogger("runtime.typed")


class Outcome(NamedTuple):
    """How a dispatched event ends: the ack to return, and an error event to send or not.

    A tuple, not a frozen dataclass: one is built per event, and tuples are built fast.
    """

    ack: Any = None  # returned to the server, which sends it when the client asked for one
    report: dict[str, Any] | None = None  # sent to the sender as `sdkgen:error`


NO_REPLY: Final = Outcome()


def failure(acked: bool, error: dict[str, Any]) -> Outcome:
    """An error as the client expects it: in the ack envelope, or as `sdkgen:error`."""
    if acked:
        return Outcome(ack={"ok": False, "error": error})
    return Outcome(report=error)


_INTERNAL = "internal server error"  # never the exception's text, which may hold secrets


@dataclass(frozen=True, slots=True)
class EventPlan:
    """The decisions around one contract event's handler call, on `path`."""

    spec: EventSpec[Any, Any]
    path: str
    acked: bool = field(init=False)
    # Looked up once: `parse` and `returned` run for every event.
    _validate: Callable[[Any], BaseModel] = field(init=False, repr=False)
    _ack: type[BaseModel] | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "acked", self.spec.ack is not None)
        object.__setattr__(self, "_validate", self.spec.payload.model_validate)
        object.__setattr__(self, "_ack", self.spec.ack)

    def missing(self) -> Outcome:
        """The event has no handler on this server."""
        name = self.spec.name
        message = f"{name!r} has no handler on this server"
        return failure(self.acked, error_body(ErrorCode.NOT_IMPLEMENTED, message, name))

    def parse(self, args: tuple[Any, ...]) -> BaseModel | Outcome:
        """The validated payload, or the error to answer with (the handler never runs)."""
        name = self.spec.name
        # A contract event has exactly one payload argument; none means "{}".
        if len(args) > 1:
            message = f"expected one payload argument, got {len(args)}"
            return failure(self.acked, error_body(ErrorCode.INVALID_PAYLOAD, message, name))
        try:
            return self._validate(args[0] if args else {})
        except ValidationError as exc:
            message = f"invalid {name!r} payload"
            details = validation_details(exc)
            return failure(
                self.acked, error_body(ErrorCode.INVALID_PAYLOAD, message, name, details)
            )

    def raised(self, exc: Exception) -> Outcome:
        """The handler raised `exc`: its `EventError`, or a logged `internal_error`."""
        name = self.spec.name
        if isinstance(exc, EventError):
            return failure(self.acked, error_body(exc.code, exc.message, name, exc.details))
        logger.error("handler of %r in %s failed", name, self.path, exc_info=exc)
        return failure(self.acked, error_body(ErrorCode.INTERNAL_ERROR, _INTERNAL, name))

    def returned(self, result: Any) -> Outcome:
        """The handler returned `result`: the dumped ack, or `internal_error` if mistyped."""
        ack = self._ack
        if ack is None:
            return NO_REPLY
        if not isinstance(result, ack):
            name = self.spec.name
            logger.error(
                "handler of %r in %s returned %s, not %s",
                name,
                self.path,
                type(result).__qualname__,
                ack.__qualname__,
            )
            return failure(True, error_body(ErrorCode.INTERNAL_ERROR, _INTERNAL, name))
        return Outcome({"ok": True, "data": dump(result, self.spec.ack_binary)})


def unknown_event_ack(event: str, path: str) -> dict[str, Any]:
    """The ack of an event the contract of `path` does not know."""
    message = f"{event!r} is not an event of {path}"
    return {"ok": False, "error": error_body(ErrorCode.UNKNOWN_EVENT, message, event)}


def connect_arguments(
    auth_model: type[BaseModel] | None, sid: str, environ: Mapping[str, Any], auth: Any
) -> tuple[Any, ...]:
    """The arguments of the user's connect handler; invalid auth refuses the client."""
    if auth_model is None:
        return (sid, environ)
    try:
        value = auth_model.model_validate({} if auth is None else auth)
    except ValidationError as exc:
        data = {"code": ErrorCode.INVALID_AUTH.value, "details": validation_details(exc)}
        raise ConnectionRefusedError("invalid auth", data) from None
    return (sid, environ, value)


def ack_model_of(spec: EventSpec[Any, R]) -> type[R]:
    """The ack model a typed call waits for (a local misuse when the event has none)."""
    if spec.ack is None:
        raise TypeError(f"{spec.name!r} has no ack: use emit")
    return spec.ack


def parse_ack(spec: EventSpec[Any, R], data: Any) -> R:
    """A client's ack of a typed call, validated (`InvalidAckError` if it does not fit)."""
    try:
        return ack_model_of(spec).model_validate(data)
    except ValidationError as exc:
        raise InvalidAckError(spec.name, exc) from None


def is_async_callable(handler: object) -> bool:
    return inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(
        getattr(handler, "__call__", None)  # noqa: B004 - instances with `async def __call__`
    )


def check_handler_kind(handler: object, what: str, *, asynchronous: bool) -> None:
    """`TypeError` when `handler` is not of the kind its server calls."""
    if asynchronous and not is_async_callable(handler):
        raise TypeError(f"{what} must be an async function (`async def`) on an AsyncServer")
    if not asynchronous and is_async_callable(handler):
        raise TypeError(
            f"{what} must be a plain function, not `async def`: the sync namespace runs on "
            "runtime.Server (use the async namespace with an AsyncServer)"
        )
