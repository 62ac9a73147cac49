"""Shared helpers for the Socket.IO codec tests: reference vectors and decoding loops."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from runtime.socketio.packets import Packet, PacketType
from runtime.socketio.serializer import Serializer

# Produced by gen_sio_vectors.js with the reference JavaScript parsers.
VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "sio_vectors.json").read_text(encoding="utf-8")
)


def from_portable(value: Any) -> Any:
    """Undo the vector file's ``{"$bytes": hex}`` encoding of binary values."""
    if isinstance(value, dict):
        if set(value) == {"$bytes"}:
            return bytes.fromhex(value["$bytes"])
        return {key: from_portable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_portable(item) for item in value]
    return value


def vector_packet(raw: dict[str, Any]) -> Packet:
    return Packet(
        PacketType(raw["type"]), raw.get("nsp", "/"), from_portable(raw.get("data")), raw.get("id")
    )


def decode_all(serializer: Serializer, messages: Iterable[str | bytes]) -> list[Packet]:
    """Feed messages to one fresh decoder; return every packet it completes."""
    decoder = serializer.decoder()
    out = [packet for message in messages if (packet := decoder.feed(message)) is not None]
    assert not decoder.pending
    return out


def normalized(value: Any) -> Any:
    """What data looks like after a round trip: tuples become lists, buffers bytes."""
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, (list, tuple)):
        return [normalized(item) for item in value]
    if isinstance(value, dict):
        return {key: normalized(item) for key, item in value.items()}
    return value
