"""Just enough wire format for a load generator: WebSocket frames, HTTP/1.1, EIO4/SIO5.

Client frames use an all-zero masking key: RFC 6455 requires a key, not a
random one on loopback, and a zero key makes client-side masking free, so the
load generator spends its time on protocol work, not XOR.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from enum import IntEnum

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
WS_KEY = b"YmVuY2gtbG9hZC1nZW4hIQ=="  # fixed: the accept value is checked once, not per client
ZERO_MASK = b"\x00\x00\x00\x00"
RECORD_SEP = b"\x1e"  # Engine.IO polling payload separator


class Opcode(IntEnum):
    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    CLOSE = 0x8
    PING = 0x9
    PONG = 0xA


def ws_accept(key: bytes) -> bytes:
    return base64.b64encode(hashlib.sha1(key + WS_GUID).digest())


WS_ACCEPT = ws_accept(WS_KEY)


def ws_upgrade_request(host: str, port: int, target: str) -> bytes:
    return (
        f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {WS_KEY.decode()}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


def _header(first: int, n: int, masked: bool) -> bytes:
    bit = 0x80 if masked else 0
    if n < 126:
        return bytes((first, bit | n))
    if n < 65536:
        return struct.pack("!BBH", first, bit | 126, n)
    return struct.pack("!BBQ", first, bit | 127, n)


def client_frame(opcode: int, payload: bytes) -> bytes:
    """A final, masked (zero key) client frame."""
    return _header(0x80 | opcode, len(payload), True) + ZERO_MASK + payload


_SMALL_TEXT = [bytes((0x81, 0x80 | n)) + ZERO_MASK for n in range(126)]


def client_text(payload: bytes) -> bytes:
    """``client_frame(Opcode.TEXT, payload)``, with a table lookup for small payloads."""
    n = len(payload)
    if n < 126:
        return _SMALL_TEXT[n] + payload
    return client_frame(Opcode.TEXT, payload)


def server_frame(opcode: int, payload: bytes) -> bytes:
    """A final, unmasked server frame."""
    return _header(0x80 | opcode, len(payload), False) + payload


def server_header(opcode: int, size: int) -> bytes:
    """The header of a final, unmasked server frame (to send before a payload, uncopied)."""
    return _header(0x80 | opcode, size, False)


def unmask(data: bytes, mask: bytes) -> bytes:
    if mask == ZERO_MASK:
        return data
    n = len(data)
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(key, "little")).to_bytes(n, "little")


def frame_size(buf: bytes, pos: int) -> int:
    """Total size of the frame at ``pos``; while its header is incomplete, a lower bound."""
    avail = len(buf) - pos
    if avail < 2:
        return 2
    b1 = buf[pos + 1]
    length = b1 & 0x7F
    head = 6 if b1 & 0x80 else 2
    if length == 126:
        if avail < 4:
            return 4
        return head + 2 + ((buf[pos + 2] << 8) | buf[pos + 3])
    if length == 127:
        if avail < 10:
            return 10
        return head + 8 + int.from_bytes(buf[pos + 2 : pos + 10], "big")
    return head + length


def next_frame(buf: bytes, pos: int) -> tuple[int, bytes, int] | None:
    """Parse one frame at ``pos``: (first byte, unmasked payload, next pos), or None if incomplete."""
    avail = len(buf) - pos
    if avail < 2:
        return None
    b1 = buf[pos + 1]
    length = b1 & 0x7F
    i = pos + 2
    if length == 126:
        if avail < 4:
            return None
        length = (buf[i] << 8) | buf[i + 1]
        i += 2
    elif length == 127:
        if avail < 10:
            return None
        length = int.from_bytes(buf[i : i + 8], "big")
        i += 8
    if b1 & 0x80:
        end = i + 4 + length
        if len(buf) < end:
            return None
        return buf[pos], unmask(buf[i + 4 : end], buf[i : i + 4]), end
    end = i + length
    if len(buf) < end:
        return None
    return buf[pos], buf[i:end], end


class ReadQueue:
    """Reads waiting to become a whole frame (or request), joined once, when enough arrived.

    Growing a bytearray read by read costs page faults on every large frame in a
    VM; keeping the reads and joining them once does not.
    """

    __slots__ = ("_chunks", "_need", "_size")

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._size = 0
        self._need = 0

    def push(self, data: bytes) -> bytes | None:
        """``data`` with any earlier remainder in front, or None while still incomplete."""
        if not self._chunks:
            return data
        self._chunks.append(data)
        self._size += len(data)
        if self._size < self._need:
            return None
        joined = b"".join(self._chunks)
        self._chunks.clear()
        self._size = 0
        return joined

    def keep(self, rest: bytes, need: int) -> None:
        """Hold an unparsed remainder until ``need`` bytes are there in total."""
        if rest:
            self._chunks = [rest]
            self._size = len(rest)
            self._need = max(need, len(rest) + 1)


# --- HTTP/1.1 responses (polling client) -------------------------------------------------


class HttpResponseReader:
    """Incremental HTTP/1.1 response parser: Content-Length or chunked bodies."""

    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        self._buf += data
        out: list[tuple[int, bytes]] = []
        while True:
            parsed = self._one()
            if parsed is None:
                return out
            out.append(parsed)

    def _one(self) -> tuple[int, bytes] | None:
        buf = self._buf
        head_end = buf.find(b"\r\n\r\n")
        if head_end < 0:
            return None
        lines = bytes(buf[:head_end]).split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = -1
        chunked = False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        start = head_end + 4
        if chunked:
            return self._chunked(status, start)
        if length < 0:
            length = 0  # no body framing given: uvicorn always sends one of the two
        if len(buf) < start + length:
            return None
        body = bytes(buf[start : start + length])
        del buf[: start + length]
        return status, body

    def _chunked(self, status: int, pos: int) -> tuple[int, bytes] | None:
        buf = self._buf
        parts: list[bytes] = []
        while True:
            line_end = buf.find(b"\r\n", pos)
            if line_end < 0:
                return None
            size = int(bytes(buf[pos:line_end]).split(b";")[0], 16)
            pos = line_end + 2
            if size == 0:
                if len(buf) < pos + 2:  # final CRLF (we never see trailers)
                    return None
                del buf[: pos + 2]
                return status, b"".join(parts)
            if len(buf) < pos + size + 2:
                return None
            parts.append(bytes(buf[pos : pos + size]))
            pos += size + 2


def http_request(method: str, host: str, port: int, target: str, body: bytes = b"") -> bytes:
    head = f"{method} {target} HTTP/1.1\r\nHost: {host}:{port}\r\n"
    if method == "POST":
        head += f"Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


# --- Engine.IO 4 / Socket.IO 5 ------------------------------------------------------------

EIO_PATH = "/socket.io/?EIO=4&transport="


def parse_ack_id(packet: bytes, start: int) -> tuple[int, int]:
    """The ack id at ``start`` (digits up to the JSON array), and the index of the ``[``."""
    end = packet.find(b"[", start)
    if end < 0:
        end = len(packet)
    return int(packet[start:end]), end


def split_payload(body: bytes) -> list[bytes]:
    """An Engine.IO polling payload into its packets."""
    return body.split(RECORD_SEP) if body else []
