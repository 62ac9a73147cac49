"""What ``Server`` and ``AsyncServer`` share: options, handler registry and dispatch rules.

Nothing here performs I/O or awaits: the two servers differ only in whether a
handler is called or awaited, and in how their engine edge moves bytes.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from runtime.engineio.http import HttpRequest
from runtime.manager import BaseManager
from runtime.socketio.serializer import Decoder, Serializer, get_serializer

Handler = Callable[..., Any]
F = TypeVar("F", bound=Handler)

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
    attachment_timer: Any = None


class BaseServer:
    """Options, handler registration and handler lookup shared by both servers."""

    reserved_events = ["connect", "disconnect"]
    reason = ServerReason

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
        self.handlers: dict[str, dict[str, Handler]] = {}
        self.namespace_handlers: dict[str, Any] = {}
        self.manager = client_manager
        self.manager.set_server(self)
        self.manager_initialized = False
        self.clients: dict[str, ClientState] = {}
        self.environ: dict[str, dict[str, Any]] = {}
        self.eio_kwargs = kwargs

    # -- registration --------------------------------------------------------
    def on(self, event: str, handler: Handler | None = None, namespace: str | None = None) -> Any:
        """Register ``handler`` for ``event`` (decorator when ``handler`` is omitted)."""
        ns = namespace or "/"

        def set_handler(fn: F) -> F:
            self.handlers.setdefault(ns, {})[event] = fn
            return fn

        if handler is None:
            return set_handler
        set_handler(handler)
        return None

    def event(self, *args: Any, **kwargs: Any) -> Any:
        """Decorator registering a handler under the function's own name."""
        if len(args) == 1 and not kwargs and callable(args[0]):
            fn = args[0]
            return self.on(fn.__name__)(fn)

        def decorator(fn: F) -> F:
            return self.on(fn.__name__, *args, **kwargs)(fn)  # type: ignore[no-any-return]

        return decorator

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

    def send_frames(self, eio_sid: str, frames: list[str | bytes]) -> None:
        """Queue encoded engine messages to one Engine.IO session (edge-specific)."""
        raise NotImplementedError

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
