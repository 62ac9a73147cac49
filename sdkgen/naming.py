"""Names: wire names, Python identifiers and module names (pure functions)."""

from __future__ import annotations

import keyword
import re

__all__ = [
    "RESERVED_AUTH_KEYS",
    "RESERVED_EVENT_NAMES",
    "constant_name",
    "identifier",
    "module_name_for_path",
    "pascal_case",
    "snake_case",
]

# Names Socket.IO clients and servers use for themselves (socket.io-client's
# reserved events), plus the event our typed dispatch reports errors with.
RESERVED_EVENT_NAMES: frozenset[str] = frozenset(
    {
        "connect",
        "connect_error",
        "disconnect",
        "disconnecting",
        "newListener",
        "removeListener",
        "sdkgen:error",
    }
)

# Connect-auth keys generated clients add themselves: the contract version they
# announce (`runtime.contract_version.VERSION_KEY`). An auth model cannot use them.
RESERVED_AUTH_KEYS: frozenset[str] = frozenset({"sdkgen_version"})

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_IDENT = re.compile(r"[^0-9a-zA-Z_]+")


def snake_case(name: str) -> str:
    """`SendMessage` -> `send_message`, `HTTPRequest` -> `http_request`, `RoomV2` -> `room_v2`."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def identifier(text: str, *, fallback: str = "x") -> str:
    """A valid, non-keyword, lower-case Python identifier derived from `text`."""
    ident = _NOT_IDENT.sub("_", snake_case(text)).strip("_")
    ident = re.sub(r"_+", "_", ident) or fallback
    if ident[0].isdigit():
        ident = f"{fallback}_{ident}"
    if keyword.iskeyword(ident) or keyword.issoftkeyword(ident):
        ident += "_"
    return ident


def pascal_case(ident: str) -> str:
    """`chat_rooms` -> `ChatRooms`."""
    return "".join(part[:1].upper() + part[1:] for part in ident.split("_") if part)


def constant_name(ident: str) -> str:
    """`send_message` -> `SEND_MESSAGE`."""
    return ident.upper()


def module_name_for_path(path: str) -> str:
    """The generated module of a namespace: `/chat` -> `chat`, `/` -> `root`."""
    return identifier(path, fallback="ns") if path.strip("/") else "root"
