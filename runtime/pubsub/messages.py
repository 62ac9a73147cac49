"""The pub/sub wire format: python-socketio's JSON messages plus runtime's own.

Sans-IO: typed messages in, JSON-ready dicts and text out, and back. The six
python-socketio methods (``emit``, ``callback``, ``disconnect``, ``enter_room``,
``leave_room``, ``close_room``) are encoded field for field as python-socketio >=
5.14.2 does, so runtime and python-socketio nodes can share a channel. Binary
arguments travel as in 5.14.2: ``data`` becomes ``[args_with_placeholders,
b64(attachment0), ...]`` and ``binary`` is true.

runtime adds four methods for cluster-wide room membership (``runtime:hello``,
``runtime:bye``, ``runtime:query``, ``runtime:reply``). python-socketio's listener
ignores methods it does not know, so mixed clusters keep working; only runtime
nodes answer queries.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from runtime.exceptions import RemoteProtocolError
from runtime.socketio.binary import deconstruct, has_binary, reconstruct
from runtime.socketio.jsonmod import JsonCodec

__all__ = [
    "Bye",
    "CallbackMessage",
    "CloseRoom",
    "DisconnectMessage",
    "EmitMessage",
    "EnterRoom",
    "Hello",
    "LeaveRoom",
    "Message",
    "Method",
    "Query",
    "QueryKind",
    "Reply",
    "args_to_data",
    "data_to_args",
    "decode",
    "dumps",
    "encode",
    "loads",
]

# Room names as they cross the wire: python-socketio accepts any hashable, JSON
# gives str and int; a target is one room, a list of rooms, or None (everyone).
RoomName = str | int
Target = RoomName | list[RoomName] | None
SkipSid = str | list[str] | None


class Method(StrEnum):
    """The ``method`` field of a pub/sub message."""

    EMIT = "emit"
    CALLBACK = "callback"
    DISCONNECT = "disconnect"
    ENTER_ROOM = "enter_room"
    LEAVE_ROOM = "leave_room"
    CLOSE_ROOM = "close_room"
    # runtime extensions (python-socketio ignores unknown methods)
    HELLO = "runtime:hello"
    BYE = "runtime:bye"
    QUERY = "runtime:query"
    REPLY = "runtime:reply"


class QueryKind(StrEnum):
    """What a cluster query asks every runtime node."""

    PARTICIPANTS = "participants"  # sids in a room (or rooms) of a namespace
    ROOMS = "rooms"  # rooms of one sid


@dataclass(frozen=True, slots=True)
class EmitMessage:
    """Emit ``event`` with ``args`` to local recipients; ``host_id`` is the sender."""

    event: str
    args: list[Any]  # the Socket.IO arguments, binary already restored
    namespace: str
    room: Target
    skip_sid: SkipSid
    callback: tuple[str, str, int] | None  # (sid, namespace, ack id) on the sender
    host_id: str


@dataclass(frozen=True, slots=True)
class CallbackMessage:
    """A client acknowledged an emit; ``host_id`` is the *destination* (the emitter).

    Binary arguments are a runtime extension (``"binary": true``, packed as in
    ``emit``); python-socketio itself cannot publish them.
    """

    host_id: str
    sid: str
    namespace: str
    id: int
    args: list[Any]


@dataclass(frozen=True, slots=True)
class DisconnectMessage:
    sid: str
    namespace: str
    host_id: str


@dataclass(frozen=True, slots=True)
class EnterRoom:
    sid: str
    room: RoomName
    namespace: str
    host_id: str


@dataclass(frozen=True, slots=True)
class LeaveRoom:
    sid: str
    room: RoomName
    namespace: str
    host_id: str


@dataclass(frozen=True, slots=True)
class CloseRoom:
    room: RoomName
    namespace: str
    host_id: str


@dataclass(frozen=True, slots=True)
class Hello:
    """A runtime node is listening; ``answer`` is false on the first announcement."""

    host_id: str
    answer: bool = False


@dataclass(frozen=True, slots=True)
class Bye:
    """A runtime node stops listening (clean shutdown)."""

    host_id: str


@dataclass(frozen=True, slots=True)
class Query:
    """Ask every runtime node about its local sockets; ``host_id`` is the asker."""

    host_id: str
    request_id: str
    kind: QueryKind
    namespace: str
    room: Target = None  # PARTICIPANTS
    sid: str | None = None  # ROOMS


@dataclass(frozen=True, slots=True)
class Reply:
    """One node's answer; ``host_id`` is the destination, ``sender`` the answering node."""

    host_id: str
    sender: str
    request_id: str
    items: list[RoomName]  # sids, or room names


