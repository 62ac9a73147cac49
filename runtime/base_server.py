"""What ``Server`` and ``AsyncServer`` share: options, handlers, and every protocol decision.

Nothing here performs I/O or awaits. The engine callbacks (``on_connect``,
``on_message``, ``on_disconnect``) and the decisions of the Socket.IO protocol
(which namespace a CONNECT may join and what the client is answered, which handler
an event reaches and with which arguments, acks, disconnect bookkeeping, sessions,
``call()`` rules) are written once, here. The two servers only supply the steps
that call a handler or a manager method, which one calls and the other awaits:
``_on_connect_packet``, ``_on_event``, ``_on_ack``, ``_leave_namespace``,
``_close_client`` and ``_call_later``.
"""

from __future__ import annotations

import builtins
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from runtime import exceptions
from runtime.admin import AdminAuth, Instrumentation, Mode
from runtime.engineio.http import HttpRequest
from runtime.exceptions import RemoteProtocolError
from runtime.handler_table import EventHandlers, Handler
from runtime.manager import BaseManager, Callback
from runtime.socketio.packets import Packet, PacketType
from runtime.socketio.serializer import Decoder, Serializer, get_serializer

Pending = Awaitable[None] | None  # what an engine callback returns: None, or work to await

default_logger = logging.getLogger("socketio.server")


class ServerReason:
    """Disconnect reasons passed to ``disconnect`` handlers (python-socketio's strings)."""

    SERVER_DISCONNECT = "server disconnect"
    CLIENT_DISCONNECT = "client disconnect"
    PING_TIMEOUT = "ping timeout"
    TRANSPORT_CLOSE = "transport close"
    TRANSPORT_ERROR = "transport error"


def make_logger(logger: bool | logging.Logger, default: logging.Logger) -> logging.Logger:
    """python-socketio's ``logger`` option: True = INFO on stderr, False = errors only."""
    if isinstance(logger, logging.Logger):
        return logger
    if logger:
        default.setLevel(logging.INFO)
        if not default.hasHandlers():
            default.addHandler(logging.StreamHandler())
    elif default.level == logging.NOTSET:
        default.setLevel(logging.ERROR)
    return default


