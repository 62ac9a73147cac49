"""Typed dispatch: what sdkgen-generated server code runs on.

A generated namespace class (see `generated/server/*.py`) subclasses
`TypedNamespace`, declares one `EventSpec` per event and adds `@overload`ed `on`,
`emit_<event>` and `call_<event>` methods whose types mypy checks. At run time this
module does the work, through nothing but the server's public API (`on`, `emit`,
`call`), so it runs on `runtime.AsyncServer` and on anything shaped like it:

* inbound payloads are validated with the contract model before the handler runs;
  a bad payload never reaches it and never crashes the server;
* acked events answer with an envelope, `{"ok": true, "data": ...}` or
  `{"ok": false, "error": {"code", "message", "event", "details"}}`; unacked events
  report errors with the `sdkgen:error` event instead, so nothing fails silently;
* a handler that raises `EventError` sends that error; any other exception is logged
  and sent as `internal_error` (without its text, which may hold secrets);
* outgoing models are dumped once with `model_dump(mode="json", by_alias=True)`;
  models that carry `bytes` keep them as bytes, which go out as binary attachments.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, Generic, Protocol, TypeAlias, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import to_jsonable_python

from runtime.exceptions import ConnectionRefusedError, SocketIOError

__all__ = [
    "ERROR_EVENT",
    "AsyncServerLike",
    "ConnectHandler",
    "DisconnectHandler",
    "ErrorCode",
    "EventError",
    "EventHandler",
    "EventSpec",
    "InvalidAckError",
    "PlainConnectHandler",
    "Target",
    "TypedNamespace",
    "dump",
]

ERROR_EVENT: Final = "sdkgen:error"
DEFAULT_CALL_TIMEOUT: Final = 60.0  # python-socketio's `AsyncServer.call` default

P = TypeVar("P", bound=BaseModel)
A = TypeVar("A", bound=BaseModel | None)
R = TypeVar("R", bound=BaseModel)
AuthT = TypeVar("AuthT", bound=BaseModel)

Target: TypeAlias = str | Sequence[str] | None
EventHandler: TypeAlias = Callable[[str, P], Awaitable[A]]
ConnectHandler: TypeAlias = Callable[[str, Mapping[str, Any], AuthT], Awaitable[None]]
PlainConnectHandler: TypeAlias = Callable[[str, Mapping[str, Any]], Awaitable[None]]
DisconnectHandler: TypeAlias = Callable[[str, str], Awaitable[None]]

logger = logging.getLogger("runtime.typed")


class ErrorCode(StrEnum):
    INVALID_PAYLOAD = "invalid_payload"
    INVALID_AUTH = "invalid_auth"
    INTERNAL_ERROR = "internal_error"
    NOT_IMPLEMENTED = "not_implemented"
    UNKNOWN_EVENT = "unknown_event"


class AsyncServerLike(Protocol):
    """The part of `runtime.AsyncServer` (and python-socketio's) typed dispatch uses."""

    def on(
        self, event: str, handler: Callable[..., Any] | None = None, namespace: str | None = None
    ) -> Any: ...

    async def emit(
        self,
        event: str,
        data: Any = None,
        *,
        to: Target = None,
        room: Target = None,
        skip_sid: Target = None,
        namespace: str | None = None,
    ) -> None: ...

    async def call(
        self,
        event: str,
        data: Any = None,
        *,
        to: str | None = None,
        namespace: str | None = None,
        timeout: float | None = 60,
    ) -> Any: ...


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


def _error(code: str, message: str, event: str, details: Sequence[Any] = ()) -> dict[str, Any]:
    return {"code": code, "message": message, "event": event, "details": list(details)}


def _is_async_callable(handler: object) -> bool:
    return inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(
        getattr(handler, "__call__", None)  # noqa: B004 - instances with `async def __call__`
    )


class TypedNamespace:
    """Base of generated namespace classes: handler table, validation and typed emits.

    One instance serves one server: `register(sio)` binds it, after which handlers
    can still be added and `emit_*` / `call_*` work anywhere (handlers, HTTP routes,
    background jobs).
    """

    def __init__(
        self,
        path: str,
        *,
        client_events: Sequence[EventSpec[Any, Any]],
        server_events: Sequence[EventSpec[Any, Any]] = (),
        auth: type[BaseModel] | None = None,
    ) -> None:
        self.path = path
        self.auth = auth
        self.client_events: dict[type[BaseModel], EventSpec[Any, Any]] = {
            spec.payload: spec for spec in client_events
        }
        self.server_events = tuple(server_events)
        self._handlers: dict[str, Callable[[str, Any], Awaitable[Any]]] = {}
        self._connect: Callable[..., Awaitable[None]] | None = None
        self._disconnect: DisconnectHandler | None = None
        self._server: AsyncServerLike | None = None

    @property
    def server(self) -> AsyncServerLike:
        if self._server is None:
            raise RuntimeError(f"namespace {self.path} is not registered: call register(sio)")
        return self._server

    # -- registration ------------------------------------------------------------
    def register(self, sio: AsyncServerLike, *, reject_unknown: bool = True) -> None:
        """Install every contract event of this namespace on `sio`.

        Events without a handler answer `not_implemented`; with `reject_unknown`,
        events the contract does not know answer `unknown_event` (when acked).
        """
        if self._server is not None and self._server is not sio:
            raise RuntimeError(f"namespace {self.path} is already registered with another server")
        self._server = sio
        for spec in self.client_events.values():
            sio.on(spec.name, self._dispatcher(spec), namespace=self.path)
        sio.on("connect", self._on_connect, namespace=self.path)
        sio.on("disconnect", self._on_disconnect, namespace=self.path)
        if reject_unknown:
            sio.on("*", self._on_unknown, namespace=self.path)

    def _decorator(
        self, event: type[BaseModel]
    ) -> Callable[[EventHandler[Any, Any]], EventHandler[Any, Any]]:
        """What the generated, overloaded `on(Event)` returns."""
        spec = self.client_events.get(event)
        if spec is None:
            raise ValueError(f"{event.__qualname__} is not a client event of {self.path}")

        def decorator(handler: EventHandler[Any, Any]) -> EventHandler[Any, Any]:
            self._set_handler(spec, handler)
            return handler

        return decorator

    def _set_handler(self, spec: EventSpec[P, A], handler: EventHandler[P, A]) -> None:
        if not _is_async_callable(handler):
            raise TypeError(f"the handler of {spec.name!r} must be an async function")
        self._handlers[spec.name] = handler
        if self._server is not None:
            self._server.on(spec.name, self._dispatcher(spec), namespace=self.path)

    def _set_connect(self, handler: Callable[..., Awaitable[None]]) -> None:
        if not _is_async_callable(handler):
            raise TypeError("the connect handler must be an async function")
        self._connect = handler

    def on_disconnect(self, handler: DisconnectHandler) -> DisconnectHandler:
        """Decorator: `async def handler(sid, reason) -> None`."""
        if not _is_async_callable(handler):
            raise TypeError("the disconnect handler must be an async function")
        self._disconnect = handler
        return handler

    # -- inbound -----------------------------------------------------------------
    async def _fail(self, sid: str, acked: bool, error: dict[str, Any]) -> Any:
        if acked:
            return {"ok": False, "error": error}
        await self.server.emit(ERROR_EVENT, error, to=sid, namespace=self.path)
        return None

    def _dispatcher(self, spec: EventSpec[Any, Any]) -> Callable[..., Awaitable[Any]]:
        """The function the server calls for `spec`: validate, run, wrap the result."""
        name, acked, ack_model, ack_binary = (
            spec.name,
            spec.ack is not None,
            spec.ack,
            spec.ack_binary,
        )
        validate = spec.payload.model_validate
        handler = self._handlers.get(name)
        fail = self._fail
        path = self.path

        if handler is None:

            async def missing(sid: str, *args: Any) -> Any:
                message = f"{name!r} has no handler on this server"
                return await fail(sid, acked, _error(ErrorCode.NOT_IMPLEMENTED, message, name))

            return missing

        async def dispatch(sid: str, *args: Any) -> Any:
            # A contract event has exactly one payload argument; none means "{}".
            if len(args) > 1:
                message = f"expected one payload argument, got {len(args)}"
                return await fail(sid, acked, _error(ErrorCode.INVALID_PAYLOAD, message, name))
            try:
                payload = validate(args[0] if args else {})
            except ValidationError as exc:
                error = _error(
                    ErrorCode.INVALID_PAYLOAD,
                    f"invalid {name!r} payload",
                    name,
                    validation_details(exc),
                )
                return await fail(sid, acked, error)
            try:
                result = await handler(sid, payload)
            except EventError as exc:
                return await fail(sid, acked, _error(exc.code, exc.message, name, exc.details))
            except Exception:
                logger.exception("handler of %r in %s failed", name, path)
                error = _error(ErrorCode.INTERNAL_ERROR, "internal server error", name)
                return await fail(sid, acked, error)
            if not acked:
                return None
            if not isinstance(result, ack_model):  # type: ignore[arg-type]
                logger.error(
                    "handler of %r in %s returned %s, not %s",
                    name,
                    path,
                    type(result).__qualname__,
                    ack_model.__qualname__,  # type: ignore[union-attr]
                )
                error = _error(ErrorCode.INTERNAL_ERROR, "internal server error", name)
                return await fail(sid, acked, error)
            return {"ok": True, "data": dump(result, ack_binary)}

        return dispatch

    async def _on_connect(self, sid: str, environ: Mapping[str, Any], auth: Any = None) -> None:
        if self.auth is not None:
            try:
                value = self.auth.model_validate({} if auth is None else auth)
            except ValidationError as exc:
                data = {"code": ErrorCode.INVALID_AUTH.value, "details": validation_details(exc)}
                raise ConnectionRefusedError("invalid auth", data) from None
            if self._connect is not None:
                await self._connect(sid, environ, value)
        elif self._connect is not None:
            await self._connect(sid, environ)

    async def _on_disconnect(self, sid: str, reason: str = "") -> None:
        if self._disconnect is not None:
            await self._disconnect(sid, reason)

    async def _on_unknown(self, event: str, sid: str, *args: Any) -> Any:
        message = f"{event!r} is not an event of {self.path}"
        return {"ok": False, "error": _error(ErrorCode.UNKNOWN_EVENT, message, event)}

    # -- outbound ----------------------------------------------------------------
    async def _emit(
        self,
        spec: EventSpec[P, Any],
        payload: P,
        *,
        to: Target = None,
        room: Target = None,
        skip_sid: Target = None,
    ) -> None:
        await self.server.emit(
            spec.name,
            dump(payload, spec.payload_binary),
            to=to,
            room=room,
            skip_sid=skip_sid,
            namespace=self.path,
        )

    async def _call(
        self, spec: EventSpec[P, R], payload: P, *, to: str, timeout: float | None
    ) -> R:
        """Emit to one client and return its validated ack (`InvalidAckError` if bad)."""
        ack_model = spec.ack
        if ack_model is None:
            raise TypeError(f"{spec.name!r} has no ack: use emit")
        data = await self.server.call(
            spec.name,
            dump(payload, spec.payload_binary),
            to=to,
            namespace=self.path,
            timeout=timeout,
        )
        try:
            return ack_model.model_validate(data)
        except ValidationError as exc:
            raise InvalidAckError(spec.name, exc) from None