Message = (
    EmitMessage
    | CallbackMessage
    | DisconnectMessage
    | EnterRoom
    | LeaveRoom
    | CloseRoom
    | Hello
    | Bye
    | Query
    | Reply
)


# -- Socket.IO data <-> wire arguments ----------------------------------------------


def data_to_args(data: Any) -> list[Any]:
    """python-socketio's publishing rule: a tuple is several arguments, anything else one.

    ``None`` is published as ``[None]``, which every receiver turns back into "no
    argument"; this keeps python-socketio receivers (which would send ``[]`` as an
    argument for an empty list) behaving the same as runtime ones.
    """
    if isinstance(data, tuple):
        return list(data)
    return [data]


def args_to_data(args: list[Any]) -> Any:
    """python-socketio's receiving rule: one argument is itself, several are a tuple."""
    if len(args) == 1:
        return args[0]
    return tuple(args)


def _pack_args(args: list[Any]) -> tuple[list[Any], bool]:
    if not has_binary(args):
        return args, False
    placeholders, attachments = deconstruct(args)
    return [placeholders, *(base64.b64encode(a).decode("ascii") for a in attachments)], True


def _unpack_args(data: Any, binary: bool, field: str = "data") -> list[Any]:
    if not isinstance(data, list):
        raise _error(f"{field!r} must be a list")
    if not binary:
        return data
    if not data or not isinstance(data[0], list):
        raise _error(f"binary {field!r} must start with the argument list")
    try:
        attachments = [base64.b64decode(a, validate=True) for a in data[1:]]
    except (binascii.Error, TypeError, ValueError):
        raise _error(f"a binary attachment in {field!r} is not base64") from None
    restored = reconstruct(data[0], attachments)
    assert isinstance(restored, list)
    return restored


# -- typed message <-> JSON-ready dict -------------------------------------------------


def encode(message: Message) -> dict[str, Any]:
    """The JSON-ready dict of ``message``, with python-socketio's field names."""
    if isinstance(message, EmitMessage):
        data, binary = _pack_args(message.args)
        return {
            "method": Method.EMIT.value,
            "event": message.event,
            "data": data,
            "binary": binary,
            "namespace": message.namespace,
            "room": message.room,
            "skip_sid": message.skip_sid,
            "callback": list(message.callback) if message.callback is not None else None,
            "host_id": message.host_id,
        }
    if isinstance(message, CallbackMessage):
        args, binary = _pack_args(message.args)
        out = {
            "method": Method.CALLBACK.value,
            "host_id": message.host_id,
            "sid": message.sid,
            "namespace": message.namespace,
            "id": message.id,
            "args": args,
        }
        if binary:  # runtime extension: python-socketio cannot carry binary acks
            out["binary"] = True
        return out
    if isinstance(message, DisconnectMessage):
        return {
            "method": Method.DISCONNECT.value,
            "sid": message.sid,
            "namespace": message.namespace,
            "host_id": message.host_id,
        }
    if isinstance(message, EnterRoom | LeaveRoom):
        method = Method.ENTER_ROOM if isinstance(message, EnterRoom) else Method.LEAVE_ROOM
        return {
            "method": method.value,
            "sid": message.sid,
            "room": message.room,
            "namespace": message.namespace,
            "host_id": message.host_id,
        }
    if isinstance(message, CloseRoom):
        return {
            "method": Method.CLOSE_ROOM.value,
            "room": message.room,
            "namespace": message.namespace,
            "host_id": message.host_id,
        }
    if isinstance(message, Hello):
        return {"method": Method.HELLO.value, "host_id": message.host_id, "answer": message.answer}
    if isinstance(message, Bye):
        return {"method": Method.BYE.value, "host_id": message.host_id}
    if isinstance(message, Query):
        return {
            "method": Method.QUERY.value,
            "host_id": message.host_id,
            "request_id": message.request_id,
            "kind": message.kind.value,
            "namespace": message.namespace,
            "room": message.room,
            "sid": message.sid,
        }
    return {
        "method": Method.REPLY.value,
        "host_id": message.host_id,
        "sender": message.sender,
        "request_id": message.request_id,
        "items": message.items,
    }


def _error(text: str) -> RemoteProtocolError:
    return RemoteProtocolError(f"invalid pub/sub message: {text}")


