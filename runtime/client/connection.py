"""The sans-IO Socket.IO v5 client connection: one per Engine.IO session.

It makes every protocol decision both clients share: which CONNECT packets to send
once the engine is open, what a CONNECT / CONNECT_ERROR / DISCONNECT from the server
means for each namespace, ack id allocation and matching, and turning received
packets into typed events. Engine messages (``str | bytes``) go in through
``receive()``; the ``encode_*`` methods give the engine messages to send. No I/O,
no clock: acks have no deadline here (the edge owns ``call()`` timeouts).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum, auto
from typing import Any

from runtime.exceptions import BadNamespaceError, LocalProtocolError
from runtime.socketio.packets import Packet, PacketType
from runtime.socketio.serializer import Serializer

__all__ = [
    "AckReceived",
    "ClientConnection",
    "EventReceived",
    "NamespaceConnected",
    "NamespaceDisconnected",
    "NamespaceRejected",
    "NamespaceState",
    "SioClientEvent",
    "ack_args",
    "emit_args",
]

Payloads = list[str | bytes]


class NamespaceState(Enum):
    CONNECTING = auto()  # CONNECT sent, no answer yet
    CONNECTED = auto()
    FAILED = auto()  # CONNECT_ERROR received


@dataclass(frozen=True, slots=True)
class NamespaceConnected:
    namespace: str
    sid: str


@dataclass(frozen=True, slots=True)
class NamespaceRejected:
    """CONNECT_ERROR: ``args`` are the ``connect_error`` handler arguments."""

    namespace: str
    args: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class NamespaceDisconnected:
    """The server sent DISCONNECT for a connected namespace."""

    namespace: str


@dataclass(frozen=True, slots=True)
class EventReceived:
    namespace: str
    event: str
    args: tuple[Any, ...]
    ack_id: int | None  # not None: the handler's return value must be acked


@dataclass(frozen=True, slots=True)
class AckReceived:
    namespace: str
    ack_id: int
    args: tuple[Any, ...]


SioClientEvent = (
    NamespaceConnected | NamespaceRejected | NamespaceDisconnected | EventReceived | AckReceived
)


def emit_args(data: Any) -> list[Any]:
    """python-socketio's rule: a tuple is several arguments, None is none."""
    if isinstance(data, tuple):
        return list(data)
    if data is None:
        return []
    return [data]


def ack_args(result: Any) -> list[Any]:
    """A handler's return value as ACK arguments (same rule as ``emit_args``)."""
    return emit_args(result)


def _auth_object(auth: Any) -> dict[str, Any]:
    # python-socketio sends ``auth or {}``: the server always sees an object.
    data = auth if auth else {}
    if not isinstance(data, dict):
        raise LocalProtocolError("auth must be a dict (or a callable returning one)")
    return data


