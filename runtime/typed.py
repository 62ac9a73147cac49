"""Typed dispatch: what sdkgen-generated server code runs on.

A generated namespace class (see `generated/server/*.py`) subclasses
`TypedNamespace` (for `runtime.AsyncServer`) or `SyncTypedNamespace` (for
`runtime.Server`, see `runtime.typed_sync`), declares one `EventSpec` per event and
adds `@overload`ed `on`, `emit_<event>` and `call_<event>` methods whose types mypy
checks. At run time the work goes through nothing but the server's public API (`on`,
`emit`, `call`), so it runs on the runtime and on anything shaped like it:

* inbound payloads are validated with the contract model before the handler runs;
  a bad payload never reaches it and never crashes the server;
* acked events answer with an envelope, `{"ok": true, "data": ...}` or
  `{"ok": false, "error": {"code", "message", "event", "details"}}`; unacked events
  report errors with the `sdkgen:error` event instead, so nothing fails silently;
* a handler that raises `EventError` sends that error; any other exception is logged
  and sent as `internal_error` (without its text, which may hold secrets);
* outgoing models are dumped once with `model_dump(mode="json", by_alias=True)`;
  models that carry `bytes` keep them as bytes, which go out as binary attachments.

Every decision lives once in `runtime.typed_dispatch` (sans-IO); this module and
`runtime.typed_sync` only await or call the handler and the server.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar, Protocol, TypeAlias, TypeVar

from pydantic import BaseModel

from runtime.typed_base import NamespaceBinding
from runtime.typed_core import (
    DEFAULT_CALL_TIMEOUT,
    ERROR_EVENT,
    ErrorCode,
    EventError,
    EventSpec,
    InvalidAckError,
    Target,
    dump,
    error_body,
    validation_details,
)
from runtime.typed_dispatch import (
    EventPlan,
    Outcome,
    ack_model_of,
    parse_ack,
    unknown_event_ack,
)

__all__ = [
    "DEFAULT_CALL_TIMEOUT",
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
    "error_body",
    "validation_details",
]

P = TypeVar("P", bound=BaseModel)
A = TypeVar("A", bound=BaseModel | None)
R = TypeVar("R", bound=BaseModel)
AuthT = TypeVar("AuthT", bound=BaseModel)

EventHandler: TypeAlias = Callable[[str, P], Awaitable[A]]
ConnectHandler: TypeAlias = Callable[[str, Mapping[str, Any], AuthT], Awaitable[None]]
PlainConnectHandler: TypeAlias = Callable[[str, Mapping[str, Any]], Awaitable[None]]
DisconnectHandler: TypeAlias = Callable[[str, str], Awaitable[None]]


class AsyncServerLike(Protocol):
    """The part of `runtime.AsyncServer` (and python-socketio's) typed dispatch uses."""

    # Only the registering form (the servers overload `on` with the decorator form).
    def on(self, event: str, handler: Callable[..., Any], namespace: str | None = None) -> Any: ...

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


class TypedNamespace(NamespaceBinding[AsyncServerLike]):
    """Base of generated namespace classes for `AsyncServer`: handlers are `async def`."""

    asynchronous: ClassVar[bool] = True

    def on_disconnect(self, handler: DisconnectHandler) -> DisconnectHandler:
        """Decorator: `async def handler(sid, reason) -> None`."""
        self._set_disconnect(handler)
        return handler

    # -- inbound -----------------------------------------------------------------
    async def _deliver(self, sid: str, outcome: Outcome) -> Any:
        if outcome.report is not None:
            await self.server.emit(ERROR_EVENT, outcome.report, to=sid, namespace=self.path)
        return outcome.ack

    def _dispatcher(self, spec: EventSpec[Any, Any]) -> Callable[..., Awaitable[Any]]:
        """The function the server calls for `spec`: validate, run, wrap the result."""
        plan = EventPlan(spec, self.path)
        handler = self._handlers.get(spec.name)
        deliver = self._deliver

        if handler is None:
            outcome = plan.missing()

            async def missing(sid: str, *args: Any) -> Any:
                return await deliver(sid, outcome)

            return missing

        parse, raised, returned = plan.parse, plan.raised, plan.returned

        async def dispatch(sid: str, *args: Any) -> Any:
            payload = parse(args)
            if isinstance(payload, Outcome):
                return await deliver(sid, payload)
            try:
                result = await handler(sid, payload)
            except Exception as exc:
                return await deliver(sid, raised(exc))
            outcome = returned(result)
            # Most events end here: no error event to send, no extra coroutine.
            return outcome.ack if outcome.report is None else await deliver(sid, outcome)

        return dispatch

    async def _on_connect(self, sid: str, environ: Mapping[str, Any], auth: Any = None) -> None:
        arguments = self._connect_arguments(sid, environ, auth)
        if self._connect is not None:
            await self._connect(*arguments)

    async def _on_disconnect(self, sid: str, reason: str = "") -> None:
        if self._disconnect is not None:
            await self._disconnect(sid, reason)

    async def _on_unknown(self, event: str, sid: str, *args: Any) -> Any:
        return unknown_event_ack(event, self.path)

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
        ack_model_of(spec)  # before sending: an event without ack is a local misuse
        data = await self.server.call(
            spec.name,
            dump(payload, spec.payload_binary),
            to=to,
            namespace=self.path,
            timeout=timeout,
        )
        return parse_ack(spec, data)