def build_environ(request: HttpRequest, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A WSGI-style environ for the connect handler and ``get_environ()``.

    Unlike python-socketio's async drivers, ``REMOTE_ADDR`` is the real peer address.
    """
    server_name, server_port = request.server or ("localhost", None)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method,
        "PATH_INFO": request.path,
        "QUERY_STRING": request.query_string,
        "RAW_URI": request.path + ("?" + request.query_string if request.query_string else ""),
        "SCRIPT_NAME": request.root_path,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_NAME": server_name,
        "SERVER_PORT": str(server_port or ""),
        "REMOTE_ADDR": request.client[0] if request.client else "",
        "REMOTE_PORT": str(request.client[1]) if request.client else "",
        "wsgi.url_scheme": request.scheme,
    }
    for name, value in request.headers.items():
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE" or key == "CONTENT_LENGTH":
            environ[key] = value
        else:
            environ["HTTP_" + key] = value
    if extra:
        environ.update(extra)
    return environ


def accepts_positional(handler: Handler, count: int) -> bool:
    """True when ``handler`` can be called with ``count`` positional arguments."""
    try:
        sig = inspect.signature(handler)
    except (TypeError, ValueError):
        return True
    positional = 0
    for param in sig.parameters.values():
        if param.kind is param.VAR_POSITIONAL:
            return True
        if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            positional += 1
    return positional >= count


@dataclass(slots=True)
class ClientState:
    """Socket.IO state of one Engine.IO session."""

    eio_sid: str
    decoder: Decoder
    request: HttpRequest
    environ: dict[str, Any]
    namespaces: dict[str, str] = field(default_factory=dict)  # namespace -> sid
    session: dict[str, dict[str, Any]] = field(default_factory=dict)  # namespace -> user data
    # Timer closing the connection if a binary packet's attachments never arrive.
    attachment_timer: Cancellable | None = None


class Cancellable(Protocol):
    def cancel(self) -> Any: ...


class EngineEdge(Protocol):
    """The Engine.IO server a Socket.IO server drives (ASGI or WSGI edge)."""

    def send(self, sid: str, data: str | bytes) -> bool: ...

    def send_many(self, sid: str, messages: Sequence[str | bytes]) -> bool: ...

    def close(self, sid: str, reason: str = ...) -> None: ...

    def transport(self, sid: str) -> str: ...


class BaseServer(EventHandlers):
    """Options, handlers and the protocol decisions shared by both servers."""

    reserved_events = ["connect", "disconnect"]
    reason = ServerReason
    eio: EngineEdge

    def __init__(
        self,
        client_manager: BaseManager,
        logger: bool | logging.Logger = False,
        json: Any = None,
        async_handlers: bool = True,
        always_connect: bool = False,
        namespaces: list[str] | str | None = None,
        serializer: str | Serializer = "default",
        **kwargs: Any,
    ) -> None:
        self.logger = make_logger(logger, default_logger)
        self.serializer: Serializer = get_serializer(serializer, json=json)
        self.packet_class = self.serializer
        self.json = json
        self.async_handlers = async_handlers
        self.always_connect = always_connect
        self.namespaces: list[str] | str = namespaces or ["/"]
        self.handlers = {}
        self.namespace_handlers: dict[str, Any] = {}
        self.manager = client_manager
        self.manager.set_server(self)
        self.manager_initialized = False
        self.clients: dict[str, ClientState] = {}
        self.environ: dict[str, dict[str, Any]] = {}
        # How long a binary packet may wait for its attachments before the connection closes.
        self.attachment_timeout: float = kwargs.pop("attachment_timeout", 60.0)
        self.engineio_logger: bool | logging.Logger = kwargs.pop("engineio_logger", False)
        self.eio_kwargs = kwargs
        # Set by instrument(): told about traffic, connections, rooms and events.
        self.observer: Instrumentation | None = None

    def instrument(
        self,
        auth: AdminAuth = None,
        mode: Mode = "development",
        read_only: bool = False,
        server_id: str | None = None,
        namespace: str = "/admin",
        server_stats_interval: float = 2,
    ) -> Instrumentation:
        """Serve the Socket.IO Admin UI on ``namespace`` (see ``runtime.admin``).

        ``auth``: ``False`` for none, a dict the client's auth must equal, a list of
        such dicts, or a function of the client's auth returning (or awaiting to) a bool.
        """
        return Instrumentation(
            self, auth, mode, read_only, server_id, namespace, server_stats_interval
        )

    # -- registration --------------------------------------------------------
    def _register_namespace(self, namespace_handler: Any, kind: type[Any]) -> None:
        if not isinstance(namespace_handler, kind):
            raise ValueError(
                f"Not a{'n' if kind.__name__[0] in 'AEIOU' else ''} {kind.__name__} instance"
            )
        namespace_handler._set_server(self)
        self.namespace_handlers[namespace_handler.namespace] = namespace_handler

    # -- rules ---------------------------------------------------------------
    def data_to_args(self, data: Any) -> list[Any]:
        """python-socketio's rule: a tuple is several arguments, None is none."""
        if data is None:
            return []
        if isinstance(data, tuple):
            return list(data)
        return [data]

    def namespace_allowed(self, namespace: str) -> bool:
        return (
            namespace in self.handlers
            or namespace in self.namespace_handlers
            or self.namespaces == "*"
            or namespace in self.namespaces
        )

    def find_handler(
        self, namespace: str, event: str, sid: str, args: list[Any]
    ) -> tuple[Handler | None, list[Any]]:
        """The function handler for an event and the arguments to call it with."""
        if (ns_handlers := self.handlers.get(namespace)) is not None:
            if (fn := ns_handlers.get(event)) is not None:
                return fn, [sid, *args]
            if event not in self.reserved_events and (fn := ns_handlers.get("*")) is not None:
                return fn, [event, sid, *args]
        if (any_ns := self.handlers.get("*")) is not None:
            if (fn := any_ns.get(event)) is not None:
                return fn, [namespace, sid, *args]
            if event not in self.reserved_events and (fn := any_ns.get("*")) is not None:
                return fn, [event, namespace, sid, *args]
        return None, []

    def find_namespace_handler(self, namespace: str) -> tuple[Any, list[Any]]:
        """The class-based namespace for ``namespace`` and the extra leading arguments."""
        if (ns_obj := self.namespace_handlers.get(namespace)) is not None:
            return ns_obj, []
        if (ns_obj := self.namespace_handlers.get("*")) is not None:
            return ns_obj, [namespace]
        return None, []

    def ack_args(self, result: Any) -> list[Any]:
        return self.data_to_args(result)

    def sid_and_client(self, sid: str, namespace: str) -> tuple[str, ClientState] | None:
        eio_sid = self.manager.eio_sid_from_sid(sid, namespace)
        if eio_sid is None:
            return None
        client = self.clients.get(eio_sid)
        return (eio_sid, client) if client is not None else None

    def rooms(self, sid: str, namespace: str | None = None) -> list[str]:
        """The rooms a client is in, its own sid room included."""
        return self.manager.get_rooms(sid, namespace or "/")

    def get_environ(self, sid: str, namespace: str | None = None) -> dict[str, Any] | None:
        found = self.sid_and_client(sid, namespace or "/")
        return found[1].environ if found else None

    def transport(self, sid: str, namespace: str | None = None) -> str:
        """``'polling'`` or ``'websocket'``."""
        found = self.sid_and_client(sid, namespace or "/")
        if found is None:
            raise KeyError("Session not found")
        return self.eio.transport(found[0])

    # -- sessions (the servers expose these as methods or coroutines) ---------
    def _get_session(self, sid: str, namespace: str | None) -> dict[str, Any]:
        namespace = namespace or "/"
        found = self.sid_and_client(sid, namespace)
        if found is None:
            raise KeyError("Session not found")
        return found[1].session.setdefault(namespace, {})

    def _save_session(self, sid: str, session: dict[str, Any], namespace: str | None) -> None:
        namespace = namespace or "/"
        found = self.sid_and_client(sid, namespace)
        if found is None:
            raise KeyError("Session not found")
        found[1].session[namespace] = session

    # -- call() rules ----------------------------------------------------------
    def _call_target(self, to: str | None, sid: str | None) -> str:
        """The one client a ``call()`` goes to; the errors python-socketio raises."""
        if to is None and sid is None:
            raise ValueError("Cannot use call() to broadcast.")
        if not self.async_handlers:
            raise RuntimeError("Cannot use call() when async_handlers is False.")
        return to if to is not None else sid  # type: ignore[return-value]

    @staticmethod
    def _call_result(args: Sequence[Any]) -> Any:
        """One ack argument is returned as is, several as a tuple, none as None."""
        if not args:
            return None
        return args[0] if len(args) == 1 else tuple(args)

    # -- output ------------------------------------------------------------------
    def send_frames(self, eio_sid: str, frames: list[str | bytes]) -> None:
        """Queue the engine messages of one packet to one Engine.IO session."""
        if self.observer is not None:
            self.observer.packets_out(frames)
        if len(frames) == 1:
            self.eio.send(eio_sid, frames[0])
        else:
            self.eio.send_many(eio_sid, frames)

    def send_packet(self, eio_sid: str, packet: Packet) -> None:
        self.send_frames(eio_sid, self.serializer.encode(packet))

    def _send_ack(self, eio_sid: str, namespace: str, ack_id: int, result: Any) -> None:
        self.send_frames(
            eio_sid, self.serializer.encode_ack(namespace, ack_id, self.ack_args(result))
        )

    # -- engine callbacks (EngineHandler) --------------------------------------
    def on_connect(self, sid: str, request: HttpRequest) -> None:
        if not self.manager_initialized:
            self.manager_initialized = True
            self.manager.initialize()
        environ = build_environ(request, request.extra)
        self.clients[sid] = ClientState(sid, self.serializer.decoder(), request, environ)
        self.environ[sid] = environ
        if self.observer is not None:
            self.observer.raw_connection()

    def on_message(self, sid: str, data: str | bytes) -> Pending:
        client = self.clients.get(sid)
        if client is None:
            return None
        if self.observer is not None:
            self.observer.packet_in(data)
        try:
            packet = client.decoder.feed(data)
        except RemoteProtocolError as exc:
            self.logger.warning("closing %s: invalid Socket.IO packet: %s", sid, exc.message)
            self.eio.close(sid, "parse error")
            return None
        if packet is None:
            if client.decoder.pending and client.attachment_timer is None:
                client.attachment_timer = self._call_later(
                    self.attachment_timeout, self._attachments_overdue, client
                )
            return None
        if client.attachment_timer is not None:
            client.attachment_timer.cancel()
            client.attachment_timer = None
        kind = packet.type
        if kind is PacketType.EVENT or kind is PacketType.BINARY_EVENT:
            return self._on_event(client, packet)
        if kind is PacketType.ACK or kind is PacketType.BINARY_ACK:
            return self._on_ack(client, packet)
        if kind is PacketType.CONNECT:
            return self._on_connect_packet(client, packet.namespace, packet.data)
        if kind is PacketType.DISCONNECT:
            ns_sid = client.namespaces.get(packet.namespace)
            if ns_sid is None:
                return None
            return self._leave_namespace(
                client, packet.namespace, ns_sid, self.reason.CLIENT_DISCONNECT
            )
        self.logger.warning("closing %s: unexpected %s packet from a client", sid, kind.name)
        self.eio.close(sid, "parse error")
        return None

    def _attachments_overdue(self, client: ClientState) -> None:
        client.attachment_timer = None
        if client.decoder.pending and self.clients.get(client.eio_sid) is client:
            self.logger.warning(
                "closing %s: binary attachments did not arrive within %ss",
                client.eio_sid,
                self.attachment_timeout,
            )
            self.eio.close(client.eio_sid, "parse error")

    def on_disconnect(self, sid: str, reason: str) -> Pending:
        client = self.clients.pop(sid, None)
        self.environ.pop(sid, None)
        if self.observer is not None:
            self.observer.raw_disconnection(sid)
        if client is not None and client.attachment_timer is not None:
            client.attachment_timer.cancel()
        if client is None or not client.namespaces:
            return None
        return self._close_client(client, reason)

    # -- the call-or-await steps each server supplies ---------------------------
    def _call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> Cancellable:
        raise NotImplementedError

    def _on_connect_packet(self, client: ClientState, namespace: str, auth: Any) -> Pending:
        raise NotImplementedError

    def _on_event(self, client: ClientState, packet: Packet) -> Pending:
        raise NotImplementedError

    def _on_ack(self, client: ClientState, packet: Packet) -> Pending:
        raise NotImplementedError

    def _leave_namespace(
        self, client: ClientState, namespace: str, sid: str, reason: str
    ) -> Pending:
        raise NotImplementedError

    def _close_client(self, client: ClientState, reason: str) -> Pending:
        raise NotImplementedError

    # -- CONNECT -----------------------------------------------------------------
    def _connect_begin(self, client: ClientState, namespace: str) -> str | None:
        """Admit ``client`` to ``namespace``: its new sid, or None once it was refused.

        With ``always_connect`` the client gets CONNECT now, before the handler runs.
        """
        eio_sid = client.eio_sid
        if not self.namespace_allowed(namespace):
            self.logger.info("%s tried to connect to unknown namespace %s", eio_sid, namespace)
            self.send_packet(
                eio_sid,
                Packet(PacketType.CONNECT_ERROR, namespace, {"message": "Invalid namespace"}),
            )
            return None
        sid = self.manager.connect(eio_sid, namespace)
        if sid is None:
            self.send_packet(
                eio_sid,
                Packet(PacketType.CONNECT_ERROR, namespace, {"message": "Unable to connect"}),
            )
            return None
        client.namespaces[namespace] = sid
        if self.always_connect:
            self.send_packet(eio_sid, Packet(PacketType.CONNECT, namespace, {"sid": sid}))
        return sid

    def _connect_end(
        self,
        client: ClientState,
        namespace: str,
        sid: str,
        result: Any = None,
        error: Exception | None = None,
    ) -> None:
        """Answer the CONNECT from what the connect handler returned or raised."""
        refusal: dict[str, Any] | None = None
        if error is not None:
            if isinstance(error, exceptions.ConnectionRefusedError):
                refusal = error.error_args
            elif isinstance(error, builtins.ConnectionRefusedError):
                refusal = {"message": "Connection refused by server"}
            else:
                self.logger.error("connect handler error", exc_info=error)
                refusal = {"message": "Internal server error"}
        elif result is False:
            refusal = {"message": "Connection rejected by server"}
        eio_sid = client.eio_sid
        if refusal is not None:
            client.namespaces.pop(namespace, None)
            client.session.pop(namespace, None)
            self.manager.basic_disconnect(sid, namespace)
            kind = PacketType.DISCONNECT if self.always_connect else PacketType.CONNECT_ERROR
            self.send_packet(eio_sid, Packet(kind, namespace, refusal))
            return
        if not self.always_connect:
            self.send_packet(eio_sid, Packet(PacketType.CONNECT, namespace, {"sid": sid}))
        self.logger.info("%s connected to namespace %s as %s", eio_sid, namespace, sid)
        if self.observer is not None:
            self.observer.socket_connected(client, namespace, sid)

    def _reserved_target(
        self, event: str, namespace: str, args: list[Any], optional: Any
    ) -> tuple[Handler, list[Any]] | None:
        """The connect/disconnect handler and its arguments.

        ``optional`` (auth, reason) is passed only to handlers that take it.
        """
        sid = args[0]
        handler, call_args = self.find_handler(namespace, event, sid, args[1:])
        if handler is None:
            ns_obj, prefix = self.find_namespace_handler(namespace)
            method = getattr(ns_obj, "on_" + event, None) if ns_obj is not None else None
            if method is None:
                return None
            handler, call_args = method, [*prefix, *args]
        if accepts_positional(handler, len(call_args) + 1):
            call_args.append(optional)
        return handler, call_args

    # -- EVENT and ACK -------------------------------------------------------------
    def _event_target(
        self, client: ClientState, packet: Packet
    ) -> tuple[Handler, list[Any]] | None:
        """The handler an event reaches and its arguments; None sends no ack at all."""
        namespace = packet.namespace
        sid = client.namespaces.get(namespace)
        if sid is None:
            self.logger.info(
                "%s sent an event to unconnected namespace %s", client.eio_sid, namespace
            )
            return None
        event, *args = packet.data
        self.logger.info("received event %r from %s [%s]", event, sid, namespace)
        if self.observer is not None:
            self.observer.event_received(namespace, sid, packet.data)
        handler, call_args = self.find_handler(namespace, event, sid, args)
        if handler is not None:
            return handler, call_args
        ns_obj, prefix = self.find_namespace_handler(namespace)
        if ns_obj is None:
            return None
        return ns_obj.trigger_event, [event, *prefix, sid, *args]

    def _ack_callback(self, client: ClientState, packet: Packet) -> Callback | None:
        """The callback waiting for this ACK (it is forgotten: an ack fires once)."""
        sid = client.namespaces.get(packet.namespace)
        if sid is None or packet.id is None:
            return None
        return self.manager._pop_callback(sid, packet.id)

    # -- DISCONNECT ----------------------------------------------------------------
    def _disconnect_begin(self, sid: str, namespace: str) -> ClientState | None:
        """``disconnect(sid)``: send DISCONNECT; the client whose namespace must be left."""
        found = self.sid_and_client(sid, namespace)
        if found is None or not self.manager.is_connected(sid, namespace):
            return None
        eio_sid, client = found
        self.send_packet(eio_sid, Packet(PacketType.DISCONNECT, namespace))
        return client

    def _leave_begin(self, client: ClientState, namespace: str, sid: str) -> bool:
        """Start leaving: False if ``sid`` already left; emits stop reaching it now."""
        if client.namespaces.get(namespace) != sid or not self.manager.is_connected(sid, namespace):
            return False
        self.manager.pre_disconnect(sid, namespace)
        self.logger.info("%s left namespace %s", sid, namespace)
        return True

    def _leave_end(self, client: ClientState, namespace: str, sid: str, reason: str) -> None:
        """After the disconnect handler: forget the namespace and its session."""
        client.namespaces.pop(namespace, None)
        client.session.pop(namespace, None)
        if self.observer is not None:
            self.observer.socket_disconnected(namespace, sid, reason)