class ClientConnection:
    """Socket.IO state of one client connection (see the module docstring)."""

    __slots__ = ("_decoder", "_next_ack", "_pending_acks", "_sids", "namespaces", "serializer")

    def __init__(self, serializer: Serializer) -> None:
        self.serializer = serializer
        self._decoder = serializer.decoder()
        self.namespaces: dict[str, NamespaceState] = {}
        self._sids: dict[str, str] = {}
        self._next_ack: dict[str, int] = {}
        self._pending_acks: dict[str, set[int]] = {}

    # -- state ---------------------------------------------------------------------

    def sid(self, namespace: str) -> str | None:
        return self._sids.get(namespace)

    @property
    def connected_namespaces(self) -> dict[str, str]:
        """``{namespace: sid}`` of the connected namespaces."""
        return dict(self._sids)

    @property
    def failed_namespaces(self) -> list[str]:
        return [ns for ns, st in self.namespaces.items() if st is NamespaceState.FAILED]

    @property
    def settled(self) -> bool:
        """Every requested namespace got an answer (CONNECT or CONNECT_ERROR)."""
        return all(st is not NamespaceState.CONNECTING for st in self.namespaces.values())

    # -- output --------------------------------------------------------------------

    def connect(
        self, namespaces: Iterable[str], auth: Any, per_namespace: Mapping[str, Any] | None = None
    ) -> Payloads:
        """CONNECT packets for ``namespaces``, sent once the engine is open.

        ``auth`` goes to every namespace, as python-socketio sends it, except those
        ``per_namespace`` names: they get their own (socket.io-client's per-socket auth).
        """
        overrides = per_namespace or {}
        out: Payloads = []
        for namespace in namespaces:
            data = _auth_object(overrides.get(namespace, auth))
            self.namespaces[namespace] = NamespaceState.CONNECTING
            out.extend(self.serializer.encode(Packet(PacketType.CONNECT, namespace, data)))
        return out

    def encode_event(
        self, namespace: str, event: str, args: Sequence[Any], *, want_ack: bool = False
    ) -> tuple[Payloads, int | None]:
        """An EVENT; with ``want_ack`` a fresh ack id is allocated and returned."""
        if namespace not in self._sids:
            raise BadNamespaceError(f"{namespace} is not a connected namespace.")
        ack_id = None
        if want_ack:
            # Ids start at 1 and count per namespace, as python-socketio does.
            ack_id = self._next_ack.get(namespace, 1)
            self._next_ack[namespace] = ack_id + 1
            self._pending_acks.setdefault(namespace, set()).add(ack_id)
        return self.serializer.encode_event(namespace, event, args, ack_id), ack_id

    def encode_ack(self, namespace: str, ack_id: int, args: Sequence[Any]) -> Payloads:
        return self.serializer.encode_ack(namespace, ack_id, args)

    def forget_ack(self, namespace: str, ack_id: int) -> None:
        """The edge gave up on an ack (``call()`` timed out): a late one is ignored."""
        pending = self._pending_acks.get(namespace)
        if pending is not None:
            pending.discard(ack_id)

    def disconnect(self) -> Payloads:
        """DISCONNECT packets for every connected namespace; the namespaces are dropped."""
        out: Payloads = []
        for namespace in self._sids:
            out.extend(self.serializer.encode(Packet(PacketType.DISCONNECT, namespace)))
        self._forget_all()
        return out

    def engine_closed(self) -> list[str]:
        """The engine session ended: the namespaces that were connected."""
        connected = list(self._sids)
        self._forget_all()
        self._decoder = self.serializer.decoder()
        return connected

    def _forget_all(self) -> None:
        self._sids.clear()
        self.namespaces.clear()
        self._pending_acks.clear()
        self._next_ack.clear()

    # -- input ---------------------------------------------------------------------

    def receive(self, message: str | bytes) -> list[SioClientEvent]:
        """One engine message; raises ``RemoteProtocolError`` on invalid input."""
        packet = self._decoder.feed(message)
        if packet is None:  # binary packet waiting for attachments
            return []
        ptype = packet.type
        namespace = packet.namespace
        if ptype is PacketType.EVENT:
            if self._sids.get(namespace) is None:
                return []  # not (or no longer) connected: python-socketio drops it too
            data = packet.data
            return [EventReceived(namespace, data[0], tuple(data[1:]), packet.id)]
        if ptype is PacketType.ACK:
            pending = self._pending_acks.get(namespace)
            ack_id = packet.id
            if pending is None or ack_id is None or ack_id not in pending:
                return []  # unknown or abandoned ack
            pending.discard(ack_id)
            return [AckReceived(namespace, ack_id, tuple(packet.data))]
        if ptype is PacketType.CONNECT:
            return self._on_connect(namespace, packet.data)
        if ptype is PacketType.CONNECT_ERROR:
            return self._on_connect_error(namespace, packet.data)
        if ptype is PacketType.DISCONNECT:
            if namespace not in self._sids:
                return []
            del self._sids[namespace]
            self.namespaces.pop(namespace, None)
            self._pending_acks.pop(namespace, None)
            return [NamespaceDisconnected(namespace)]
        return []

    def _on_connect(self, namespace: str, data: Any) -> list[SioClientEvent]:
        if self.namespaces.get(namespace) is not NamespaceState.CONNECTING:
            return []  # unsolicited or duplicate CONNECT
        sid = data.get("sid") if isinstance(data, dict) else None
        if not isinstance(sid, str):
            sid = ""
        self.namespaces[namespace] = NamespaceState.CONNECTED
        self._sids[namespace] = sid
        return [NamespaceConnected(namespace, sid)]

    def _on_connect_error(self, namespace: str, data: Any) -> list[SioClientEvent]:
        if namespace not in self.namespaces:
            return []
        self.namespaces[namespace] = NamespaceState.FAILED
        self._sids.pop(namespace, None)
        # The handler gets the payload as one argument (a list spreads, as in
        # python-socketio, but CONNECT_ERROR carries an object or a string).
        args: tuple[Any, ...] = tuple(data) if isinstance(data, list) else (data,)
        return [NamespaceRejected(namespace, args)]
