"""What the async and sync typed namespaces share: the handler table and registration.

Registration uses only the server's `on`, which is a plain method on both
`runtime.AsyncServer` and `runtime.Server`; the subclasses supply the functions the
server calls (`_dispatcher`, `_on_connect`, ...), awaiting or calling the user's code.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from pydantic import BaseModel

from runtime.contract_version import VersionPolicy, split_version, verdict
from runtime.exceptions import ConnectionRefusedError
from runtime.typed_core import EventSpec
from runtime.typed_dispatch import check_handler_kind, connect_arguments

__all__ = ["NamespaceBinding", "Registrar"]


class Registrar(Protocol):
    """The registration method every server has, sync or async."""

    # Only the registering form (the servers overload `on` with the decorator form).
    def on(self, event: str, handler: Callable[..., Any], namespace: str | None = None) -> Any: ...


S = TypeVar("S", bound=Registrar)


class NamespaceBinding(ABC, Generic[S]):
    """Base of `TypedNamespace` (async) and `SyncTypedNamespace`: one instance, one server.

    `register(sio)` binds it, after which handlers can still be added and `emit_*` /
    `call_*` work anywhere (handlers, HTTP routes, background jobs).
    """

    asynchronous: ClassVar[bool]  # the kind of handler the server calls

    def __init__(
        self,
        path: str,
        *,
        client_events: Sequence[EventSpec[Any, Any]],
        server_events: Sequence[EventSpec[Any, Any]] = (),
        auth: type[BaseModel] | None = None,
        version: str | None = None,
    ) -> None:
        self.path = path
        self.auth = auth
        self.version = version  # the contract's; None: no version negotiation
        self.version_policy = VersionPolicy.MAJOR
        self.require_version = False
        self.client_events: dict[type[BaseModel], EventSpec[Any, Any]] = {
            spec.payload: spec for spec in client_events
        }
        self.server_events = tuple(server_events)
        self._handlers: dict[str, Callable[[str, Any], Any]] = {}
        self._connect: Callable[..., Any] | None = None
        self._disconnect: Callable[[str, str], Any] | None = None
        self._server: S | None = None

    @property
    def server(self) -> S:
        if self._server is None:
            raise RuntimeError(f"namespace {self.path} is not registered: call register(sio)")
        return self._server

    # -- registration ------------------------------------------------------------
    def register(
        self,
        sio: S,
        *,
        reject_unknown: bool = True,
        version_policy: str = "major",
        require_version: bool = False,
    ) -> None:
        """Install every contract event of this namespace on `sio`.

        Events without a handler answer `not_implemented`; with `reject_unknown`,
        events the contract does not know answer `unknown_event` (when acked).

        Generated clients announce their contract version in the connect auth
        (`sdkgen_version`); `version_policy` says which ones are accepted: `"major"`
        (same major version), `"exact"` or `"off"` (see `runtime.contract_version`).
        A client that announces none is accepted unless `require_version`.
        """
        if self._server is not None and self._server is not sio:
            raise RuntimeError(f"namespace {self.path} is already registered with another server")
        policies = [p.value for p in VersionPolicy]
        if version_policy not in policies:
            raise ValueError(f"version_policy must be one of {policies}, not {version_policy!r}")
        self.version_policy = VersionPolicy(version_policy)
        self.require_version = require_version
        self._server = sio
        for spec in self.client_events.values():
            sio.on(spec.name, self._dispatcher(spec), namespace=self.path)
        sio.on("connect", self._on_connect, namespace=self.path)
        sio.on("disconnect", self._on_disconnect, namespace=self.path)
        if reject_unknown:
            sio.on("*", self._on_unknown, namespace=self.path)

    def _decorator(self, event: type[BaseModel]) -> Callable[[Any], Any]:
        """What the generated, overloaded `on(Event)` returns."""
        spec = self.client_events.get(event)
        if spec is None:
            raise ValueError(f"{event.__qualname__} is not a client event of {self.path}")

        def decorator(handler: Any) -> Any:
            self._set_handler(spec, handler)
            return handler

        return decorator

    def _set_handler(self, spec: EventSpec[Any, Any], handler: Callable[..., Any]) -> None:
        what = f"the handler of {spec.name!r}"
        check_handler_kind(handler, what, asynchronous=self.asynchronous)
        self._handlers[spec.name] = handler
        if self._server is not None:
            self._server.on(spec.name, self._dispatcher(spec), namespace=self.path)

    def _connect_arguments(self, sid: str, environ: Any, auth: Any) -> tuple[Any, ...]:
        """The connect handler's arguments, once the client's contract version is accepted."""
        auth, announced = split_version(auth)
        if self.version is not None:
            refused = verdict(
                self.path,
                announced,
                self.version,
                self.version_policy,
                require_version=self.require_version,
            )
            if refused is not None:
                raise ConnectionRefusedError(refused.message, refused.data)
        return connect_arguments(self.auth, sid, environ, auth)

    def _set_connect(self, handler: Callable[..., Any]) -> None:
        check_handler_kind(handler, "the connect handler", asynchronous=self.asynchronous)
        self._connect = handler

    def _set_disconnect(self, handler: Callable[[str, str], Any]) -> None:
        check_handler_kind(handler, "the disconnect handler", asynchronous=self.asynchronous)
        self._disconnect = handler

    # -- what the server calls (async or sync: the subclasses) -------------------
    @abstractmethod
    def _dispatcher(self, spec: EventSpec[Any, Any]) -> Callable[..., Any]: ...

    @abstractmethod
    def _on_connect(self, sid: str, environ: Any, auth: Any = None) -> Any: ...

    @abstractmethod
    def _on_disconnect(self, sid: str, reason: str = "") -> Any: ...

    @abstractmethod
    def _on_unknown(self, event: str, sid: str, *args: Any) -> Any: ...
