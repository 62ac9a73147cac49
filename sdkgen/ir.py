"""The intermediate representation: what the templates read.

Frozen, typed and free of Pydantic and Jinja: the analyser computes every name,
import and type string here, so templates only loop and print, and the same IR can
feed other outputs (clients, AsyncAPI, the lock file) later.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "DEFAULT_CALL_TIMEOUT",
    "SYNC_SUFFIX",
    "Api",
    "Direction",
    "Event",
    "Import",
    "ModelRef",
    "Namespace",
    "Twin",
]


DEFAULT_CALL_TIMEOUT = 60.0


class Direction(StrEnum):
    CLIENT_TO_SERVER = "client_to_server"
    SERVER_TO_CLIENT = "server_to_client"


@dataclass(frozen=True, slots=True)
class ModelRef:
    """A contract model as generated code refers to it."""

    module: str  # importable module, e.g. "contracts.chat"
    qualname: str  # name in that module
    local_name: str  # name bound in the generated module (aliased on clashes)
    binary: bool  # carries `bytes` somewhere: sent as Socket.IO binary attachments
    schema_validation: str  # canonical JSON Schema (how the reader validates)
    schema_serialization: str  # canonical JSON Schema (what the writer sends)


@dataclass(frozen=True, slots=True)
class Event:
    wire_name: str  # the Socket.IO event name
    python_name: str  # handler method name; `emit_<python_name>` / `call_<python_name>`
    const_name: str  # module-level EventSpec constant
    direction: Direction
    payload: ModelRef
    ack: ModelRef | None
    description: str
    deprecated: bool
    deprecation_message: str
    stability: str
    ack_timeout: float | None
    source_line: int

    @property
    def ack_type(self) -> str:
        """The ack as a type expression in the generated module."""
        return self.ack.local_name if self.ack else "None"

    @property
    def deprecation_text(self) -> str:
        return self.deprecation_message or f"event {self.wire_name!r} is deprecated"

    @property
    def notes(self) -> tuple[str, ...]:
        """Docstring paragraphs: description, deprecation, stability."""
        notes = [self.description] if self.description else []
        if self.deprecated:
            notes.append(f"Deprecated: {self.deprecation_text}")
        if self.stability != "stable":
            notes.append(f"Stability: {self.stability}")
        return tuple(notes)

    @property
    def call_timeout(self) -> float:
        """Default `timeout` of `call_<event>`: the contract's, else python-socketio's 60 s."""
        return self.ack_timeout if self.ack_timeout is not None else DEFAULT_CALL_TIMEOUT


@dataclass(frozen=True, slots=True)
class Import:
    module: str
    names: tuple[tuple[str, str], ...]  # (name in module, local name), sorted


@dataclass(frozen=True, slots=True)
class Twin:
    """One of the two server classes of a namespace: for `AsyncServer` or for `Server`."""

    sync: bool
    class_name: str
    handlers_name: str  # the Protocol listing every client event
    var_name: str  # the module-level instance
    base: str  # runtime class it subclasses
    server: str  # the runtime server it registers on
    define: str  # "async def" or "def": handlers, emits and calls
    wait: str  # "await " or "": calling the server and the base class
    event_handler: str  # handler type alias in the runtime
    connect_handler: str
    plain_connect_handler: str


SYNC_SUFFIX = "_sync"  # `chat` -> `chat_sync`; the analyser rejects modules named like that


@dataclass(frozen=True, slots=True)
class Namespace:
    path: str
    version: str
    description: str
    stability: str
    module_name: str  # generated/server/<module_name>.py
    class_name: str  # the TypedNamespace subclass
    handlers_name: str  # the Protocol listing every client event
    var_name: str  # the module-level instance
    auth: ModelRef | None
    client_events: tuple[Event, ...]  # sorted by wire name
    server_events: tuple[Event, ...]
    model_imports: tuple[Import, ...]
    support_imports: tuple[tuple[Import, ...], ...]  # stdlib, third-party, runtime groups
    source_file: str  # contract file, relative to the contracts directory's parent
    contract_hash: str  # 12 hex digits of sha256 over the canonical contract

    @property
    def on_overloaded(self) -> bool:
        """`@overload` needs two variants; one client event gets a plain method."""
        return len(self.client_events) > 1

    @property
    def events(self) -> tuple[Event, ...]:
        return self.client_events + self.server_events

    @property
    def sync_var_name(self) -> str:
        return self.var_name + SYNC_SUFFIX

    @property
    def twins(self) -> tuple[Twin, Twin]:
        """The async class (handlers `async def`) and its sync twin for `runtime.Server`."""
        return (
            Twin(
                sync=False,
                class_name=self.class_name,
                handlers_name=self.handlers_name,
                var_name=self.var_name,
                base="TypedNamespace",
                server="AsyncServer",
                define="async def",
                wait="await ",
                event_handler="EventHandler",
                connect_handler="ConnectHandler",
                plain_connect_handler="PlainConnectHandler",
            ),
            Twin(
                sync=True,
                class_name=self.class_name + "Sync",
                handlers_name=self.handlers_name + "Sync",
                var_name=self.sync_var_name,
                base="SyncTypedNamespace",
                server="Server",
                define="def",
                wait="",
                event_handler="SyncEventHandler",
                connect_handler="SyncConnectHandler",
                plain_connect_handler="SyncPlainConnectHandler",
            ),
        )

    @property
    def import_groups(self) -> tuple[tuple[Import, ...], ...]:
        """Import blocks in isort order: stdlib, third-party, runtime, contract models."""
        return (*self.support_imports, self.model_imports)


@dataclass(frozen=True, slots=True)
class Api:
    namespaces: tuple[Namespace, ...]  # sorted by path
    tool_version: str
    source_root: str  # the contracts directory's name, e.g. "contracts"
    contract_hash: str

    @property
    def server_exports(self) -> tuple[str, ...]:
        names = ["NAMESPACES", "SYNC_NAMESPACES", "register_all", "register_all_sync"]
        for ns in self.namespaces:
            for twin in ns.twins:
                names += [twin.class_name, twin.var_name]
                if ns.client_events:
                    names.append(twin.handlers_name)
        # isort-style (ruff RUF022): CONSTANTS, then Classes, then functions and instances.
        return tuple(
            sorted(names, key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n))
        )
