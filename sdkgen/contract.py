"""The contract DSL: a Socket.IO API written once as Pydantic models.

    from pydantic import BaseModel
    from sdkgen.contract import ClientEvent, Namespace, ServerEvent

    chat = Namespace("/chat", version="1.2.0", auth=ChatAuth, description="Chat rooms.")

    @chat.event                                   # wire name: snake_case of the class
    class SendMessage(ClientEvent[MessageAccepted]):
        '''Post a message to a room.'''         # the docstring is the event description
        room: str

    @chat.event(name="message:posted", deprecated="use message:created")
    class MessagePosted(ServerEvent):             # no type argument: the event has no ack
        room: str

The payload model *is* the event: `ClientEvent[Ack]` is sent by clients and handled
by the server, `ServerEvent[Ack]` the other way round, and the type argument is the
model the receiver acknowledges with. This module only records what it is given;
`sdkgen.analyze` checks it and reports problems as diagnostics with file and line,
so a broken contract never stops at the first error.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Literal, overload

from pydantic import BaseModel
from typing_extensions import TypeVar

__all__ = [
    "ClientEvent",
    "EventRegistration",
    "Namespace",
    "ServerEvent",
    "Stability",
]

Stability = Literal["stable", "beta", "experimental"]

# PEP 696 default: a bare `ClientEvent` means "no ack" instead of an implicit Any,
# which mypy --strict would reject as a missing type parameter.
AckT = TypeVar("AckT", bound=BaseModel | None, default=None)


class ClientEvent(BaseModel, Generic[AckT]):
    """An event the client sends and the server handles; `AckT` is the server's ack model."""


class ServerEvent(BaseModel, Generic[AckT]):
    """An event the server sends and clients handle; `AckT` is the client's ack model."""


EventT = TypeVar("EventT", bound="ClientEvent[Any] | ServerEvent[Any]")


@dataclass(frozen=True, slots=True)
class EventRegistration:
    """One `@ns.event` as written, before any checking."""

    model: Any  # the decorated object; the analyser checks that it is an event model
    name: str | None
    description: str | None
    deprecated: bool | str
    stability: Stability | None
    ack_timeout: float | None
    file: str
    line: int


def _caller(depth: int = 2) -> tuple[str, int]:
    """File and line of the contract code calling into the DSL (for diagnostics)."""
    frame = sys._getframe(depth)
    return frame.f_code.co_filename, frame.f_lineno


class Namespace:
    """A Socket.IO namespace of the contract: its path, metadata and events."""

    def __init__(
        self,
        path: str,
        *,
        version: str = "0.1.0",
        description: str | None = None,
        auth: type[BaseModel] | None = None,
        stability: Stability = "stable",
    ) -> None:
        self.path = path
        self.version = version
        self.description = description
        self.auth = auth
        self.stability = stability
        self.file, self.line = _caller()
        self._events: list[EventRegistration] = []

    @property
    def events(self) -> tuple[EventRegistration, ...]:
        """The registrations in declaration order."""
        return tuple(self._events)

    @overload
    def event(self, model: type[EventT], /) -> type[EventT]: ...

    @overload
    def event(
        self,
        *,
        name: str | None = None,
        description: str | None = None,
        deprecated: bool | str = False,
        stability: Stability | None = None,
        ack_timeout: float | None = None,
    ) -> Callable[[type[EventT]], type[EventT]]: ...

    def event(
        self,
        model: Any = None,
        *,
        name: str | None = None,
        description: str | None = None,
        deprecated: bool | str = False,
        stability: Stability | None = None,
        ack_timeout: float | None = None,
    ) -> Any:
        """Register an event model: `@ns.event` or `@ns.event(name="wire:name", ...)`.

        `name` is the wire name (default: snake_case of the class name), `description`
        overrides the docstring, `deprecated` is True or a message naming the
        replacement, `stability` defaults to the namespace's, and `ack_timeout` is how
        long (seconds) the sender waits for the ack by default.
        """
        file, line = _caller()

        def register(cls: Any) -> Any:
            self._events.append(
                EventRegistration(
                    model=cls,
                    name=name,
                    description=description,
                    deprecated=deprecated,
                    stability=stability,
                    ack_timeout=ack_timeout,
                    file=file,
                    line=line,
                )
            )
            return cls

        if model is not None:
            return register(model)
        return register

    def __repr__(self) -> str:
        return f"Namespace({self.path!r}, version={self.version!r}, events={len(self._events)})"
