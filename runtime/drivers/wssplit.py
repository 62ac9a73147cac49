"""The fast path of reading a client's websocket stream (RFC 6455), sans-IO.

Almost every frame a Socket.IO client sends is a whole, unfragmented, masked text or
binary message. ``FrameSplitter`` decodes those itself (a few microseconds less per
message than ``wsproto``) and hands everything else (control frames, fragments,
oversized or invalid frames) to wsproto byte for byte, always in whole frames and
never inside a fragmented message, so wsproto's state stays exactly what it would be
had it read the frames it did not see.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["FrameSplitter", "Raw", "unmask"]

_TEXT, _BINARY = 0x1, 0x2


class Raw(NamedTuple):
    """Bytes of the stream for wsproto to read."""

    data: bytes


def unmask(payload: bytes | bytearray, mask: bytes | bytearray) -> bytes:
    """XOR ``payload`` with the 4-byte ``mask`` repeated."""
    size = len(payload)
    if not size:
        return b""
    key = (bytes(mask) * ((size >> 2) + 1))[:size]
    value = int.from_bytes(payload, "little") ^ int.from_bytes(key, "little")
    return value.to_bytes(size, "little")


class FrameSplitter:
    """Splits a client's bytes into decoded messages and raw bytes for wsproto."""

    __slots__ = ("_buf", "_fragmented", "_left", "_max")

    def __init__(self, max_message_size: int) -> None:
        self._max = max_message_size
        self._buf = bytearray()
        self._left = 0  # bytes of the frame being passed to wsproto still to pass
        self._fragmented = False  # wsproto is inside a fragmented message

    def feed(self, data: bytes) -> list[str | bytes | Raw]:
        """In stream order: the messages decoded here, and ``Raw`` bytes for wsproto."""
        buf = self._buf
        buf += data
        items: list[str | bytes | Raw] = []
        while buf:
            if self._left:
                chunk = bytes(buf[: self._left])
                del buf[: len(chunk)]
                self._left -= len(chunk)
                items.append(Raw(chunk))
                continue
            frame = self._frame(buf)
            if frame is None:  # header incomplete
                break
            header_size, size, fast = frame
            if fast:
                end = header_size + size
                if len(buf) < end:
                    break  # size <= max_message_size: bounded wait for the rest
                message = self._decode(buf, header_size, end)
                if message is not None:
                    del buf[:end]
                    items.append(message)
                    continue
            opcode = buf[0] & 0x0F
            if opcode in (0x0, _TEXT, _BINARY):
                self._fragmented = not buf[0] & 0x80
            self._left = header_size + size
        return items

    def _frame(self, buf: bytearray) -> tuple[int, int, bool] | None:
        """(header size, payload size, decodable here) of the frame at ``buf``'s start."""
        if len(buf) < 2:
            return None
        first, second = buf[0], buf[1]
        size = second & 0x7F
        header_size = 2
        minimal = True
        if size == 126:
            if len(buf) < 4:
                return None
            size = int.from_bytes(buf[2:4], "big")
            header_size = 4
            minimal = size >= 126
        elif size == 127:
            if len(buf) < 10:
                return None
            size = int.from_bytes(buf[2:10], "big")
            header_size = 10
            minimal = 65536 <= size < (1 << 63)
        masked = bool(second & 0x80)
        if masked:
            header_size += 4
        fast = (
            masked
            and minimal
            and not self._fragmented
            and first in (0x80 | _TEXT, 0x80 | _BINARY)  # FIN, no RSV bits
            and size <= self._max
        )
        return header_size, size, fast

    @staticmethod
    def _decode(buf: bytearray, header_size: int, end: int) -> str | bytes | None:
        payload = unmask(buf[header_size:end], buf[header_size - 4 : header_size])
        if buf[0] & 0x0F == _BINARY:
            return payload
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            return None  # wsproto closes with 1007
