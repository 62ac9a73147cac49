"""Exceptions, compatible with ``socketio.exceptions`` and ``engineio.exceptions``.

Two families live here:

* the public python-socketio hierarchy (``SocketIOError`` and friends) that user
  code raises or catches;
* protocol errors raised by the sans-IO core, which say whose fault a failure is:
  ``LocalProtocolError`` (this process misused the API) or ``RemoteProtocolError``
  (the peer sent something invalid). Each carries a ``hint`` for the edge: the HTTP
  status to answer with, or the reason to close the connection with.
"""

from __future__ import annotations

from typing import Any


class SocketIOError(Exception):
    """Base class of every Socket.IO error."""


class ConnectionError(SocketIOError):  # name mandated by python-socketio
    """A connection could not be established or was lost."""


class ConnectionRefusedError(ConnectionError):  # name mandated by python-socketio
    """Raised by a connect handler to reject a connection.

    The positional arguments become the CONNECT_ERROR payload the client receives:
    none gives ``{"message": "Connection rejected by server"}``, one gives
    ``{"message": str(arg)}``, two or more add ``"data"``.
    """

    def __init__(self, *args: Any) -> None:
        if len(args) == 0:
            self.error_args: dict[str, Any] = {"message": "Connection rejected by server"}
        elif len(args) == 1:
            self.error_args = {"message": str(args[0])}
        else:
            self.error_args = {"message": str(args[0])}
            self.error_args["data"] = args[1] if len(args) == 2 else args[1:]
        super().__init__(*args)


class TimeoutError(SocketIOError):  # name mandated by python-socketio
    """A ``call()`` did not receive its acknowledgement in time."""


class BadNamespaceError(SocketIOError):
    """The namespace is not connected."""


class DisconnectedError(SocketIOError):
    """The connection was closed while an operation was in progress."""


class EngineIOError(Exception):
    """Base class of Engine.IO errors."""


class ContentTooLongError(EngineIOError):
    """A payload exceeded ``max_http_buffer_size``."""


class UnknownPacketError(EngineIOError):
    """A packet of an unknown type was received."""


class QueueEmpty(EngineIOError):
    """No packet was available in time."""


class SocketIsClosedError(EngineIOError):
    """The Engine.IO session is closed."""


class ProtocolError(Exception):
    """A protocol violation detected by the sans-IO core.

    ``hint`` is what the edge should do about it: an HTTP status code for a bad
    request, and ``reason`` is the close reason for a live connection.
    """

    def __init__(self, message: str, *, status: int = 400, reason: str = "parse error") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.reason = reason


class LocalProtocolError(ProtocolError):
    """This process asked the core to do something the protocol forbids."""


class RemoteProtocolError(ProtocolError):
    """The peer sent something the protocol forbids; the connection is at fault."""
