"""Binary attachments of the text codec: placeholders out, bytes back in.

On encode, every ``bytes``/``bytearray``/``memoryview`` anywhere in the data becomes
``{"_placeholder": true, "num": i}`` and travels as the i-th binary engine message.
On decode, each placeholder is replaced by its attachment, and the placeholders
must be well formed: exactly the two keys, an integer ``num`` in range, each
attachment used exactly once (which is what every encoder produces).
"""

from __future__ import annotations

from typing import Any

from runtime.exceptions import RemoteProtocolError

__all__ = ["BINARY_TYPES", "deconstruct", "has_binary", "reconstruct"]

BINARY_TYPES = (bytes, bytearray, memoryview)


def has_binary(data: Any) -> bool:
    """True if ``data`` holds binary anywhere inside lists, tuples and dict values."""
    if isinstance(data, BINARY_TYPES):
        return True
    if isinstance(data, dict):
        data = data.values()
    elif not isinstance(data, (list, tuple)):
        return False
    for item in data:  # noqa: SIM110 - a loop is cheaper than any() over a generator
        if has_binary(item):
            return True
    return False


def deconstruct(data: Any) -> tuple[Any, list[bytes]]:
    """Return a copy of ``data`` with placeholders, and the attachments in order.

    The caller's data is never modified; ``bytearray``/``memoryview`` attachments are
    copied to ``bytes`` so later changes by the caller cannot alter a queued packet.
    """
    attachments: list[bytes] = []
    return _deconstruct(data, attachments), attachments


def _deconstruct(data: Any, attachments: list[bytes]) -> Any:
    if isinstance(data, BINARY_TYPES):
        attachments.append(data if type(data) is bytes else bytes(data))
        return {"_placeholder": True, "num": len(attachments) - 1}
    if isinstance(data, (list, tuple)):
        return [_deconstruct(item, attachments) for item in data]
    if isinstance(data, dict):
        return {key: _deconstruct(value, attachments) for key, value in data.items()}
    return data


def _error(message: str) -> RemoteProtocolError:
    return RemoteProtocolError(message, status=400, reason="parse error")


def _attachment(node: dict[Any, Any], attachments: list[bytes], used: list[bool]) -> bytes:
    num = node.get("num")
    if len(node) != 2 or type(num) is not int:
        raise _error('a placeholder must be exactly {"_placeholder": true, "num": <int>}')
    if not 0 <= num < len(attachments):
        raise _error(f"placeholder num {num} out of range (0..{len(attachments) - 1})")
    if used[num]:
        raise _error(f"placeholder num {num} used twice")
    used[num] = True
    return attachments[num]


def reconstruct(data: Any, attachments: list[bytes]) -> Any:
    """Replace the placeholders of freshly decoded JSON ``data``, in place.

    ``data`` must come from the JSON decoder (only lists and dicts nest) and must
    already be depth-checked; the walk is iterative anyway.
    """
    used = [False] * len(attachments)
    root = [data]
    stack: list[list[Any] | dict[Any, Any]] = [root]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        replaced: list[tuple[Any, bytes]] = []
        for key, child in items:
            if isinstance(child, dict):
                if child.get("_placeholder") is True:
                    replaced.append((key, _attachment(child, attachments, used)))
                else:
                    stack.append(child)
            elif isinstance(child, list):
                stack.append(child)
        for key, value in replaced:
            node[key] = value
    if not all(used):
        raise _error(f"{used.count(False)} attachment(s) not referenced by any placeholder")
    return root[0]
