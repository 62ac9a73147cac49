"""Typed dispatch on the sync `runtime.Server`: the twin of `runtime.typed.TypedNamespace`.

Generated code offers one per namespace (`ChatNamespaceSync`, instance `chat_sync`).
Handlers are plain functions, `emit_*` and `call_*` block (the server runs each
handler in a thread or greenlet of its async mode). Every decision comes from
`runtime.typed_dispatch`, like the async side: only the calls here are not awaited.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Protocol, TypeAlias, TypeVar

from pydantic import BaseModel

from runtime.typed_base import NamespaceBinding
from runtime.typed_core import ERROR_EVENT, EventSpec, Target, dump
from runtime.typed_dispatch import (
    EventPlan,
    Outcome,
    ack_model_of,
    parse_ack,
    unknown_event_ack,
)

__all__ = [
    "ServerLike",
    "SyncConnectHandler",
    "SyncDisconnectHandler",
    "SyncEventHandler",
    "SyncPlainConnectHandler",
    "SyncTypedNamespace",
]

P = TypeVar("P", bound=BaseModel)
A = TypeVar("A", bound=BaseModel | None)
R = TypeVar("R", bound=BaseModel)
AuthT = TypeVar("AuthT", bound=BaseModel)

SyncEventHandler: TypeAlias = Callable[[str, P], A]
SyncConnectHandler: TypeAlias = Callable[[str, Mapping[str, Any], AuthT], None]
SyncPlainConnectHandler: TypeAlias = Callable[[str, Mapping[str, Any]], None]
SyncDisconnectHandler: TypeAlias = Callable[[str, str], None]


class ServerLike(Protocol):
    """The part of `runtime.Server` (and python-socketio's `Server`) typed dispatch uses."""

    # Only the registering form (the servers overload `on` with the decorator form).
    def on(self, event: str, handler: Callable[..., Any], namespace: str | None = None) -> Any: ...

    def emit(
        self,
        event: str,
        data: Any = None,
        *,
        to: Target = None,
        room: Target = None,
        skip_sid: Target = None,
        namespace: str | None = None,
    ) -> None: ...

    def call(
        self,
        event: str,
        data: Any = None,
        *,
        to: str | None = None,
        namespace: str | None = None,
        timeout: float | None = 60,
    ) -> Any: ...


class SyncTypedNamespace(NamespaceBinding[ServerLike]):
    """Base of generated namespace classes for `runtime.Server`: handlers are plain functions."""

    asynchronous: ClassVar[bool] = False

    def on_disconnect(self, handler: SyncDisconnectHandler) -> SyncDisconnectHandler:
        """Decorator: `def handler(sid, reason) -> None`."""
        self._set_disconnect(handler)
        return handler

    # -- inbound -----------------------------------------------------------------
    def _deliver(self, sid: str, outcome: Outcome) -> Any:
        if outcome.report is not None:
            self.server.emit(ERROR_EVENT, outcome.report, to=sid, namespace=self.path)
        return outcome.ack

    def _dispatcher(self, spec: EventSpec[Any, Any]) -> Callable[..., Any]:
        """The function the server calls for `spec`: validate, run, wrap the result."""
        plan = EventPlan(spec, self.path)
        handler = self._handlers.get(spec.name)
        deliver = self._deliver

        if handler is None:
            outcome = plan.missing()

            def missing(sid: str, *args: Any) -> Any:
                return deliver(sid, outcome)

            return missing

        parse, raised, returned = plan.parse, plan.raised, plan.returned

        def dispatch(sid: str, *args: Any) -> Any:
            payload = parse(args)
            if isinstance(payload, Outcome):
                return deliver(sid, payload)
            try:
                result = handler(sid, payload)
            except Exception as exc:
                return deliver(sid, raised(exc))
            return deliver(sid, returned(result))

        return dispatch

    def _on_connect(self, sid: str, environ: Mapping[str, Any], auth: Any = None) -> None:
        arguments = self._connect_arguments(sid, environ, auth)
        if self._connect is not None:
            self._connect(*arguments)

    def _on_disconnect(self, sid: str, reason: str = "") -> None:
        if self._disconnect is not None:
            self._disconnect(sid, reason)

    def _on_unknown(self, event: str, sid: str, *args: Any) -> Any:
        return unknown_event_ack(event, self.path)

    # -- outbound ----------------------------------------------------------------
    def _emit(
        self,
        spec: EventSpec[P, Any],
        payload: P,
        *,
        to: Target = None,
        room: Target = None,
        skip_sid: Target = None,
    ) -> None:
        self.server.emit(
            spec.name,
            dump(payload, spec.payload_binary),
            to=to,
            room=room,
            skip_sid=skip_sid,
            namespace=self.path,
        )

    def _call(self, spec: EventSpec[P, R], payload: P, *, to: str, timeout: float | None) -> R:
        """Emit to one client, block for its ack and return it validated."""
        ack_model_of(spec)  # before sending: an event without ack is a local misuse
        data = self.server.call(
            spec.name,
            dump(payload, spec.payload_binary),
            to=to,
            namespace=self.path,
            timeout=timeout,
        )
        return parse_ack(spec, data)
