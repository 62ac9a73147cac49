"""Unmasked server websocket frames (RFC 6455), built without any websocket library.

Used by the raw-socket websocket and to write a whole batch through gevent-websocket in
one call.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

__all__ = ["BINARY", "CLOSE", "PONG", "TEXT", "close_frame", "encode_frames", "frame_header"]

TEXT, BINARY, CLOSE, PONG = 0x1, 0x2, 0x8, 0xA


def frame_header(opcode: int, size: int) -> bytes:
    """The header of a final, unmasked frame of ``size`` payload bytes."""
    if size < 126:
        return bytes((0x80 | opcode, size))
    if size < 65536:
        return struct.pack("!BBH", 0x80 | opcode, 126, size)
    return struct.pack("!BBQ", 0x80 | opcode, 127, size)


def encode_frames(frames: Sequence[str | bytes]) -> bytes:
    """One frame per message, all in one buffer: text for str, binary for bytes."""
    parts: list[bytes] = []
    for frame in frames:
        if isinstance(frame, str):
            payload = frame.encode("utf-8", "surrogatepass")
            parts.append(frame_header(TEXT, len(payload)))
        else:
            payload = bytes(frame)
            parts.append(frame_header(BINARY, len(payload)))
        parts.append(payload)
    return b"".join(parts)


def close_frame(code: int) -> bytes:
    return frame_header(CLOSE, 2) + struct.pack("!H", code)