def _str(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise _error(f"{key!r} must be a string")
    return value


def _namespace(obj: dict[str, Any]) -> str:
    # python-socketio treats a missing namespace as the default one.
    value = obj.get("namespace")
    if value is None:
        return "/"
    if not isinstance(value, str):
        raise _error("'namespace' must be a string")
    return value


def _room(value: Any) -> RoomName:
    if isinstance(value, str | int) and not isinstance(value, bool):
        return value
    raise _error("a room must be a string or an integer")


def _target(value: Any) -> Target:
    if value is None:
        return None
    if isinstance(value, list):
        return [_room(item) for item in value]
    return _room(value)


def _skip(value: Any) -> SkipSid:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    raise _error("'skip_sid' must be a string, a list of strings or null")


def _ack_id(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise _error("an ack id must be an integer")


def _decode_emit(obj: dict[str, Any]) -> EmitMessage:
    callback: tuple[str, str, int] | None = None
    raw = obj.get("callback")
    if isinstance(raw, list) and len(raw) == 3:
        sid, namespace, ack_id = raw
        if not isinstance(sid, str) or not isinstance(namespace, str):
            raise _error("'callback' must be [sid, namespace, id]")
        callback = (sid, namespace, _ack_id(ack_id))
    elif raw is not None and not isinstance(raw, list):
        raise _error("'callback' must be [sid, namespace, id] or null")
    return EmitMessage(
        event=_str(obj, "event"),
        args=_unpack_args(obj.get("data"), bool(obj.get("binary"))),
        namespace=_namespace(obj),
        room=_target(obj.get("room")),
        skip_sid=_skip(obj.get("skip_sid")),
        callback=callback,
        host_id=_str(obj, "host_id"),
    )


def _decode_query(obj: dict[str, Any]) -> Query:
    try:
        kind = QueryKind(_str(obj, "kind"))
    except ValueError:  # RemoteProtocolError is not one
        raise _error("unknown query kind") from None
    sid = obj.get("sid")
    if kind is QueryKind.ROOMS and not isinstance(sid, str):
        raise _error("a rooms query needs a sid")
    return Query(
        host_id=_str(obj, "host_id"),
        request_id=_str(obj, "request_id"),
        kind=kind,
        namespace=_namespace(obj),
        room=_target(obj.get("room")),
        sid=sid if isinstance(sid, str) else None,
    )


def _decode_reply(obj: dict[str, Any]) -> Reply:
    items = obj.get("items")
    if not isinstance(items, list):
        raise _error("'items' must be a list")
    return Reply(
        host_id=_str(obj, "host_id"),
        sender=_str(obj, "sender"),
        request_id=_str(obj, "request_id"),
        items=[_room(item) for item in items],
    )


def decode(obj: Any) -> Message | None:
    """The typed message of a decoded JSON value; None if it is not for us.

    Values without a known ``method`` are ignored (None), as python-socketio does;
    a known method with malformed fields raises ``RemoteProtocolError``.
    """
    if not isinstance(obj, dict):
        return None
    method = obj.get("method")
    if method == "emit":
        return _decode_emit(obj)
    if method == "callback":
        return CallbackMessage(
            host_id=_str(obj, "host_id"),
            sid=_str(obj, "sid"),
            namespace=_namespace(obj),
            id=_ack_id(obj.get("id")),
            args=_unpack_args(obj.get("args"), bool(obj.get("binary")), "args"),
        )
    if method == "disconnect":
        return DisconnectMessage(_str(obj, "sid"), _namespace(obj), _str(obj, "host_id"))
    if method == "enter_room" or method == "leave_room":
        cls = EnterRoom if method == "enter_room" else LeaveRoom
        return cls(_str(obj, "sid"), _room(obj.get("room")), _namespace(obj), _str(obj, "host_id"))
    if method == "close_room":
        return CloseRoom(_room(obj.get("room")), _namespace(obj), _str(obj, "host_id"))
    if method == Method.HELLO:
        return Hello(_str(obj, "host_id"), bool(obj.get("answer")))
    if method == Method.BYE:
        return Bye(_str(obj, "host_id"))
    if method == Method.QUERY:
        return _decode_query(obj)
    if method == Method.REPLY:
        return _decode_reply(obj)
    return None


# -- dict <-> text ---------------------------------------------------------------------


def dumps(message: Message | dict[str, Any], codec: JsonCodec) -> str:
    """The JSON text published for ``message`` (a typed message or an encoded dict)."""
    return codec.dumps(message if isinstance(message, dict) else encode(message))


def loads(raw: bytes | bytearray | str | dict[str, Any], codec: JsonCodec) -> Message | None:
    """Parse what a broker delivered; None for anything that is not a message for us.

    Text that is not JSON is ignored, as python-socketio ignores it; a known method
    with malformed fields raises ``RemoteProtocolError``.
    """
    if isinstance(raw, dict):
        return decode(raw)
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes | bytearray) else raw
        obj = codec.loads(text)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None
    return decode(obj)
